"""The models: the backbone / preprocessor / task classes, the token-id builder, and the presets."""

from keras_restext.models.backbone import ResTextBackbone
from keras_restext.models.heads import set_wide_idf
from keras_restext.models.model_config import MODEL_DEFAULTS, resolve_model_config
from keras_restext.models.preprocessor import ResTextPreprocessor
from keras_restext.models.presets import PRESETS, get_preset
from keras_restext.models.resnet_classifier import build_resnet_classifier
from keras_restext.models.text_classifier import ResTextClassifier

__all__ = [
    "MODEL_DEFAULTS",
    "PRESETS",
    "ResTextBackbone",
    "ResTextClassifier",
    "ResTextPreprocessor",
    "build_resnet_classifier",
    "get_preset",
    "resolve_model_config",
    "set_wide_idf",
]
