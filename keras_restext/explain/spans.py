"""Which words (or characters) each token id of a text stands for.

The display unit of an explanation is what the trunk reads one position of: the words of a
`WordTokenizer` (its n-gram ids, appended after the words, each span several words), the
characters of a `CharTokenizer`, the pieces of a `WordPieceTokenizer`. `token_spans` maps every
position of the tokenizer's ids to the half-open range of units it covers, so that an n-gram's
attribution can be shared evenly by the words it spans.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def word_count(num_ids: int, ngrams: int) -> int:
    """The words of a words-then-n-grams id sequence of `num_ids` ids (as `KeepWords` counts
    them): the largest w whose words, bigrams, ..., n-grams fit in `num_ids`.

    Example:
    >>> word_count(5, 2), word_count(1, 2), word_count(4, 1)
    (3, 1, 4)
    """
    words = 0
    while sum(max(words + 1 - order + 1, 0) for order in range(1, ngrams + 1)) <= num_ids:
        words += 1
    return words


def token_spans(num_ids: int, ngrams: int = 1, words: int | None = None) -> list[tuple[int, int]]:
    """The units `[start, end)` that each of `num_ids` token positions covers: one unit each, or,
    for a words-then-n-grams sequence (`ngrams` > 1) of a text of `words` words (`text_words`;
    None: as many as `num_ids` ids hold, `word_count`), the words of every n-gram
    (`tf.strings.ngrams` order: all words, then all bigrams, ...; cut at `num_ids`).

    Example:
    >>> token_spans(5, ngrams=2)
    [(0, 1), (1, 2), (2, 3), (0, 2), (1, 3)]
    >>> token_spans(4, ngrams=2, words=3)  # cut by the tokenizer's max_length after one bigram
    [(0, 1), (1, 2), (2, 3), (0, 2)]
    """
    if ngrams <= 1:
        return [(p, p + 1) for p in range(num_ids)]
    words = word_count(num_ids, ngrams) if words is None else words
    spans = [(start, start + order) for order in range(1, ngrams + 1) for start in range(max(words - order + 1, 0))]
    return spans[:num_ids]


def text_words(tokenizer, text: str) -> int:
    """How many words a `WordTokenizer` splits `text` into, before its `max_length` cuts the ids."""
    return int(tf.strings.split(tokenizer.standardize(tf.constant([text])))[0].shape[0])


def unit_strings(tokenizer, text: str, token_ids: np.ndarray, units: int) -> list[str]:
    """The strings of the first `units` units of `text` as `tokenizer` splits it: its standardised
    words (`WordTokenizer.words`), its characters (`CharTokenizer.codepoints`), or else the
    vocabulary entries of its ids (out-of-vocabulary pieces then read "[UNK]")."""
    strings = tf.constant([text])
    if hasattr(tokenizer, "words"):
        values = tokenizer.words(strings)[0].numpy().tolist()
        return [value.decode("utf-8", errors="replace") for value in values[:units]]
    if hasattr(tokenizer, "codepoints") and getattr(tokenizer, "mode", "chars") == "chars":
        return [chr(point) for point in tokenizer.codepoints(strings)[0].numpy().tolist()[:units]]
    vocabulary = tokenizer.get_vocabulary()
    return [vocabulary[int(i)] for i in token_ids[:units]]


def unit_separator(tokenizer) -> str:
    """What joins two units of a text when it is shown: nothing between characters, a space else."""
    return "" if hasattr(tokenizer, "codepoints") else " "


__all__ = ["text_words", "token_spans", "unit_separator", "unit_strings", "word_count"]
