"""`BagOfTokensLogits`: a linear classifier on the bag of tokens, the "wide" half of wide & deep."""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np
from keras import ops

from keras_restext.checks import check_int, require
from keras_restext.errors import ArgumentError


@keras.saving.register_keras_serializable(package="keras_restext")
class BagOfTokensLogits(keras.layers.Layer):
    """Maps token ids `[batch, time]` (0 = padding) to linear logits `[batch, units]`.

    A logistic regression on a text's TF-IDF vector, as scikit-learn's `TfidfVectorizer(binary=True)`
    builds it: each distinct token of the text counts once, weighted by its inverse document
    frequency, and the vector is L2-normalised. Each token id has one weight per unit; a text's
    logits are the idf-weighted sum of its distinct tokens' weights divided by the norm of their
    idfs, times `scale`. Padding is ignored, and an empty text gives zeros. The weights start at
    zero, so the layer adds nothing until it has learned.

    The idfs start at 1 (plain binary counts); `adapt(token_ids)` sets them from the training
    texts, `ln((1 + n) / (1 + df)) + 1` for a token in `df` of `n` texts (scikit-learn's smoothed
    idf), and 0 for an id that no training text holds (its weights never learned, so, as in
    scikit-learn, an unseen word is ignored). They are a non-trainable weight, saved and exported
    with the model.

    `scale` multiplies the logits and, since Adam's steps do not depend on a gradient's size,
    how fast they move: a larger scale lets this linear model learn as fast as a deep model beside it.

    Args:
        units: int >= 1, the logits per text (the classes).
        vocab_size: int >= 2, the token id range, padding id 0 included.
        scale: float > 0, multiplies the logits.

    Example:
    >>> layer = BagOfTokensLogits(units=3, vocab_size=100)
    >>> layer.adapt([[[5, 9, 0], [5, 7, 7]]])  # one batch of two texts: 5 is in both
    >>> tuple(layer(keras.ops.convert_to_tensor([[5, 9, 0, 0]])).shape)
    (1, 3)
    """

    def __init__(self, units: int, vocab_size: int, scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        units = check_int("units", units)
        vocab_size = check_int("vocab_size", vocab_size, 2)
        require(scale > 0, "scale", scale, "> 0")
        self.units = units
        self.vocab_size = vocab_size
        self.scale = scale

    def build(self, input_shape):
        self.token_weights = self.add_weight(
            shape=(self.vocab_size, self.units), initializer="zeros", name="token_weights"
        )
        self.idf = self.add_weight(shape=(self.vocab_size,), initializer="ones", trainable=False, name="idf")

    def adapt(self, token_ids: Iterable) -> None:
        """Sets the idfs from the training texts: `token_ids` yields `[batch, time]` id batches
        (0 = padding), such as a `tf.data.Dataset` of tokenized texts."""
        if not self.built:
            self.build((None, None))
        self.idf.assign(token_idf(token_ids, self.vocab_size))

    def call(self, token_ids):
        token_ids = ops.cast(token_ids, "int32")
        # Each distinct token once: sorted, a repeat equals its left neighbour and becomes padding.
        ids = ops.sort(token_ids, axis=1)
        repeat = ops.concatenate([ops.zeros_like(ids[:, :1], "bool"), ops.equal(ids[:, 1:], ids[:, :-1])], axis=1)
        ids = ops.where(repeat, ops.zeros_like(ids), ids)
        # Padding gets an idf of 0, so ids past the padding never need slicing away.
        idf = ops.take(self.idf, ids, axis=0) * ops.cast(ops.not_equal(ids, 0), self.idf.dtype)
        total = ops.einsum("bt,btu->bu", idf, ops.take(self.token_weights, ids, axis=0))
        # The floor only matters for a text without known tokens (its sum is 0, else >= 1 as every
        # training idf is >= 1); 1e-12 would round to 0 in float16 (a float16 LiteRT export: NaN).
        norm = ops.sqrt(ops.maximum(ops.sum(idf * idf, axis=1, keepdims=True), 1e-6))
        return total * ops.cast(self.scale, total.dtype) / norm

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "vocab_size": self.vocab_size, "scale": self.scale}


def token_idf(token_ids: Iterable, vocab_size: int) -> np.ndarray:
    """Smoothed inverse document frequencies `ln((1 + n) / (1 + df)) + 1`, one per id below
    `vocab_size`, of the texts that `token_ids` yields as `[batch, time]` id batches (0 = padding);
    0 for the ids that no text holds (padding included)."""
    documents, texts = np.zeros(vocab_size, np.int64), 0
    for batch in token_ids:
        batch = np.asarray(batch)
        if batch.ndim != 2:
            raise ArgumentError(
                f"`token_ids` must yield [batch, time] id batches. Received a batch of shape {batch.shape}",
                argument="token_ids",
            )
        if batch.size and (batch.min() < 0 or batch.max() >= vocab_size):
            raise ValueError(
                f"Token ids must lie in [0, {vocab_size}) (`vocab_size`). Received ids from {batch.min()} to {batch.max()}"
            )
        texts += len(batch)
        # A text's distinct ids: unique (row, id) pairs, padding dropped.
        rows = np.broadcast_to(np.arange(len(batch))[:, None], batch.shape)
        pairs = np.unique(rows.astype(np.int64) * vocab_size + batch, axis=None)
        ids = pairs % vocab_size
        documents += np.bincount(ids[ids != 0], minlength=vocab_size)
    idf = np.log((1 + texts) / (1 + documents)) + 1
    return np.where(documents > 0, idf, 0).astype("float32")
