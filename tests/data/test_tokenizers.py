import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data import (
    CharTokenizer,
    WordPieceTokenizer,
    WordTokenizer,
    make_tokenizer,
    read_dataset,
)

LONG = "word " * 20000  # 100,000 characters


def _ids(tokenizer, texts):
    return tokenizer(tf.constant(texts)).numpy().tolist()


# -- word ------------------------------------------------------------------------------------------


def test_word_vocabulary_order_ids_and_punctuation():
    tokenizer = WordTokenizer(max_length=8).adapt(["A great film!", "a dull film."])
    # By count, then alphabetically; 0 = padding, 1 = out-of-vocabulary.
    assert tokenizer.get_vocabulary() == ["", "[UNK]", "a", "film", "!", ".", "dull", "great"]
    assert tokenizer.vocabulary_size() == 8
    assert _ids(tokenizer, ["a great, unseen film", "FILM"]) == [[2, 7, 1, 1, 3], [3, 0, 0, 0, 0]]


def test_word_options():
    texts = ["the cat sat", "the cat ran", "the dog!"]
    assert WordTokenizer(max_tokens=4).adapt(texts).get_vocabulary() == ["", "[UNK]", "the", "cat"]
    assert WordTokenizer(min_count=2).adapt(texts).get_vocabulary() == ["", "[UNK]", "the", "cat"]
    strip = WordTokenizer(punctuation="strip").adapt(texts)
    assert "!" not in strip.get_vocabulary() and "dog" in strip.get_vocabulary()
    cased = WordTokenizer(lowercase=False).adapt(["The the"])
    assert set(cased.get_vocabulary()[2:]) == {"The", "the"}
    bigrams = WordTokenizer(ngrams=2).adapt(["not good", "not bad"])
    assert {"not good", "not bad"} <= set(bigrams.get_vocabulary())
    ids = _ids(bigrams, ["not good"])[0]
    assert len(ids) == 3 and bigrams.get_vocabulary()[ids[2]] == "not good"  # words, then bigrams


def test_word_words_first_chooses_repeated_words_before_ngrams():
    texts = ["not good"] * 3 + ["fine movie", "fine"]  # counts: not/good/"not good" 3, fine 2, movie 1
    assert WordTokenizer(ngrams=2, max_tokens=5).adapt(texts).get_vocabulary()[2:] == ["good", "not", "not good"]
    first = WordTokenizer(ngrams=2, max_tokens=5, words_first=True).adapt(texts)
    assert first.get_vocabulary()[2:] == ["good", "not", "fine"]
    # The repeated words take the first ids, then the rest by count. A word seen once does not jump
    # ahead of n-grams: it competes with them, by count then alphabetically.
    larger = WordTokenizer(ngrams=2, max_tokens=8, words_first=True).adapt(texts).get_vocabulary()
    assert larger[2:] == ["good", "not", "fine", "not good", "fine movie", "movie"]
    # Hence the first entries of a larger vocabulary are the smaller one, as `deep_vocab_size` assumes.
    for words_first in (False, True):
        big = WordTokenizer(ngrams=2, max_tokens=None, words_first=words_first).adapt(texts).get_vocabulary()
        for max_tokens in (3, 4, 5, 6, 7):
            small = WordTokenizer(ngrams=2, max_tokens=max_tokens, words_first=words_first).adapt(texts)
            assert big[:max_tokens] == small.get_vocabulary()
    clone = WordTokenizer.from_config(first.get_config())
    assert clone.words_first and clone.get_vocabulary() == first.get_vocabulary()


def test_word_lengths_padding_and_input_shapes():
    tokenizer = WordTokenizer(max_length=4).adapt(["a b c d e f"])
    assert _ids(tokenizer, ["a b c d e f", "a"]) == [[2, 3, 4, 5], [2, 0, 0, 0]]  # truncated
    assert tokenizer(tf.constant(["", ""])).shape == (2, 1)  # empty: all zeros, width >= 1
    assert tokenizer(tf.constant([LONG])).shape == (1, 4)
    assert tokenizer(tf.constant("a b")).numpy().tolist() == [2, 3]  # a scalar
    assert tokenizer(tf.constant([["a"], ["b c"]])).shape == (2, 2)  # [batch, 1]
    assert tokenizer(["a", "b"]).dtype == tf.int32  # a Python list
    fixed = WordTokenizer(max_length=6, pad_to_max_length=True).adapt(["a b"])
    assert fixed(tf.constant(["a", ""])).shape == (2, 6)


def test_word_vocabulary_argument_and_file(tmp_path):
    tokenizer = WordTokenizer(["good", "bad"])
    assert tokenizer.get_vocabulary() == ["", "[UNK]", "good", "bad"]
    path = tokenizer.save_vocabulary(tmp_path / "vocab.txt")
    assert WordTokenizer(path).get_vocabulary() == tokenizer.get_vocabulary()
    with pytest.raises(ValueError, match="duplicate tokens"):
        WordTokenizer(["a", "a"])
    with pytest.raises(ValueError, match="has no vocabulary: call adapt"):
        WordTokenizer()(tf.constant(["x"]))


def test_word_adapt_on_shared_data(shared_data):
    data = read_dataset(shared_data / "mr" / "train.csv", limit=200)
    tokenizer = make_tokenizer("word", max_tokens=500, max_length=64).adapt(data)
    assert tokenizer.vocabulary_size() == 500
    texts, _ = data.texts_and_labels()
    ids = tokenizer(tf.constant(texts[:8])).numpy()
    assert ids.shape[0] == 8 and ids.shape[1] <= 64 and (ids[:, 0] > 0).all()
    assert (ids > 1).sum() / (ids > 0).sum() > 0.5  # most words of the training texts are in the vocabulary


def test_word_and_char_config_round_trip():
    texts = ["Ceci est un test", "another TEST, with ünïcode"]
    for tokenizer in (
        WordTokenizer(ngrams=2, max_length=10).adapt(texts),
        CharTokenizer(max_length=12).adapt(texts),
        CharTokenizer(mode="bytes", max_length=12),
        CharTokenizer(alphabet="vdcnn", max_length=12),
    ):
        clone = type(tokenizer).from_config(tokenizer.get_config())
        assert clone.get_vocabulary() == tokenizer.get_vocabulary()
        assert _ids(clone, texts) == _ids(tokenizer, texts)


def test_keras_file_round_trip(tmp_path):
    texts = ["a good film", "un film"]
    inputs = keras.Input(shape=(), dtype="string")
    word = WordTokenizer(max_length=5).adapt(texts)
    char = CharTokenizer(max_length=7).adapt(texts)
    model = keras.Model(inputs, {"word": word(inputs), "char": char(inputs)})
    model.save(tmp_path / "tok.keras")
    restored = keras.models.load_model(tmp_path / "tok.keras")
    before, after = model(tf.constant(texts + ["new"])), restored(tf.constant(texts + ["new"]))
    for key in ("word", "char"):
        np.testing.assert_array_equal(before[key], after[key])


@pytest.mark.slow
def test_saved_model_with_word_tokenizer_loads_with_plain_tensorflow(tmp_path):
    tokenizer = WordTokenizer(max_length=5).adapt(["a good film", "a bad film"])

    class Serving(tf.Module):
        def __init__(self):
            super().__init__()
            self.tokenizer = tokenizer

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def serve(self, texts):
            return self.tokenizer(texts)

    tf.saved_model.save(Serving(), str(tmp_path / "sm"))
    expected = _ids(tokenizer, ["a good film!", ""])
    code = textwrap.dedent(
        f"""
        import sys
        import tensorflow as tf
        model = tf.saved_model.load({str(tmp_path / "sm")!r})
        print(model.serve(tf.constant(["a good film!", ""])).numpy().tolist())
        assert not any(m.startswith(("tensorflow_text", "keras_restext")) for m in sys.modules), "extra imports"
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == str(expected)


# -- char ------------------------------------------------------------------------------------------


def test_char_vdcnn_alphabet():
    tokenizer = CharTokenizer(alphabet="vdcnn", max_length=6)
    assert tokenizer.vocabulary_size() == 71  # 69 characters + padding + OOV
    assert _ids(tokenizer, ["Hi!", "", "é"]) == [[9, 10, 42], [0, 0, 0], [1, 0, 0]]
    assert tokenizer.adapt(["anything"]) is tokenizer  # a fixed alphabet: adapt does nothing
    assert tokenizer(tf.constant([LONG])).shape == (1, 6)


def test_char_learned_and_bytes_modes():
    chars = CharTokenizer(max_length=10).adapt(["aab", "é"])
    assert chars.get_vocabulary() == ["", "[UNK]", "a", "b", "é"]
    assert _ids(chars, ["bé?"]) == [[3, 4, 1]]
    raw = CharTokenizer(mode="bytes", max_length=4)
    assert raw.vocabulary_size() == 258
    assert _ids(raw, ["Aé"]) == [[97 + 2, 0xC3 + 2, 0xA9 + 2]]  # lower-cased bytes + 2


def test_char_non_utf8_bytes_do_not_crash():
    bad = tf.constant([b"ok \xff\xfe", b"\xc3"])
    assert CharTokenizer(alphabet="vdcnn", max_length=8)(bad).shape == (2, 5)
    assert CharTokenizer(mode="bytes", max_length=8)(bad).numpy()[0, 3] == 0xFF + 2
    chars = CharTokenizer(max_length=8).adapt(["ok"])
    assert chars(bad).numpy()[0].tolist()[:5] == [3, 2, 1, 1, 1]


# -- wordpiece ---------------------------------------------------------------------------------------


def test_wordpiece_adapt_tokenize_and_round_trip(shared_data):
    data = read_dataset(shared_data / "mr" / "train.csv", limit=200)
    tokenizer = WordPieceTokenizer(vocab_size=400, max_length=32).adapt(data)
    vocabulary = tokenizer.get_vocabulary()
    assert vocabulary[:2] == ["[PAD]", "[UNK]"] and 100 < len(vocabulary) <= 400
    assert any(token.startswith("##") for token in vocabulary)
    ids = tokenizer(tf.constant(["An unwatchable, dreadful Film", ""])).numpy()
    assert ids.shape[0] == 2 and ids.shape[1] <= 32
    assert (ids[0][ids[0] > 0] >= 1).all() and ids[1].tolist() == [0] * ids.shape[1]
    clone = WordPieceTokenizer.from_config(tokenizer.get_config())
    np.testing.assert_array_equal(clone(tf.constant(["An unwatchable film"])), tokenizer(tf.constant(["An unwatchable film"])))
    assert tokenizer(tf.constant([LONG])).shape == (1, 32)


# -- make_tokenizer ---------------------------------------------------------------------------------


def test_make_tokenizer():
    assert isinstance(make_tokenizer("word", max_length=16), WordTokenizer)
    assert make_tokenizer(**{"kind": "char", "mode": "chars", "alphabet": "vdcnn", "max_length": 1024}).max_length == 1024
    assert isinstance(make_tokenizer("wordpiece", vocab_size=100), WordPieceTokenizer)
    with pytest.raises(ValueError, match="Unknown tokenizer kind 'bpe'. Allowed kinds: word, char, wordpiece"):
        make_tokenizer("bpe")
    with pytest.raises(ValueError, match=r"Unknown argument\(s\) \['ngrams'\] for the 'char' tokenizer\. Allowed: vocabulary"):
        make_tokenizer("char", ngrams=2)
    with pytest.raises(ValueError, match="`mode` must be one of"):
        make_tokenizer("char", mode="words")
