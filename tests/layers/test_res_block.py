import keras
import numpy as np
import pytest

from keras_restext.layers import MaskedGlobalPooling1D, ResBlock
from tests.layers.padding import padded_copies

LENGTHS = [5, 9, 1]


def _valid(output: np.ndarray, lengths: list[int]) -> list[np.ndarray]:
    return [output[row, :length] for row, length in enumerate(lengths)]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"downsample": True},
        {"downsample": True, "norm": "batch"},
        {"norm": "layer", "se_ratio": 0.5},
        {"kernel_sizes": (3, 5, 7)},
        {"separable": True, "dilation_rate": 2},
        {"kernel_size": 5, "num_layers": 3},
    ],
)
def test_padding_does_not_change_valid_outputs(options):
    block = ResBlock(8, **options)
    values = np.random.default_rng(0).normal(size=(3, 9, 4)).astype("float32")
    # Odd and even padded lengths: downsampling must not shift its windows with the parity.
    short, short_mask = padded_copies(values, LENGTHS, 10, seed=1)
    long, long_mask = padded_copies(values, LENGTHS, 13, seed=2)
    out_short = np.asarray(block(short, mask=short_mask))
    out_long = np.asarray(block(long, mask=long_mask))
    kept = [(n + 1) // 2 for n in LENGTHS] if options.get("downsample") else LENGTHS
    for a, b in zip(_valid(out_short, kept), _valid(out_long, kept)):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_output_mask_and_shape_follow_downsampling():
    block = ResBlock(6, downsample=True)
    x = np.ones((2, 7, 6), "float32")
    mask = np.array([[True] * 7, [True] * 3 + [False] * 4])
    out = block(x, mask=mask)
    assert out.shape == (2, 4, 6)
    np.testing.assert_array_equal(np.asarray(block.compute_mask(x, mask)), mask[:, ::2])
    # Padded output steps hold zeros.
    assert np.all(np.asarray(out)[1, 2:] == 0)


def test_projection_shortcut_when_channels_change():
    block = ResBlock(16)
    out = block(np.ones((2, 5, 4), "float32"))
    assert out.shape == (2, 5, 16)
    assert block.shortcut is not None and block.shortcut.conv.kernel.shape == (1, 4, 16)
    identity = ResBlock(4)
    identity(np.ones((2, 5, 4), "float32"))
    assert identity.shortcut is None


def test_identity_shortcut_passes_input_when_main_path_is_zero():
    block = ResBlock(4, kernel_initializer="zeros")
    x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    np.testing.assert_allclose(np.asarray(block(x)), x, atol=1e-6)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"norm": "batch", "drop_path": 0.5},
        {"norm": "layer", "se_ratio": 0.5, "num_layers": 2},
        {"kernel_sizes": (3, 5, 7), "separable": True},
    ],
)
@pytest.mark.parametrize("training", [False, True])
def test_zero_residual_init_is_the_identity_at_start(options, training):
    block = ResBlock(4, residual_init="zero", **options)
    values = np.random.default_rng(0).normal(size=(3, 9, 4)).astype("float32")
    x, mask = padded_copies(values, LENGTHS, 11, seed=1)
    out = np.asarray(block(x, mask=mask, training=training))
    for row, length in enumerate(LENGTHS):
        np.testing.assert_array_equal(out[row, :length], x[row, :length])
        assert np.all(out[row, length:] == 0)  # padded steps are zeroed, as without the scalar


def test_zero_residual_init_learns_its_scale_then_its_convolutions():
    tokens = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(50, 8, mask_zero=True)(tokens)
    block = ResBlock(8, residual_init="zero")
    x = MaskedGlobalPooling1D("max")(block(x))
    model = keras.Model(tokens, keras.layers.Dense(2, activation="softmax")(x))
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    ids = np.random.default_rng(0).integers(1, 50, size=(4, 7)).astype("int32")
    labels = np.array([0, 1, 0, 1])
    kernel = np.array(block.branches[0][0].conv.kernel)
    model.train_on_batch(ids, labels)
    # The scalar gets a gradient at 0 (a zero norm scale before the ReLU would not) ...
    assert float(block.residual_gamma) != 0.0
    np.testing.assert_array_equal(np.array(block.branches[0][0].conv.kernel), kernel)
    # ... and once it is not 0, the convolution trains too.
    model.train_on_batch(ids, labels)
    assert not np.allclose(np.array(block.branches[0][0].conv.kernel), kernel)


def test_default_residual_init_adds_no_weight():
    block = ResBlock(4)
    block(np.ones((1, 3, 4), "float32"))
    assert block.residual_gamma is None
    assert not any("residual_gamma" in w.path for w in block.weights)


@pytest.mark.parametrize("residual_init", ["default", "zero"])
def test_config_round_trip(residual_init):
    block = ResBlock(
        12, kernel_size=5, num_layers=3, kernel_sizes=(3, 5), dilation_rate=2, separable=True,
        downsample=True, norm="layer", activation="gelu", dropout=0.1, drop_path=0.2, se_ratio=0.5,
        kernel_regularizer=keras.regularizers.L2(1e-4), residual_init=residual_init,
    )
    restored = ResBlock.from_config(block.get_config())
    assert restored.get_config() == block.get_config()
    assert restored.residual_init == residual_init


def test_zero_residual_init_saves_and_loads_its_scale(tmp_path):
    tokens = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(50, 8, mask_zero=True)(tokens)
    block = ResBlock(8, residual_init="zero", name="block")
    model = keras.Model(tokens, MaskedGlobalPooling1D("max")(block(x)))
    block.residual_gamma.assign(0.7)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert float(restored.get_layer("block").residual_gamma) == pytest.approx(0.7)
    ids = np.array([[3, 4, 5, 0]], "int32")
    np.testing.assert_array_equal(np.asarray(model(ids)), np.asarray(restored(ids)))


@pytest.mark.parametrize("options", [{"separable": True}, {"kernel_sizes": (3, 5, 7)}])
def test_variants_train_one_step(options):
    tokens = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(50, 8, mask_zero=True)(tokens)
    x = ResBlock(8, **options)(x)
    x = MaskedGlobalPooling1D("max")(x)
    model = keras.Model(tokens, keras.layers.Dense(2, activation="softmax")(x))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [np.array(w) for w in model.trainable_weights]
    ids = np.random.default_rng(0).integers(1, 50, size=(4, 7)).astype("int32")
    loss = model.train_on_batch(ids, np.array([0, 1, 0, 1]))
    assert np.isfinite(loss)
    changed = [not np.allclose(a, np.array(b)) for a, b in zip(before, model.trainable_weights)]
    assert all(changed)


def test_runs_in_mixed_bfloat16():
    keras.config.set_dtype_policy("mixed_bfloat16")
    block = ResBlock(8, downsample=True, norm="batch", se_ratio=0.5)
    out = block(np.ones((2, 6, 4), "float32"), mask=np.array([[True] * 6, [True] * 2 + [False] * 4]))
    assert keras.backend.standardize_dtype(out.dtype) == "bfloat16"
    assert np.all(np.isfinite(np.asarray(keras.ops.cast(out, "float32"))))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"filters": 0}, "filters"),
        ({"filters": 8, "kernel_size": 0}, "kernel_size"),
        ({"filters": 8, "num_layers": 0}, "num_layers"),
        ({"filters": 8, "norm": "group"}, "norm"),
        ({"filters": 8, "dropout": 1.5}, "dropout"),
        ({"filters": 8, "drop_path": -0.1}, "drop_path"),
        ({"filters": 8, "se_ratio": 2.0}, "se_ratio"),
        ({"filters": 8, "kernel_sizes": ()}, "kernel_sizes"),
        ({"filters": 8, "dilation_rate": 0}, "dilation_rate"),
        ({"filters": 8, "residual_init": "ones"}, "residual_init"),
    ],
)
def test_invalid_arguments_name_argument_value_and_allowed(kwargs, argument):
    with pytest.raises(ValueError) as error:
        ResBlock(**kwargs)
    message = str(error.value)
    assert f"`{argument}` must be" in message
    assert f"Received: {argument}=" in message
