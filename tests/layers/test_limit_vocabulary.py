import keras
import numpy as np
import pytest

from keras_restext.layers import LimitVocabulary


def test_ids_past_the_limit_become_out_of_vocabulary_and_padding_stays():
    ids = np.array([[0, 1, 2, 3, 4, 5, 100], [7, 3, 0, 0, 0, 0, 0]], "int32")
    out = np.asarray(LimitVocabulary(4)(ids))
    np.testing.assert_array_equal(out, [[0, 1, 2, 3, 1, 1, 1], [1, 3, 0, 0, 0, 0, 0]])
    assert out.dtype == np.int32


def test_a_limit_past_every_id_changes_nothing():
    ids = np.array([[9, 2, 0]], "int32")
    np.testing.assert_array_equal(np.asarray(LimitVocabulary(10)(ids)), ids)


def test_config_round_trip_and_serialization():
    layer = LimitVocabulary(30, name="limit")
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(clone, LimitVocabulary) and clone.vocab_size == 30 and clone.name == "limit"


@pytest.mark.parametrize("vocab_size", [1, 2.5, None])
def test_invalid_vocab_size_is_explained(vocab_size):
    with pytest.raises(ValueError, match=r"`vocab_size` must be an int >= 2. Received: vocab_size="):
        LimitVocabulary(vocab_size)


def test_ids_stay_int32_under_a_mixed_policy():
    keras.config.set_dtype_policy("mixed_float16")
    layer = LimitVocabulary(4)
    out = layer(np.array([[2, 9, 0]], "int64"))
    assert layer.compute_dtype == "int32" and keras.backend.standardize_dtype(out.dtype) == "int32"
    assert layer.compute_output_spec(keras.KerasTensor((1, 3), "int64")).dtype == "int32"


@pytest.mark.parametrize("dtype", ["float32", "mixed_bfloat16"])
def test_a_float_dtype_is_refused(dtype):
    with pytest.raises(ValueError, match=rf"`dtype` must be an integer dtype .* Received: dtype='{dtype}'"):
        LimitVocabulary(4, dtype=dtype)


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_configs_saved_with_a_float_policy_still_load(policy):
    # What the layer's get_config held before it declared an integer dtype.
    config = {"name": "limit", "trainable": True, "vocab_size": 4,
              "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": policy}, "registered_name": None}}  # fmt: skip
    layer = LimitVocabulary.from_config(config)
    assert layer.compute_dtype == "int32"
    np.testing.assert_array_equal(np.asarray(layer(np.array([[3, 4]], "int32"))), [[3, 1]])
