"""The serving model: raw strings in, probabilities and labels out; and its SavedModel export.

The trainable classifier takes token ids, because tokenising inside a replicated model fails under
`MirroredStrategy`: training tokenises in `tf.data`. For serving, `build_serving_model` composes
the adapted tokenizer, the classifier and the label names into one Keras model

    text (tf.string [batch]) → tokenizer → token ids → classifier → probabilities
                                                                   → label_id, label

which is saved as `model.keras` and exported as a SavedModel whose `serving_default` signature
takes `text` and returns `probabilities`, `label_id` and `label`. With the word and char
tokenizers the SavedModel uses core TensorFlow ops only: plain `tensorflow` loads and serves it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras
import tensorflow as tf

SIGNATURE = "serving_default"
INPUT_NAME = "text"
OUTPUT_NAMES = ("probabilities", "label_id", "label")


@keras.saving.register_keras_serializable(package="keras_restext")
class LabelOutputs(keras.layers.Layer):
    """Turns class probabilities into the serving outputs: probabilities, the best class id and its name.

    Args:
        labels: the class names, in the order of the probabilities.

    Call arguments:
        probabilities: float `[batch, classes]`.

    Returns:
        A dict: `probabilities` (float32 `[batch, classes]`), `label_id` (int64 `[batch]`) and
        `label` (string `[batch]`).

    Example:
    >>> layer = LabelOutputs(["negative", "positive"])
    >>> layer(tf.constant([[0.2, 0.8]]))["label"].numpy()
    array([b'positive'], dtype=object)
    """

    def __init__(self, labels: Sequence[str], **kwargs):
        super().__init__(**kwargs)
        labels = [str(name) for name in labels]
        if not labels:
            raise ValueError("`labels` must name at least one class. Received: labels=[]")
        self.labels = labels

    def call(self, probabilities):
        probabilities = tf.cast(probabilities, "float32")
        label_id = tf.argmax(probabilities, axis=-1, output_type=tf.int64)
        label = tf.gather(tf.constant(self.labels), label_id)
        return {"probabilities": probabilities, "label_id": label_id, "label": label}

    def compute_output_spec(self, probabilities):
        batch = probabilities.shape[:1]
        return {
            "probabilities": keras.KerasTensor(probabilities.shape, dtype="float32"),
            "label_id": keras.KerasTensor(batch, dtype="int64"),
            "label": keras.KerasTensor(batch, dtype="string"),
        }

    def get_config(self):
        return {**super().get_config(), "labels": list(self.labels)}


def build_serving_model(
    tokenizer: keras.layers.Layer,
    classifier: keras.Model,
    labels: Sequence[str],
    *,
    name: str = "restext_serving",
) -> keras.Model:
    """Composes tokenizer, classifier and label names into one raw-string Keras model.

    The classifier's weights are shared, not copied: train the classifier, then save or export
    the serving model (of an `inference_copy` of it, to leave the optimizer's state out).

    Args:
        tokenizer: an adapted tokenizer layer (`keras_restext.data.make_tokenizer`), tf.string
            `[batch]` → int32 `[batch, length]`.
        classifier: a single-task model from `build_resnet_classifier`, token ids → probabilities.
        labels: the class names, in the classifier's output order.
        name: the model's name.

    Returns:
        A functional `keras.Model` with input `text` (tf.string `[batch]`) and a dict of outputs
        `probabilities`, `label_id`, `label`.

    Example:
    >>> serving = build_serving_model(tokenizer, classifier, ["negative", "positive"])
    >>> serving(tf.constant(["a fine film", ""]))["label"]
    """
    classes = classifier.output_shape[-1] if not isinstance(classifier.output_shape, dict) else None
    if classes is None or isinstance(classes, tuple):
        raise ValueError(
            "`classifier` must have a single probabilities output (one task). "
            f"Received a model with outputs {classifier.output_shape!r}"
        )
    if classes != len(labels):
        raise ValueError(
            f"`labels` must name the classifier's {classes} classes. Received {len(labels)} labels: {list(labels)[:10]}"
        )
    text = keras.Input(shape=(), dtype="string", name=INPUT_NAME)
    outputs = LabelOutputs(labels, name="label_outputs")(classifier(tokenizer(text)))
    return keras.Model(text, outputs, name=name)


def inference_copy(classifier: keras.Model) -> keras.Model:
    """A copy of a trained classifier with its weights but without its optimizer.

    A compiled model carries its optimizer's state (AdamW: two more copies of every weight) into
    `.keras` files and SavedModels; the copy exports at a third of the size. Built outside any
    distribution strategy, it also holds plain variables.

    Example:
    >>> serving = build_serving_model(tokenizer, inference_copy(trained_classifier), labels)
    """
    # From the architecture alone: keras.models.clone_model compiles the clone of a compiled model.
    copy = type(classifier).from_config(classifier.get_config())
    copy.set_weights(classifier.get_weights())
    return copy


def serving_labels(model: keras.Model) -> list[str]:
    """The class names of a serving model built by `build_serving_model`."""
    for layer in model.layers:
        if isinstance(layer, LabelOutputs):
            return list(layer.labels)
    raise ValueError(f"Model {model.name!r} has no `LabelOutputs` layer: it is not a restext serving model.")


class _ServingModule(tf.Module):
    """What the SavedModel holds: the serving model and its `serving_default` function."""

    def __init__(self, model: keras.Model):
        super().__init__(name="restext_serving")
        self.model = model
        self.num_classes = len(serving_labels(model))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=INPUT_NAME)])
    def serve(self, text):
        def empty():  # pooling cannot reduce an empty batch; answer it without running the model
            return {
                "probabilities": tf.zeros([0, self.num_classes], tf.float32),
                "label_id": tf.zeros([0], tf.int64),
                "label": tf.zeros([0], tf.string),
            }

        return tf.cond(tf.size(text) > 0, lambda: self.model(text, training=False), empty)


def export_saved_model(model: keras.Model, path: str) -> str:
    """Exports a serving model as a SavedModel with a `serving_default` signature on raw strings.

    Signature: `text` (tf.string `[batch]`, any batch size, 0 included) → `probabilities` (float32
    `[batch, classes]`), `label_id` (int64 `[batch]`), `label` (tf.string `[batch]`).

    Written with `tf.saved_model.save`: Keras 3.15's `ExportArchive` (behind `model.export`) stores
    every variable twice, doubling the SavedModel's size.

    Args:
        model: a model from `build_serving_model` (or loaded from its `model.keras`).
        path: the folder to write (a TF Serving version folder, e.g. `savedmodels/sst2/1`).

    Returns:
        `path`.
    """
    module = _ServingModule(model)
    signature = module.serve.get_concrete_function()
    tf.saved_model.save(module, os.fspath(path), signatures={SIGNATURE: signature})
    return os.fspath(path)


__all__ = [
    "INPUT_NAME",
    "LabelOutputs",
    "OUTPUT_NAMES",
    "SIGNATURE",
    "build_serving_model",
    "export_saved_model",
    "inference_copy",
    "serving_labels",
]
