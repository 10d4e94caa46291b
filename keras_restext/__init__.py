"""keras_restext: deep residual convolutional text classifiers for Keras.

    import keras_restext
    model = keras_restext.build_resnet_classifier(num_classes=2, vocab_size=30000, preset="restext_base")
"""

from keras_restext.quiet_import import import_tensorflow_quietly

import_tensorflow_quietly()  # TensorFlow's C++ start-up lines would bury the output of `restext`

from keras_restext.layers import (  # noqa: E402
    BagOfTokensLogits,
    DropPath,
    KMaxPooling1D,
    LimitVocabulary,
    MaskedConv1D,
    MaskedDownsample1D,
    MaskedGlobalPooling1D,
    ResBlock,
    SqueezeExcitation1D,
)
from keras_restext.models import PRESETS as presets  # noqa: E402
from keras_restext.models import (  # noqa: E402
    ResTextBackbone,
    ResTextClassifier,
    ResTextPreprocessor,
    build_resnet_classifier,
    count_params,
    get_preset,
)
from keras_restext.version import __version__  # noqa: E402

__all__ = [
    "BagOfTokensLogits",
    "DropPath",
    "KMaxPooling1D",
    "LimitVocabulary",
    "MaskedConv1D",
    "MaskedDownsample1D",
    "MaskedGlobalPooling1D",
    "ResBlock",
    "ResTextBackbone",
    "ResTextClassifier",
    "ResTextPreprocessor",
    "SqueezeExcitation1D",
    "__version__",
    "build_resnet_classifier",
    "count_params",
    "get_preset",
    "presets",
]
