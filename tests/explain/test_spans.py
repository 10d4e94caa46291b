import keras
import numpy as np
import pytest

from keras_restext.explain.spans import token_spans, word_count
from keras_restext.layers import KeepWords


@pytest.mark.parametrize("ngrams", [1, 2, 3])
@pytest.mark.parametrize("words", [1, 2, 3, 7])
def test_word_count_agrees_with_keep_words(ngrams, words):
    ids = np.arange(2, 2 + sum(max(words - n + 1, 0) for n in range(1, ngrams + 1)))[None]
    kept = keras.ops.convert_to_numpy(KeepWords(ngrams)(ids))[0]
    assert word_count(ids.shape[1], ngrams) == int(np.sum(kept != 0)) == words


def test_spans_follow_the_words_then_ngrams_order():
    # 3 words, their 2 bigrams and 1 trigram; cut after the first bigram.
    assert token_spans(6, 3) == [(0, 1), (1, 2), (2, 3), (0, 2), (1, 3), (0, 3)]
    assert token_spans(4, 2, words=3) == [(0, 1), (1, 2), (2, 3), (0, 2)]  # cut by max_length
    assert token_spans(4, 2, words=5) == [(0, 1), (1, 2), (2, 3), (3, 4)]  # words only
    assert token_spans(3) == [(0, 1), (1, 2), (2, 3)]


def test_a_long_text_cut_by_max_length_is_read_as_its_words():
    from keras_restext.data import make_tokenizer
    from keras_restext.explain.spans import text_words

    tokenizer = make_tokenizer("word", ngrams=2, max_length=6).adapt(["a b c d e f g h"])
    assert text_words(tokenizer, "a b c d e f g h") == 8
    ids = tokenizer.tokenize_ragged(["a b c d e f g h"]).to_list()[0]
    assert len(ids) == 6 and token_spans(6, 2, words=8) == [(p, p + 1) for p in range(6)]
