"""`MaskedGlobalPooling1D`: max, average or both over the valid steps of a sequence."""

from __future__ import annotations

import keras
from keras import ops

from keras_restext.checks import check_choice
from keras_restext.layers.masking import fill_masked_steps, most_negative
from keras_restext.layers.squeeze_excitation import masked_mean

POOLING_MODES = ("max", "avg", "max_avg")


@ops.custom_gradient
def _max_over_time(x):
    """`max(x, axis=1)` of `[batch, time, channels]`, whose gradient goes to the first step at the max.

    The gradient of `reduce_max` goes to the steps equal to the max instead: under XLA, which may
    compute a fused input twice with different rounding, it can find none and divide by zero (NaN
    weights after one `jit_compile` step of restext_base). The forward pass stays one `reduce_max`
    (a LiteRT builtin, as fast as before).
    """

    def grad(*args, upstream=None):
        upstream = args[0] if upstream is None else upstream
        at_max = ops.one_hot(ops.argmax(x, axis=1), ops.shape(x)[1], axis=1, dtype=upstream.dtype)
        return at_max * ops.expand_dims(upstream, 1)

    # `initial` lets an empty batch through (Keras refuses the max of an empty tensor).
    return ops.max(x, axis=1, initial=most_negative(x.dtype)), grad


def masked_max(x, mask):
    """Max over the time axis of the valid steps; zero for a sequence with none (an empty text)."""
    filled = fill_masked_steps(x, mask, most_negative(x.dtype))
    pooled = _max_over_time(filled)
    if mask is None:
        return pooled
    has_steps = ops.any(mask, axis=1, keepdims=True)
    return ops.where(has_steps, pooled, ops.zeros_like(pooled))


@keras.saving.register_keras_serializable(package="keras_restext")
class MaskedGlobalPooling1D(keras.layers.Layer):
    """Pools `[batch, time, channels]` to `[batch, channels]` (`2 * channels` for "max_avg").

    Padded steps are ignored, so the result does not depend on the padded length.

    Args:
        mode: "max", "avg" or "max_avg" (both, concatenated).

    Example:
    >>> x = keras.ops.ones((2, 5, 8))
    >>> tuple(MaskedGlobalPooling1D("max_avg")(x).shape)
    (2, 16)
    """

    def __init__(self, mode: str = "max", **kwargs):
        super().__init__(**kwargs)
        check_choice("mode", mode, POOLING_MODES)
        self.mode = mode
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if self.mode == "max":
            return masked_max(inputs, mask)
        if self.mode == "avg":
            return masked_mean(inputs, mask)
        return ops.concatenate([masked_max(inputs, mask), masked_mean(inputs, mask)], axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1] * (2 if self.mode == "max_avg" else 1)
        return (input_shape[0], channels)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
