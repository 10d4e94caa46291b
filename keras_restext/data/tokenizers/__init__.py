"""Tokenizers: Keras layers mapping strings to int32 ids (0 = padding, 1 = out-of-vocabulary)."""

from __future__ import annotations

import inspect

import keras

from keras_restext.data.tokenizers.base import OOV_ID, PAD_ID, Tokenizer
from keras_restext.data.tokenizers.char import VDCNN_ALPHABET, CharTokenizer
from keras_restext.data.tokenizers.word import WordTokenizer
from keras_restext.data.tokenizers.wordpiece import WordPieceTokenizer

TOKENIZERS = {"word": WordTokenizer, "char": CharTokenizer, "wordpiece": WordPieceTokenizer}


def make_tokenizer(kind: str, **kwargs) -> keras.layers.Layer:
    """Creates a tokenizer by kind.

    Args:
        kind: "word", "char" or "wordpiece".
        **kwargs: the tokenizer's arguments (`max_length`, `max_tokens`, `mode`, `alphabet`, ...).

    Returns:
        A `WordTokenizer`, `CharTokenizer` or `WordPieceTokenizer` (not adapted yet, unless it has
        a fixed vocabulary or was given one).

    Raises:
        ValueError: an unknown kind, or an argument that kind does not take.

    Example:
    >>> make_tokenizer("char", alphabet="vdcnn", max_length=1024).vocabulary_size()
    71
    """
    if kind not in TOKENIZERS:
        raise ValueError(f"Unknown tokenizer kind {kind!r}. Allowed kinds: {', '.join(TOKENIZERS)}")
    cls = TOKENIZERS[kind]
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "kwargs")]
    allowed += ["name", "dtype", "trainable"]
    unknown = sorted(k for k in kwargs if k not in allowed)
    if unknown:
        raise ValueError(f"Unknown argument(s) {unknown} for the {kind!r} tokenizer. Allowed: {', '.join(allowed)}")
    return cls(**kwargs)


__all__ = [
    "OOV_ID",
    "PAD_ID",
    "TOKENIZERS",
    "VDCNN_ALPHABET",
    "CharTokenizer",
    "Tokenizer",
    "WordPieceTokenizer",
    "WordTokenizer",
    "make_tokenizer",
]
