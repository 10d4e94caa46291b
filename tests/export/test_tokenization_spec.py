"""`tokenization.md` is enough to feed `model_ids.tflite`: its rules, written here in plain Python
(no TensorFlow in the reimplementation), give the package tokenizer's ids on real texts."""

import unicodedata

import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data import make_tokenizer
from keras_restext.export.litert import export_litert
from tests.export.test_litert import real_texts, serving_model

ASCII_WHITESPACE = " \t\n\v\f\r"  # the spec: "runs of ASCII whitespace"


def read_vocabulary(path) -> dict[str, int]:
    """The spec: the id of a token is its line number minus 1."""
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    return {token: index for index, token in enumerate(lines)}


def spec_word_ids(text: str, vocabulary: dict[str, int], *, lowercase: bool, punctuation: str, ngrams: int,
                  max_length: int) -> list[int]:  # fmt: skip
    if lowercase:
        text = text.lower()
    is_mark = [unicodedata.category(c)[0] in "PS" for c in text]
    if punctuation == "split":
        text = "".join(f" {c} " if mark else c for c, mark in zip(text, is_mark))
    elif punctuation == "strip":
        text = "".join(" " if mark else c for c, mark in zip(text, is_mark))
    for space in ASCII_WHITESPACE:
        text = text.replace(space, " ")
    words = [word for word in text.split(" ") if word]
    tokens = list(words)
    for width in range(2, ngrams + 1):
        tokens += [" ".join(words[i : i + width]) for i in range(len(words) - width + 1)]
    return [vocabulary.get(token, 1) for token in tokens][:max_length]


def spec_char_ids(text: str, vocabulary: dict[str, int], *, lowercase: bool, max_length: int) -> list[int]:
    if lowercase:
        text = text.lower()
    return [vocabulary.get(c, 1) for c in text][:max_length]


def pad(rows: list[list[int]], width: int | None = None) -> np.ndarray:
    """The spec: padding id 0 at the end, to the longest text; an empty text is one id 0."""
    width = width or max(1, *(len(row) for row in rows))
    return np.array([row + [0] * (width - len(row)) for row in rows], dtype=np.int32)


WORD_TOKENIZERS = {
    "restext_base": dict(kind="word", ngrams=2, words_first=True, max_tokens=5000, max_length=48),
    "trigrams_strip": dict(kind="word", ngrams=3, punctuation="strip", max_tokens=5000, max_length=64),
    "keep_cased": dict(kind="word", punctuation="keep", lowercase=False, max_tokens=3000, max_length=30),
}


def _serving_model_with(tokenizer):
    from keras_restext import build_resnet_classifier
    from keras_restext.export import build_serving_model

    classifier = build_resnet_classifier(2, tokenizer.vocabulary_size(), preset="restext_small")
    return build_serving_model(tokenizer, classifier, ["negative", "positive"])


@pytest.mark.parametrize("name", sorted(WORD_TOKENIZERS))
def test_the_word_spec_gives_the_tokenizers_ids(tmp_path, name):
    config = WORD_TOKENIZERS[name]
    tokenizer = make_tokenizer(**config).adapt(list(real_texts()))
    export_litert(_serving_model_with(tokenizer), str(tmp_path))
    spec = (tmp_path / "tokenization.md").read_text(encoding="utf-8")
    assert f"Keep the first {config['max_length']} ids" in spec
    assert ("N-grams" in spec) == (config.get("ngrams", 1) > 1)
    vocabulary = read_vocabulary(tmp_path / "vocabulary.txt")
    texts = list(real_texts())
    options = dict(
        lowercase=config.get("lowercase", True), punctuation=config.get("punctuation", "split"),
        ngrams=config.get("ngrams", 1), max_length=config["max_length"],
    )  # fmt: skip
    expected = tokenizer(tf.constant(texts)).numpy()
    np.testing.assert_array_equal(pad([spec_word_ids(t, vocabulary, **options) for t in texts]), expected)


@pytest.mark.parametrize("kind", ["vdcnn_9_chars"])
def test_the_char_spec_gives_the_tokenizers_ids(tmp_path, kind):
    model = serving_model(kind)
    tokenizer = model.layers[1]
    export_litert(model, str(tmp_path))
    assert "Every Unicode code point is one token" in (tmp_path / "tokenization.md").read_text(encoding="utf-8")
    vocabulary = read_vocabulary(tmp_path / "vocabulary.txt")
    texts = list(real_texts())
    rows = [spec_char_ids(t, vocabulary, lowercase=True, max_length=tokenizer.max_length) for t in texts]
    np.testing.assert_array_equal(pad(rows), tokenizer(tf.constant(texts)).numpy())
