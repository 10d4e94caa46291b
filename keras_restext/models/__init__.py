"""Model builders and presets."""

from keras_restext.models.classifier import MODEL_DEFAULTS, build_resnet_classifier, count_params, resolve_model_config, set_wide_idf
from keras_restext.models.presets import PRESETS, get_preset

__all__ = ["MODEL_DEFAULTS", "PRESETS", "build_resnet_classifier", "count_params", "get_preset", "resolve_model_config", "set_wide_idf"]
