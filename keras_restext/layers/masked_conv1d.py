"""`MaskedConv1D`: a 1-D convolution that never reads what sits in padded steps."""

from __future__ import annotations

import keras

from keras_restext.layers.masking import zero_masked_steps


@keras.saving.register_keras_serializable(package="keras_restext")
class MaskedConv1D(keras.layers.Layer):
    """A "same"-padded `Conv1D` (or `SeparableConv1D`) that zeroes padded steps before convolving.

    With "same" padding and stride 1 a valid step next to the padding sees zeros there, exactly as it
    would at the true end of an unpadded sequence, so outputs on valid steps do not depend on the
    padded length or on the values the padding holds. Padded output steps are zero.

    Args:
        filters: int, the number of output channels.
        kernel_size: int, the width of the convolution window.
        dilation_rate: int, the dilation of the window.
        separable: bool, use a depthwise-separable convolution.
        use_bias: bool, add a bias.
        kernel_initializer: initializer for the kernel(s).
        kernel_regularizer: optional regularizer for the kernel(s).
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Example:
    >>> x = keras.random.normal((2, 7, 16))
    >>> tuple(MaskedConv1D(32, 3)(x).shape)
    (2, 7, 32)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        dilation_rate: int = 1,
        separable: bool = False,
        use_bias: bool = True,
        kernel_initializer="he_normal",
        kernel_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.dilation_rate = dilation_rate
        self.separable = separable
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.supports_masking = True
        common = dict(
            filters=filters,
            kernel_size=kernel_size,
            dilation_rate=dilation_rate,
            padding="same",
            use_bias=use_bias,
            dtype=self.dtype_policy,
            name="conv",
        )
        if separable:
            self.conv = keras.layers.SeparableConv1D(
                depthwise_initializer=self.kernel_initializer,
                pointwise_initializer=self.kernel_initializer,
                depthwise_regularizer=self.kernel_regularizer,
                pointwise_regularizer=self.kernel_regularizer,
                **common,
            )
        else:
            self.conv = keras.layers.Conv1D(
                kernel_initializer=self.kernel_initializer,
                kernel_regularizer=self.kernel_regularizer,
                **common,
            )

    def build(self, input_shape):
        self.conv.build(input_shape)

    def call(self, inputs, mask=None):
        return zero_masked_steps(self.conv(zero_masked_steps(inputs, mask)), mask)

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            dilation_rate=self.dilation_rate,
            separable=self.separable,
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
        )
        return config
