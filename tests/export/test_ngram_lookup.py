"""`NGramLookup` and `LiteRTWordTokenizer`: n-gram ids found from word ids equal the word
tokenizer's string-table ids, for vocabularies the words do not lead, n-grams of words that are no
entry, trigrams whose bigram is no entry, and entries splitting can never produce."""

import random

import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data.tokenizers import WordTokenizer
from keras_restext.export.litert_tokenizers import LiteRTWordTokenizer
from keras_restext.export.ngram_lookup import NGramLookup
from tests.export.test_litert import real_texts

HAND_MADE = [
    "not good", "good", "not", "very not good", "a b c", "x y", "b c", "not\tgood", "a  b", "zz",
    "c d e f",
]  # fmt: skip
TEXTS = [
    "not good", "very not good at all", "a b c d", "x y z", "b c d e f", "c d e f", "not\tgood",
    "a  b", "zz top", "", "unknown words only", "not not good good",
]  # fmt: skip


def _ids(tokenizer: WordTokenizer, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    converted = tf.function(LiteRTWordTokenizer(tokenizer))
    return converted(tf.constant(texts)).numpy(), tokenizer(tf.constant(texts)).numpy()


@pytest.mark.parametrize("ngrams", [1, 2, 3, 4])
def test_hand_made_vocabulary_gives_the_tokenizers_ids(ngrams):
    # Entries out of order (the words do not lead), words that are only inside n-grams ("y",
    # "very"), a trigram whose bigram "very not" is no entry, and unreachable entries (a tab, two spaces).
    tokenizer = WordTokenizer(vocabulary=HAND_MADE, ngrams=ngrams, max_tokens=None, max_length=64)
    converted, expected = _ids(tokenizer, TEXTS)
    np.testing.assert_array_equal(converted, expected)
    hit = set(expected.flatten().tolist())
    vocabulary = tokenizer.get_vocabulary()
    assert {vocabulary.index(t) for t in ["not", "good", "zz"]} <= hit  # the texts do hit the vocabulary
    if ngrams >= 2:
        assert {vocabulary.index(t) for t in ["not good", "x y", "b c"]} <= hit
    if ngrams >= 3:
        assert {vocabulary.index(t) for t in ["very not good", "a b c"]} <= hit


@pytest.mark.parametrize("seed", [0, 1])
def test_shuffled_real_vocabulary_gives_the_tokenizers_ids(seed):
    adapted = WordTokenizer(ngrams=3, max_tokens=None).adapt(list(real_texts()))
    entries = adapted.get_vocabulary()[2:]
    random.Random(seed).shuffle(entries)
    # Half of the entries, in random order: many n-grams lose their words, trigrams their bigrams.
    tokenizer = WordTokenizer(vocabulary=entries[: len(entries) // 2], ngrams=3, max_tokens=None, max_length=128)
    converted, expected = _ids(tokenizer, list(real_texts()))
    np.testing.assert_array_equal(converted, expected)


def test_a_vocabulary_without_ngrams_answers_every_ngram_oov():
    lookup = NGramLookup(["", "[UNK]", "a", "b"], ngrams=2)
    keys = lookup.word_keys(tf.constant(["a", "b", "c"]))
    np.testing.assert_array_equal(lookup.word_ids(keys).numpy(), [2, 3, 1])
    nodes = lookup.extend(keys[:2], keys[1:], width=2)
    np.testing.assert_array_equal(lookup.ngram_ids(nodes, width=2).numpy(), [1, 1])


def test_words_that_lead_the_vocabulary_need_no_id_array():
    leading = NGramLookup(["", "[UNK]", "not", "good", "not good"], ngrams=2)
    trailing = NGramLookup(["", "[UNK]", "not good", "not", "good"], ngrams=2)
    assert leading._words_lead and not trailing._words_lead
    for lookup, expected in ((leading, [2, 3, 4]), (trailing, [3, 4, 2])):
        keys = lookup.word_keys(tf.constant(["not", "good"]))
        ngram = lookup.ngram_ids(lookup.extend(keys[:1], keys[1:], width=2), width=2)
        np.testing.assert_array_equal(np.concatenate([lookup.word_ids(keys).numpy(), ngram.numpy()]), expected)
