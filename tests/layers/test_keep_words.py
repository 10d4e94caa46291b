import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data.tokenizers import WordTokenizer
from keras_restext.layers import KeepWords

# Texts of 0 to 11 words, every word and n-gram in the vocabulary but "rare" and its n-grams (OOV).
TEXTS = [" ".join(["rare" if i == 3 else f"w{i}" for i in range(n)]) for n in range(12)]


def _tokenizer(ngrams: int, max_length: int) -> WordTokenizer:
    words = [f"w{i}" for i in range(12)]
    grams = [" ".join(words[i : i + order]) for order in range(2, ngrams + 1) for i in range(12 - order + 1)]
    return WordTokenizer(vocabulary=words + grams, ngrams=ngrams, max_length=max_length)


@pytest.mark.parametrize("ngrams", [1, 2, 3, 4])
def test_the_words_of_every_text_stay_in_order_and_the_ngrams_go(ngrams):
    tokenizer = _tokenizer(ngrams, max_length=64)
    ids = np.asarray(tokenizer(tf.constant(TEXTS)))
    words = np.asarray(_tokenizer(1, max_length=64)(tf.constant(TEXTS)))  # the same texts, words only
    kept = np.asarray(KeepWords(ngrams)(ids))
    for n, row in enumerate(kept):
        np.testing.assert_array_equal(row[:n], words[n, :n], err_msg=f"{n} words")
        assert not row[n:].any(), f"{n} words: ids after the words"


@pytest.mark.parametrize("ngrams, max_length, kept_words", [(2, 9, 5), (2, 8, 4), (3, 9, 4), (2, 6, 3)])
def test_a_text_cut_at_max_length_keeps_the_words_its_length_holds(ngrams, max_length, kept_words):
    ids = np.asarray(_tokenizer(ngrams, max_length)(tf.constant([TEXTS[-1]])))
    words = np.asarray(_tokenizer(1, max_length=64)(tf.constant([TEXTS[-1]])))
    kept = np.asarray(KeepWords(ngrams)(ids))
    np.testing.assert_array_equal(kept[0, :kept_words], words[0, :kept_words])
    assert not kept[0, kept_words:].any()


def test_padding_changes_neither_the_words_nor_their_positions():
    tokenizer = _tokenizer(2, max_length=64)
    ids = np.asarray(tokenizer(tf.constant(TEXTS)))
    layer = KeepWords(2)
    short = np.asarray(layer(ids))
    for extra in (1, 2, 7):
        longer = np.asarray(layer(np.pad(ids, [(0, 0), (0, extra)])))
        np.testing.assert_array_equal(longer[:, : short.shape[1]], short)
        assert not longer[:, short.shape[1] :].any()


def test_the_output_length_follows_the_input_length_only():
    # Static when the input length is static (XLA, padded batches), unknown when it is unknown.
    assert KeepWords(2).compute_output_shape((None, 2048)) == (None, 1024)
    assert KeepWords(3).compute_output_shape((4, 9)) == (4, 4)
    assert KeepWords(2).compute_output_shape((None, None)) == (None, None)
    symbolic = KeepWords(2)(keras.Input((None,), dtype="int32"))
    assert tuple(symbolic.shape) == (None, None) and symbolic.dtype == "int32"


@pytest.mark.parametrize("ngrams", [0, 2.0, True, None])
def test_invalid_ngrams_are_explained(ngrams):
    with pytest.raises(ValueError, match=r"`ngrams` must be an int >= 1. Received: ngrams="):
        KeepWords(ngrams)
