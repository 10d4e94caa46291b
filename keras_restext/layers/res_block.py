"""`ResBlock`: the pre-activation residual block for text sequences."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from keras_restext.checks import check_choice, check_positive_int, is_int, require
from keras_restext.layers.drop_path import DropPath
from keras_restext.layers.masked_conv1d import MaskedConv1D
from keras_restext.layers.masked_downsample import MaskedDownsample1D
from keras_restext.layers.masking import zero_masked_steps
from keras_restext.layers.squeeze_excitation import SqueezeExcitation1D

NORMS = (None, "batch", "layer")
RESIDUAL_INITS = ("default", "zero")


@keras.saving.register_keras_serializable(package="keras_restext")
class ResBlock(keras.layers.Layer):
    """A residual block for sequences `[batch, time, channels]`, in pre-activation order.

    The main path repeats `num_layers` times: norm → activation → (dropout) → convolution; the block
    returns `shortcut + main`. With `downsample=True` the input is first max-pooled (size 3, stride 2,
    DPCNN's pyramid) and both paths start from the pooled sequence. The shortcut is the identity, or a
    1x1 convolution when the channel count changes.

    With `residual_init="zero"` the main path is multiplied by a learnable scalar that starts at 0
    (ReZero, Bachlechner et al. 2020; SkipInit, De & Smith 2020), so a fresh block without
    downsampling or projection is the identity and a deep stack starts as a shallow one: the
    gradient reaches the embedding undiminished by depth, and each block's branch grows only as far
    as training asks. A scalar rather than a zero norm scale: in this pre-activation order the last
    norm is followed by a ReLU, whose gradient at 0 is 0, so a zero scale there would never move.

    The block is mask-aware: padded steps are zeroed before every convolution, the mask is downsampled
    with the sequence and returned, so outputs on valid steps do not depend on how much padding the
    batch carries nor on what the padded steps hold.

    Args:
        filters: int, output channels.
        kernel_size: int, the convolution width (ignored when `kernel_sizes` is given).
        num_layers: int, convolutions on the main path.
        kernel_sizes: optional tuple of ints; parallel convolutions at several scales, summed
            (multi-scale branches), e.g. `(3, 5, 7)`.
        dilation_rate: int, the dilation of every convolution.
        separable: bool, depthwise-separable convolutions.
        downsample: bool, halve the length first (max-pool size 3 stride 2).
        norm: None, "batch" or "layer".
        activation: a Keras activation name or callable.
        dropout: float in [0, 1), dropout before every convolution but the first.
        drop_path: float in [0, 1), stochastic depth: the probability of skipping the main path.
        se_ratio: optional float in (0, 1], squeeze-and-excitation on the main path.
        kernel_regularizer: optional regularizer for every kernel.
        kernel_initializer: initializer for every kernel.
        residual_init: "default" (the main path is added as it is) or "zero" (it is scaled by a
            learnable scalar initialised at 0, so the block starts as its shortcut).
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Example:
    >>> tokens = keras.Input(shape=(None,), dtype="int32")
    >>> x = keras.layers.Embedding(1000, 64, mask_zero=True)(tokens)
    >>> x = ResBlock(128, downsample=True, norm="layer")(x)
    >>> x.shape
    (None, None, 128)
    >>> block = ResBlock(64, residual_init="zero")
    >>> values = keras.random.normal((2, 5, 64))
    >>> bool(keras.ops.all(block(values) == values))  # the identity at initialisation
    True
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        num_layers: int = 2,
        *,
        kernel_sizes: Sequence[int] | None = None,
        dilation_rate: int = 1,
        separable: bool = False,
        downsample: bool = False,
        norm: str | None = None,
        activation="relu",
        dropout: float = 0.0,
        drop_path: float = 0.0,
        se_ratio: float | None = None,
        kernel_regularizer=None,
        kernel_initializer="he_normal",
        residual_init: str = "default",
        **kwargs,
    ):
        super().__init__(**kwargs)
        filters = check_positive_int("filters", filters)
        kernel_size = check_positive_int("kernel_size", kernel_size)
        num_layers = check_positive_int("num_layers", num_layers)
        dilation_rate = check_positive_int("dilation_rate", dilation_rate)
        if kernel_sizes is not None:
            require(
                len(kernel_sizes) > 0 and all(is_int(k) for k in kernel_sizes),
                "kernel_sizes",
                kernel_sizes,
                "None or a non-empty sequence of ints >= 1, e.g. (3, 5, 7)",
            )
            kernel_sizes = tuple(int(k) for k in kernel_sizes)
        check_choice("norm", norm, NORMS)
        require(0.0 <= dropout < 1.0, "dropout", dropout, "a float in [0, 1)")
        require(0.0 <= drop_path < 1.0, "drop_path", drop_path, "a float in [0, 1)")
        check_choice("residual_init", residual_init, RESIDUAL_INITS)
        require(se_ratio is None or 0.0 < se_ratio <= 1.0, "se_ratio", se_ratio, "None or a float in (0, 1]")
        self.filters = filters
        self.kernel_size = kernel_size
        self.num_layers = num_layers
        self.kernel_sizes = kernel_sizes
        self.dilation_rate = dilation_rate
        self.separable = separable
        self.downsample = downsample
        self.norm = norm
        self.activation = keras.activations.get(activation)
        self.dropout = dropout
        self.drop_path = drop_path
        self.se_ratio = se_ratio
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.residual_init = residual_init
        self.supports_masking = True

    def _conv(self, kernel_size: int, name: str) -> MaskedConv1D:
        return MaskedConv1D(
            self.filters,
            kernel_size,
            dilation_rate=self.dilation_rate,
            separable=self.separable,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
            dtype=self.dtype_policy,
            name=name,
        )

    def _norm(self, name: str):
        if self.norm == "batch":
            return keras.layers.BatchNormalization(dtype=self.dtype_policy, name=name)
        if self.norm == "layer":
            return keras.layers.LayerNormalization(dtype=self.dtype_policy, name=name)
        return None

    def build(self, input_shape):
        in_channels = input_shape[-1]
        self.pool = MaskedDownsample1D(dtype=self.dtype_policy, name="downsample") if self.downsample else None
        self.shortcut = None
        if in_channels != self.filters:
            self.shortcut = MaskedConv1D(
                self.filters,
                1,
                kernel_initializer=self.kernel_initializer,
                kernel_regularizer=self.kernel_regularizer,
                dtype=self.dtype_policy,
                name="shortcut",
            )
            self.shortcut.build(input_shape)
        self.norms, self.branches = [], []
        channels = in_channels
        for i in range(self.num_layers):
            shape = (*input_shape[:-1], channels)
            norm = self._norm(f"norm_{i}")
            if norm is not None:
                norm.build(shape)
            self.norms.append(norm)
            branches = [self._conv(k, f"conv_{i}_k{k}") for k in (self.kernel_sizes or (self.kernel_size,))]
            for conv in branches:
                conv.build(shape)
            self.branches.append(branches)
            channels = self.filters
        self.dropout_layer = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)
        self.se = None
        if self.se_ratio is not None:
            self.se = SqueezeExcitation1D(self.se_ratio, dtype=self.dtype_policy, name="se")
            self.se.build((*input_shape[:-1], self.filters))
        self.drop_path_layer = DropPath(self.drop_path, dtype=self.dtype_policy, name="drop_path")
        self.residual_gamma = None
        if self.residual_init == "zero":
            # "gamma" in the name keeps it out of the optimizer's weight decay, as a norm scale is.
            self.residual_gamma = self.add_weight(name="residual_gamma", shape=(), initializer="zeros")

    def call(self, inputs, mask=None, training=None):
        x = zero_masked_steps(inputs, mask)
        if self.pool is not None:
            x, mask = self.pool(x, mask=mask), self.pool.compute_mask(x, mask)
        shortcut = x if self.shortcut is None else self.shortcut(x, mask=mask)
        h = x
        for i, (norm, branches) in enumerate(zip(self.norms, self.branches)):
            if isinstance(norm, keras.layers.BatchNormalization):
                h = norm(h, training=training, mask=mask)  # statistics over valid steps only
            elif norm is not None:
                h = norm(h)
            h = self.activation(h)
            if i > 0:
                h = self.dropout_layer(h, training=training)
            h = sum(conv(h, mask=mask) for conv in branches)
        if self.se is not None:
            h = self.se(h, mask=mask)
        if self.residual_gamma is not None:
            h = h * keras.ops.cast(self.residual_gamma, h.dtype)
        h = self.drop_path_layer(h, training=training)
        return zero_masked_steps(shortcut + h, mask)

    def compute_mask(self, inputs, mask=None):
        if mask is None or not self.downsample:
            return mask
        return mask[:, ::2]

    def compute_output_shape(self, input_shape):
        length = input_shape[1]
        if self.downsample and length is not None:
            length = (length + 1) // 2
        return (input_shape[0], length, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            num_layers=self.num_layers,
            kernel_sizes=self.kernel_sizes,
            dilation_rate=self.dilation_rate,
            separable=self.separable,
            downsample=self.downsample,
            norm=self.norm,
            activation=keras.activations.serialize(self.activation),
            dropout=self.dropout,
            drop_path=self.drop_path,
            se_ratio=self.se_ratio,
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            residual_init=self.residual_init,
        )
        return config
