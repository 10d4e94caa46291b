"""`DropPath`: stochastic depth (Huang et al. 2016) for a residual branch."""

from __future__ import annotations

import keras
from keras import ops

from keras_restext.checks import require


@keras.saving.register_keras_serializable(package="keras_restext")
class DropPath(keras.layers.Layer):
    """Drops a whole residual branch per example during training, scaling the kept ones by `1/(1-rate)`.

    Args:
        rate: float in [0, 1), the probability of dropping the branch.
        seed: optional int seed.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Example:
    >>> layer = DropPath(0.5, seed=1)
    >>> x = keras.ops.ones((4, 3, 2))
    >>> bool(keras.ops.all(layer(x) == x))  # at inference, the identity
    True
    >>> kept = keras.ops.convert_to_numpy(layer(x, training=True))[:, 0, 0]
    >>> set(kept.tolist()) <= {0.0, 2.0}  # each example dropped, or kept and scaled by 1 / (1 - rate)
    True
    """

    def __init__(self, rate: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        require(0.0 <= rate < 1.0, "rate", rate, "in [0, 1)")
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        keep = 1.0 - self.rate
        shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
        draw = keras.random.uniform(shape, seed=self.seed_generator, dtype=inputs.dtype)
        return inputs * ops.cast(draw < keep, inputs.dtype) / ops.cast(keep, inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        # Defined, so that `compute_output_spec` gives the compute dtype (float16 under mixed_float16)
        # instead of tracing `call` on inputs not yet cast to it (float32).
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
