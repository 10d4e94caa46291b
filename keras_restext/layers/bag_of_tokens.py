"""`BagOfTokensLogits`: a linear classifier on the bag of tokens, the "wide" half of wide & deep."""

from __future__ import annotations

import keras
from keras import ops

from keras_restext.layers.masking import zero_masked_steps


@keras.saving.register_keras_serializable(package="keras_restext")
class BagOfTokensLogits(keras.layers.Layer):
    """Maps token ids `[batch, time]` (0 = padding) to linear logits `[batch, units]`.

    Each token id has one weight per unit. A text's logits are the sum of its tokens' weights
    divided by the square root of its number of tokens (so a text's counts are L2-normalised when
    its tokens are distinct, as in a TF-IDF model), times `scale`. Padding is ignored, and an empty
    text gives zeros. The weights start at zero, so the layer adds nothing until it has learned.

    `scale` multiplies the logits and, since Adam's steps do not depend on a gradient's size,
    how fast they move: a larger scale lets this linear model learn as fast as a deep model beside it.

    Args:
        units: int >= 1, the logits per text (the classes).
        vocab_size: int >= 2, the token id range, padding id 0 included.
        scale: float > 0, multiplies the logits.

    Example:
    >>> layer = BagOfTokensLogits(units=3, vocab_size=100)
    >>> layer(keras.ops.convert_to_tensor([[5, 9, 0, 0]])).shape
    (1, 3)
    """

    def __init__(self, units: int, vocab_size: int, scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"`units` must be an int >= 1. Received: units={units!r}")
        if not isinstance(vocab_size, int) or vocab_size < 2:
            raise ValueError(f"`vocab_size` must be an int >= 2. Received: vocab_size={vocab_size!r}")
        if not scale > 0:
            raise ValueError(f"`scale` must be > 0. Received: scale={scale!r}")
        self.units = units
        self.vocab_size = vocab_size
        self.scale = scale

    def build(self, input_shape):
        self.token_weights = self.add_weight(
            shape=(self.vocab_size, self.units), initializer="zeros", name="token_weights"
        )

    def call(self, token_ids):
        token_ids = ops.cast(token_ids, "int32")
        mask = ops.not_equal(token_ids, 0)
        # Padding rows are gathered and zeroed, so ids past the padding never need slicing away.
        total = ops.sum(zero_masked_steps(ops.take(self.token_weights, token_ids, axis=0), mask), axis=1)
        count = ops.sum(ops.cast(mask, self.compute_dtype), axis=1, keepdims=True)
        count = ops.maximum(count, ops.cast(1, self.compute_dtype))
        return total * ops.cast(self.scale, self.compute_dtype) / ops.sqrt(count)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "vocab_size": self.vocab_size, "scale": self.scale}
