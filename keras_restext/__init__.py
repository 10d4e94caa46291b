"""keras_restext: deep residual convolutional text classifiers for Keras.

`import keras_restext` is cheap: it imports neither TensorFlow nor Keras. A public name
(`keras_restext.ResTextClassifier`, `keras_restext.ResBlock`, ...) or a subpackage
(`keras_restext.layers`, ...) is imported on first use (PEP 562), which also registers its Keras
layers for deserialization. To load a keras_restext `.keras` file with `keras.saving.load_model`,
`import keras_restext.export` first (it registers every layer, the export's too), or call
`keras_restext.export.load_keras_model`.

Example:

```python
import keras_restext

model = keras_restext.build_resnet_classifier(num_classes=2, vocab_size=30000, preset="restext_base")
```
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from keras_restext.version import __version__

# Public name -> (module, attribute in that module).
_PUBLIC = {
    "BagOfTokensLogits": ("keras_restext.layers", "BagOfTokensLogits"),
    "DropPath": ("keras_restext.layers", "DropPath"),
    "KMaxPooling1D": ("keras_restext.layers", "KMaxPooling1D"),
    "LimitVocabulary": ("keras_restext.layers", "LimitVocabulary"),
    "MaskedConv1D": ("keras_restext.layers", "MaskedConv1D"),
    "MaskedDownsample1D": ("keras_restext.layers", "MaskedDownsample1D"),
    "MaskedGlobalPooling1D": ("keras_restext.layers", "MaskedGlobalPooling1D"),
    "ResBlock": ("keras_restext.layers", "ResBlock"),
    "SqueezeExcitation1D": ("keras_restext.layers", "SqueezeExcitation1D"),
    "ResTextBackbone": ("keras_restext.models", "ResTextBackbone"),
    "ResTextClassifier": ("keras_restext.models", "ResTextClassifier"),
    "ResTextPreprocessor": ("keras_restext.models", "ResTextPreprocessor"),
    "build_resnet_classifier": ("keras_restext.models", "build_resnet_classifier"),
    "get_preset": ("keras_restext.models", "get_preset"),
    "presets": ("keras_restext.models", "PRESETS"),
}
# Subpackages reachable as attributes, as they were when `import keras_restext` imported them all.
_SUBPACKAGES = ("cli", "data", "export", "layers", "models", "training")

if TYPE_CHECKING:  # the names as static analysers and IDEs should see them
    from keras_restext.layers import (
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
    from keras_restext.models import PRESETS as presets
    from keras_restext.models import (
        ResTextBackbone,
        ResTextClassifier,
        ResTextPreprocessor,
        build_resnet_classifier,
        get_preset,
    )


def __getattr__(name: str) -> Any:
    """Imports a public name or a subpackage on first use (PEP 562)."""
    if name in _PUBLIC:
        module_name, attribute = _PUBLIC[name]
        value = getattr(importlib.import_module(module_name), attribute)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}. Public names: {', '.join(__all__)}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBPACKAGES})


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
    "get_preset",
    "presets",
]
