"""`MaskedDownsample1D`: DPCNN's pyramid step, max-pool size 3 stride 2, that ignores padding."""

from __future__ import annotations

import keras
from keras import ops

from keras_restext.layers.masking import fill_masked_steps, most_negative, zero_masked_steps


@keras.saving.register_keras_serializable(package="keras_restext")
class MaskedDownsample1D(keras.layers.Layer):
    """Halves the time axis with a max-pool of size 3 and stride 2, mask-aware.

    Output step `i` is the maximum of input steps `2i-1, 2i, 2i+1`. The window is placed explicitly
    (one step of padding on each side) rather than by "same" padding, whose offset depends on whether
    the padded length is odd or even; padded steps enter the max as the dtype's lowest value. So the
    output on valid steps is the same whatever the padded length, and a sequence of `n` valid steps
    gives `ceil(n / 2)` valid steps. The output mask is `mask[:, ::2]`.

    Example:
    >>> tuple(MaskedDownsample1D()(keras.ops.ones((2, 7, 4))).shape)
    (2, 4, 4)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        lowest = most_negative(inputs.dtype)
        x = fill_masked_steps(inputs, mask, lowest)
        x = ops.pad(x, [[0, 0], [1, 1], [0, 0]], constant_values=lowest)
        x = ops.max_pool(x, pool_size=3, strides=2, padding="valid")
        return zero_masked_steps(x, self.compute_mask(inputs, mask))

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else mask[:, ::2]

    def compute_output_shape(self, input_shape):
        length = input_shape[1]
        return (input_shape[0], None if length is None else (length + 1) // 2, input_shape[2])
