"""`SqueezeExcitation1D`: channel attention from the mean over valid steps."""

from __future__ import annotations

import keras
from keras import ops

from keras_restext.checks import require
from keras_restext.layers.masking import zero_masked_steps


def masked_mean(x, mask):
    """Mean over the time axis of the valid steps; zero for a sequence with none."""
    if mask is None:
        return ops.mean(x, axis=1)
    weights = ops.cast(ops.expand_dims(mask, -1), x.dtype)
    total = ops.sum(x * weights, axis=1)
    return total / ops.maximum(ops.sum(weights, axis=1), ops.cast(1, x.dtype))


@keras.saving.register_keras_serializable(package="keras_restext")
class SqueezeExcitation1D(keras.layers.Layer):
    """Squeeze-and-excitation (Hu et al. 2018) for sequences `[batch, time, channels]`.

    Args:
        ratio: float in (0, 1], the bottleneck width as a fraction of the channels.

    Example:
    >>> tuple(SqueezeExcitation1D(0.25)(keras.ops.ones((2, 5, 8))).shape)
    (2, 5, 8)
    """

    def __init__(self, ratio: float = 0.25, **kwargs):
        super().__init__(**kwargs)
        require(0.0 < ratio <= 1.0, "ratio", ratio, "in (0, 1]")
        self.ratio = ratio
        self.supports_masking = True

    def build(self, input_shape):
        channels = input_shape[-1]
        self.squeeze = keras.layers.Dense(
            max(1, int(channels * self.ratio)), activation="relu", dtype=self.dtype_policy, name="squeeze"
        )
        self.excite = keras.layers.Dense(channels, activation="sigmoid", dtype=self.dtype_policy, name="excite")
        self.squeeze.build((input_shape[0], channels))
        self.excite.build((input_shape[0], self.squeeze.units))

    def call(self, inputs, mask=None):
        scale = self.excite(self.squeeze(masked_mean(inputs, mask)))
        return zero_masked_steps(inputs * ops.expand_dims(scale, 1), mask)

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        # Defined, so that `compute_output_spec` gives the compute dtype instead of tracing `call` on
        # inputs not yet cast to it (float32 against the float16 Dense layers: a dtype error).
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio}
