"""`StopGradient`: the identity forward, no gradient backward."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="keras_restext")
class StopGradient(keras.layers.Layer):
    """Passes its input on unchanged and lets no gradient through it.

    The wide & deep sum uses it with `deep_loss_only`: the deep logits join the sum, but only their
    own loss (deep supervision) trains the trunk, so a fast-learning wide branch cannot starve it.

    Args:
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Example:
    >>> import tensorflow as tf
    >>> x = tf.Variable([1.0, 2.0])
    >>> with tf.GradientTape() as tape:
    ...     y = keras.ops.sum(StopGradient()(x) * 3.0)
    >>> float(y), tape.gradient(y, x) is None
    (9.0, True)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return keras.ops.stop_gradient(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
