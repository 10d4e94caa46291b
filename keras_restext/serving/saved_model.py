"""The serving model as a SavedModel: `serving_default` takes `text` and returns the outputs.

With the word and char tokenizers the SavedModel uses core TensorFlow ops only: plain
`tensorflow` loads and serves it (TF Serving too).
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from keras_restext.serving.serving_model import INPUT_NAME, SIGNATURE, LabelOutputs


def _empty_outputs(model: keras.Model) -> dict:
    """The outputs of a serving model for an empty batch: zero rows of every output."""
    outputs = {}
    for layer in model.layers:
        if isinstance(layer, LabelOutputs):
            probabilities, label_id, label = layer.output_names
            outputs[probabilities] = tf.zeros([0, len(layer.labels)], tf.float32)
            outputs[label_id] = tf.zeros([0], tf.int64)
            outputs[label] = tf.zeros([0], tf.string)
    if not outputs:
        raise ValueError(f"Model {model.name!r} has no `LabelOutputs` layer: it is not a restext serving model.")
    return outputs


class _ServingModule(tf.Module):
    """What the SavedModel holds: the serving model's TensorFlow state and its `serving_default` function.

    The module tracks the `tf.Variable` inside each Keras variable and the lookup tables, never the
    Keras model itself: a tracked `keras.Variable` is written as a second, unnamed variable that
    TF Serving's session loader restores while the function reads the first one, which stays
    uninitialised there ("Could not find variable ...").
    """

    def __init__(self, model: keras.Model):
        super().__init__(name="restext_serving")
        _empty_outputs(model)  # fails clearly for a model that is not a restext serving model
        self.model_variables = [variable.value for variable in model.variables]
        self.resources = _tracked_resources(model)
        # A closure, so that the module does not track the Keras model through the function.
        self.serve = _serving_function(model)


def _tracked_resources(model: keras.Model) -> list:
    """The lookup tables and assets a model's layers hold (the tokenizer's vocabulary)."""
    resources = tf.saved_model.experimental.TrackableResource, tf.saved_model.Asset
    return [obj for obj in tf.train.TrackableView(model).descendants() if isinstance(obj, resources)]


def _serving_function(model: keras.Model):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=INPUT_NAME)])
    def serve(text):
        def empty():  # pooling cannot reduce an empty batch; answer it without running the model
            return _empty_outputs(model)

        return tf.cond(tf.size(text) > 0, lambda: model(text, training=False), empty)

    return serve


def export_saved_model(model: keras.Model, path: str) -> str:
    """Exports a serving model as a SavedModel with a `serving_default` signature on raw strings.

    Signature: `text` (tf.string `[batch]`, any batch size, 0 included) → `probabilities` (float32
    `[batch, classes]`), `label_id` (int64 `[batch]`), `label` (tf.string `[batch]`); for a
    multi-task model these three for every task, named `<task>_probabilities`, ... .

    Written with `tf.saved_model.save` over the model's `tf.Variable`s and lookup tables, so that
    TF Serving's session-based loader (and `saved_model_cli run`) restores the very variables the
    signature reads, each stored once; Keras 3.15's `ExportArchive` (behind `model.export`) stores
    every variable twice.

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


__all__ = ["export_saved_model"]
