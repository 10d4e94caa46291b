"""What `ResTextClassifier.fit`, `evaluate` and `predict` accept: raw examples or token-id batches."""

from __future__ import annotations

import tensorflow as tf

from keras_restext.data import read_dataset
from keras_restext.data.pipeline import default_bucket_boundaries
from keras_restext.data.textdata import TextData
from keras_restext.errors import ArgumentError


def as_text_data(x, y=None) -> TextData:
    """Raw examples as a `TextData`: lists or arrays of texts and labels, a `tf.data.Dataset` of
    `(text, label)` pairs (batched or not), or a `TextData`."""
    if isinstance(x, TextData):
        return x
    if isinstance(x, tf.data.Dataset):
        if y is not None:
            raise ArgumentError(
                "With a tf.data.Dataset as `x`, the labels come from the dataset: pass no `y`.", argument="y"
            )
        if isinstance(x.element_spec, tuple) and x.element_spec[0].shape.rank == 1:
            x = x.unbatch()
        return read_dataset(x)
    if y is None:
        raise ArgumentError("`fit` and `evaluate` need labels: pass `y` (one per text).", argument="y")
    return read_dataset((x, y))


def is_token_id_batches(x) -> bool:
    """Whether `x` is a `tf.data.Dataset` of token-id batches rather than raw texts."""
    if not isinstance(x, tf.data.Dataset):
        return False
    first = x.element_spec[0] if isinstance(x.element_spec, tuple) else x.element_spec
    return isinstance(first, tf.TensorSpec) and first.dtype.is_integer and first.shape.rank == 2


def validation_pair(data) -> tuple:
    """`validation_data` as the arguments of `as_text_data`."""
    if isinstance(data, (tf.data.Dataset, TextData)):
        return (data,)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return tuple(data)
    raise ArgumentError(
        f"`validation_data` must be (texts, labels) or a tf.data.Dataset of pairs. Received: {type(data)}",
        argument="validation_data",
    )


def bucketed_id_batches(texts, tokenizer, batch_size: int) -> tf.data.Dataset:
    """Batches of the token ids of `texts` (a list, an array or a `tf.data.Dataset` of strings),
    each padded up to the pipeline's next bucket length: padding never changes a prediction, and
    few shapes mean few traces of Keras' predict function."""
    if isinstance(texts, tf.data.Dataset):
        texts = texts.unbatch() if texts.element_spec.shape.rank == 1 else texts
    else:
        texts = tf.data.Dataset.from_tensor_slices(tf.constant([str(t) for t in texts], tf.string))
    boundaries = tf.constant(default_bucket_boundaries(tokenizer.max_length), tf.int32)

    def tokenize(batch):
        ids = tokenizer(batch)
        length = boundaries[tf.searchsorted(boundaries, tf.shape(ids)[1:2])[0]]
        return tf.pad(ids, [[0, 0], [0, length - tf.shape(ids)[1]]])

    return texts.batch(batch_size).map(tokenize, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


__all__ = ["as_text_data", "bucketed_id_batches", "is_token_id_batches", "validation_pair"]
