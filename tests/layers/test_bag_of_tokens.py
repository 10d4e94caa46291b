import keras
import numpy as np
import pytest

from keras_restext.layers import BagOfTokensLogits


def _layer_with_weights(scale: float = 1.0) -> tuple[BagOfTokensLogits, np.ndarray]:
    layer = BagOfTokensLogits(units=3, vocab_size=10, scale=scale)
    layer.build((None, None))
    weights = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")
    layer.token_weights.assign(weights)
    return layer, weights


def test_logits_are_the_sum_of_token_weights_over_the_root_of_the_length():
    layer, weights = _layer_with_weights(scale=2.0)
    out = np.asarray(layer(np.array([[4, 7, 4, 0], [9, 0, 0, 0]])))
    np.testing.assert_allclose(out[0], 2.0 * (2 * weights[4] + weights[7]) / np.sqrt(3), rtol=1e-5)
    np.testing.assert_allclose(out[1], 2.0 * weights[9], rtol=1e-5)


def test_padding_does_not_change_the_logits_and_an_empty_text_gives_zeros():
    layer, _ = _layer_with_weights()
    short = np.asarray(layer(np.array([[3, 5, 0], [0, 0, 0]])))
    long = np.asarray(layer(np.array([[3, 5, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]])))
    np.testing.assert_allclose(short, long, rtol=1e-6)
    np.testing.assert_array_equal(short[1], np.zeros(3))


def test_starts_at_zero_and_learns_from_its_tokens():
    layer = BagOfTokensLogits(units=2, vocab_size=6)
    ids = np.array([[2, 3, 0], [4, 5, 5]])
    np.testing.assert_array_equal(np.asarray(layer(ids)), np.zeros((2, 2)))
    model = keras.Sequential([keras.Input((None,), dtype="int32"), layer, keras.layers.Activation("softmax")])
    model.compile(keras.optimizers.Adam(0.1), "sparse_categorical_crossentropy")
    model.fit(ids, np.array([0, 1]), epochs=20, verbose=0)
    assert list(np.argmax(model.predict(ids, verbose=0), -1)) == [0, 1]
    # The padding row gets no gradient: it stays zero.
    np.testing.assert_array_equal(np.asarray(layer.token_weights)[0], np.zeros(2))


def test_config_round_trip():
    layer = BagOfTokensLogits(units=4, vocab_size=50, scale=3.0, name="wide")
    clone = BagOfTokensLogits.from_config(layer.get_config())
    assert (clone.units, clone.vocab_size, clone.scale, clone.name) == (4, 50, 3.0, "wide")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": 0, "vocab_size": 10}, r"`units` must be an int >= 1. Received: units=0"),
        ({"units": 2, "vocab_size": 1}, r"`vocab_size` must be an int >= 2. Received: vocab_size=1"),
        ({"units": 2, "vocab_size": 10, "scale": 0.0}, r"`scale` must be > 0. Received: scale=0.0"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BagOfTokensLogits(**kwargs)
