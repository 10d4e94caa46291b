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
