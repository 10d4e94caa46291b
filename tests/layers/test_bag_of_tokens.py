import keras
import numpy as np
import pytest

from keras_restext.layers import BagOfTokensLogits, token_idf


def _layer_with_weights(scale: float = 1.0) -> tuple[BagOfTokensLogits, np.ndarray]:
    layer = BagOfTokensLogits(units=3, vocab_size=10, scale=scale)
    layer.build((None, None))
    weights = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")
    layer.token_weights.assign(weights)
    return layer, weights


def test_logits_are_a_linear_model_on_the_l2_normalised_binary_tf_idf_vector():
    layer, weights = _layer_with_weights(scale=2.0)
    idf = np.linspace(0.5, 3.0, 10).astype("float32")
    layer.idf.assign(idf)
    out = np.asarray(layer(np.array([[4, 7, 4, 0], [9, 0, 0, 0]])))
    # Token 4 counts once although it appears twice.
    expected = (idf[4] * weights[4] + idf[7] * weights[7]) / np.hypot(idf[4], idf[7])
    np.testing.assert_allclose(out[0], 2.0 * expected, rtol=1e-5)
    np.testing.assert_allclose(out[1], 2.0 * weights[9], rtol=1e-5)


def test_repeats_and_order_do_not_change_the_logits():
    layer, _ = _layer_with_weights()
    layer.idf.assign(np.linspace(0.5, 3.0, 10).astype("float32"))
    once = np.asarray(layer(np.array([[3, 8, 5, 0, 0, 0]])))
    repeated = np.asarray(layer(np.array([[5, 3, 5, 8, 3, 5]])))
    np.testing.assert_allclose(once, repeated, rtol=1e-5)


def test_token_idf_is_the_smoothed_idf_of_the_texts_and_zero_for_unseen_ids():
    # Three texts in two batches; id 2 in all three (once repeated), 3 in one, 4 in none.
    batches = [np.array([[2, 3, 2], [2, 0, 0]]), np.array([[2, 5]])]
    idf = token_idf(batches, vocab_size=6)
    expected = [0.0, 0.0, np.log(4 / 4) + 1, np.log(4 / 2) + 1, 0.0, np.log(4 / 2) + 1]
    np.testing.assert_allclose(idf, expected, rtol=1e-6)


def test_adapt_sets_the_idf_that_weighs_rare_tokens_more():
    layer = BagOfTokensLogits(units=2, vocab_size=5)
    layer.adapt([np.array([[2, 3], [2, 0], [2, 4]])])
    idf = np.asarray(layer.idf)
    assert idf[3] == idf[4] > idf[2] > 0 and idf[0] == idf[1] == 0


@pytest.mark.parametrize(
    "batch, message",
    [
        (np.array([1, 2]), r"must yield \[batch, time\] id batches. Received a batch of shape \(2,\)"),
        (np.array([[1, 6]]), r"Token ids must lie in \[0, 6\) \(`vocab_size`\). Received ids from 1 to 6"),
    ],
)
def test_token_idf_rejects_bad_batches(batch, message):
    with pytest.raises(ValueError, match=message):
        token_idf([batch], vocab_size=6)


def test_the_idf_is_saved_with_the_model(tmp_path):
    ids = keras.Input((None,), dtype="int32")
    model = keras.Model(ids, BagOfTokensLogits(units=2, vocab_size=5, name="wide")(ids))
    model.get_layer("wide").adapt([np.array([[2, 3], [2, 0], [2, 4]])])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(np.asarray(loaded.get_layer("wide").idf), np.asarray(model.get_layer("wide").idf))


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
