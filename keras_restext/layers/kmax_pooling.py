"""`KMaxPooling1D`: VDCNN's k-max pooling, order-preserving and mask-aware."""

from __future__ import annotations

import keras
from keras import ops

from keras_restext.checks import check_positive_int
from keras_restext.layers.masking import fill_masked_steps, most_negative


@keras.saving.register_keras_serializable(package="keras_restext")
class KMaxPooling1D(keras.layers.Layer):
    """Keeps, per channel, the `k` largest values over time, in their original order.

    Padded steps never win over valid ones; a sequence with fewer than `k` valid steps is completed
    with zeros after its values. Output shape `[batch, k, channels]`.

    Args:
        k: int >= 1.

    Example:
    >>> tuple(KMaxPooling1D(8)(keras.ops.ones((2, 20, 4))).shape)
    (2, 8, 4)
    """

    def __init__(self, k: int = 8, **kwargs):
        super().__init__(**kwargs)
        self.k = check_positive_int("k", k)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        lowest = most_negative(inputs.dtype)
        x = fill_masked_steps(inputs, mask, lowest)
        # Pad by k so sequences shorter than k still have k candidates.
        x = ops.pad(x, [[0, 0], [0, self.k], [0, 0]], constant_values=lowest)
        x = ops.transpose(x, (0, 2, 1))  # [batch, channels, time]
        _, indices = ops.top_k(x, self.k, sorted=False)
        values = ops.take_along_axis(x, ops.sort(indices, axis=-1), axis=-1)
        values = ops.where(values <= lowest, ops.zeros_like(values), values)
        return ops.transpose(values, (0, 2, 1))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.k, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "k": self.k}
