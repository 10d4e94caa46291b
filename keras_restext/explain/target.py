"""What an explanation reads of a model: its token-id network, its tokenizer and its class names.

`explain` takes a trained `ResTextClassifier` (the network is the classifier itself) or the
raw-string serving model that `restext train` saves as `model.keras` (tokenizer → network →
labels); `load_explain_target` loads the latter from a run folder, a `.keras` file, or an export
version that keeps `model.keras` beside its SavedModel. A bare SavedModel holds no Keras layers to
take gradients through, so it is refused with a message that says what to give instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import keras

from keras_restext.data.tokenizers import Tokenizer
from keras_restext.errors import ArgumentError, DataError
from keras_restext.export.artifacts import KERAS_FILE
from keras_restext.export.loading import load_keras_model, resolve_model_path
from keras_restext.layers import BagOfTokensLogits, KeepWords
from keras_restext.models.nested_layers import leaf_layers
from keras_restext.models.preprocessor import SINGLE_TASK
from keras_restext.serving import serving_labels, serving_tasks


@dataclass(frozen=True)
class ExplainTarget:
    """A one-task classifier, as `explain` reads it.

    Attributes:
        network: token ids `[batch, time]` → probabilities `[batch, classes]`.
        tokenizer: the adapted tokenizer layer of its texts.
        labels: the class names, in the order of the probabilities.
    """

    network: keras.Model
    tokenizer: Tokenizer
    labels: list[str]

    @property
    def layers(self) -> dict[str, keras.layers.Layer]:
        """The network's layers by name, nested models opened up."""
        return {layer.name: layer for layer in leaf_layers(self.network)}

    @property
    def wide(self) -> BagOfTokensLogits | None:
        """The wide branch (a linear bag-of-tokens classifier), or None when the model has none."""
        return self.layers.get(f"{SINGLE_TASK}_wide_logits")

    @property
    def multi_label(self) -> bool:
        """Whether the classes are independent (sigmoid outputs) rather than one softmax."""
        output = self.layers[SINGLE_TASK]
        activation = getattr(output, "activation", None)
        return getattr(activation, "__name__", "") == "sigmoid"

    @property
    def word_ngrams(self) -> int:
        """n of a words-then-n-grams tokenizer (`WordTokenizer(ngrams=n)`), else 1."""
        return int(getattr(self.tokenizer, "ngrams", 1))

    @property
    def trunk_reads_words(self) -> bool:
        """Whether the trunk reads the words alone of words-then-n-grams ids (`KeepWords`)."""
        return any(isinstance(layer, KeepWords) and layer.ngrams > 1 for layer in self.layers.values())


def explain_target(model: keras.Model) -> ExplainTarget:
    """The `ExplainTarget` of a trained `ResTextClassifier` or of a raw-string serving model.

    Raises:
        ArgumentError: for a model of several tasks, one without a tokenizer or class names, or
            any other model.
    """
    preprocessor = getattr(model, "preprocessor", None)
    if preprocessor is not None:
        if preprocessor.tasks is not None:
            raise ArgumentError(
                f"`classifier` has several tasks ({', '.join(preprocessor.tasks)}); explanations take a "
                "one-task classifier.", argument="classifier",
            )  # fmt: skip
        if preprocessor.labels is None:
            raise ArgumentError("`classifier` is not trained yet: it has no class names.", argument="classifier")
        return ExplainTarget(model, preprocessor.tokenizer, list(preprocessor.labels))
    tokenizers = [layer for layer in model.layers if isinstance(layer, Tokenizer)]
    networks = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if not tokenizers or len(networks) != 1:
        raise ArgumentError(
            f"`classifier` must be a trained ResTextClassifier or a restext serving model (model.keras). "
            f"Received: {type(model).__name__} {model.name!r}", argument="classifier",
        )  # fmt: skip
    tasks = serving_tasks(model)
    if tasks is not None:
        raise ArgumentError(
            f"`classifier` has several tasks ({', '.join(tasks)}); explanations take a one-task classifier.",
            argument="classifier",
        )
    return ExplainTarget(networks[0], tokenizers[0], serving_labels(model))


def load_explain_target(path: str) -> ExplainTarget:
    """Loads the model that `path` names for explanations: a run folder (`restext train`'s output),
    its `model.keras`, or an export version (or export folder) that keeps `model.keras` beside its
    SavedModel.

    Raises:
        DataError: `path` names no model, or a SavedModel without `model.keras` beside it.
    """
    kind, resolved = resolve_model_path(path)
    if kind == "saved_model":
        keras_path = os.path.join(resolved, KERAS_FILE)
        if not os.path.isfile(keras_path):
            raise DataError(
                "a SavedModel holds no Keras layers to explain", path=resolved,
                expected=f"the run folder of the model (restext train's --output) or its {KERAS_FILE}",
            )  # fmt: skip
        resolved = keras_path
    return explain_target(load_keras_model(resolved))


__all__ = ["ExplainTarget", "explain_target", "load_explain_target"]
