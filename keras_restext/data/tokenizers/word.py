"""`WordTokenizer`: words (and optional word n-grams) → ids, with core TensorFlow ops only."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_restext.checks import check_choice, check_positive_int
from keras_restext.data.tokenizers.base import (
    Tokenizer,
    count_items,
    normalize_vocabulary,
    replace_control_characters,
    string_batches,
    too_few,
    top_items,
)
from keras_restext.token_ids import OOV_ID, OOV_TOKEN, PAD_TOKEN

PUNCTUATION = ("split", "strip", "keep")
# Unicode punctuation and symbols: a superset of TextVectorization's ASCII punctuation set.
PUNCTUATION_PATTERN = r"[\p{P}\p{S}]"


@keras.saving.register_keras_serializable(package="keras_restext")
class WordTokenizer(Tokenizer):
    """Lower-cases, splits punctuation off words, splits on whitespace, and maps words to ids.

    Like `keras.layers.TextVectorization` (lower-casing, punctuation, whitespace split, a
    frequency-ranked vocabulary with 0 = padding and 1 = out-of-vocabulary), except that punctuation
    marks become tokens of their own by default (`"great!"` → `great`, `!`), which carries signal for
    sentiment. `call` uses only core TensorFlow ops (`tf.strings`, `tf.lookup`), so a SavedModel that
    contains it loads with a plain `import tensorflow`.

    Args:
        vocabulary: tokens (most frequent first) or the path of a one-token-per-line file; a leading
            `""`, `"[UNK]"` pair (as `get_vocabulary()` returns) is accepted. None: call `adapt()`.
        max_tokens: the largest `vocabulary_size()`, ids 0 and 1 included (None: no limit).
        min_count: keep only words seen at least this often when adapting.
        ngrams: 1 for words; n > 1 also emits the 2..n-grams ("not good"), appended after the words
            (fastText style) before truncation to `max_length`.
        lowercase: lower-case first (Unicode-aware).
        punctuation: "split" (punctuation and symbols become tokens), "strip" (removed, like
            TextVectorization) or "keep" (split on whitespace only).
        max_length: the longest output; longer texts are truncated.
        pad_to_max_length: pad every batch to exactly `max_length`.
        words_first: when adapting with `ngrams` > 1, every word seen at least twice enters the
            vocabulary before any n-gram, so that a full vocabulary does not trade words for n-grams:
            the repeated words take the first ids (by count), then the other entries (by count).
            On long texts frequent n-grams otherwise crowd words out: in 20 Newsgroups only 9.6k of
            30k entries were words. On short texts, where the vocabulary limit falls at a count of 1
            or 2, it changes little.

    Example:
    >>> tokenizer = WordTokenizer(max_length=8)
    >>> tokenizer.adapt(["A great film!", "a dull film."]).get_vocabulary()[:4]
    ['', '[UNK]', 'a', 'film']
    >>> tokenizer(["a great, unseen film"]).numpy().tolist()
    [[2, 7, 1, 1, 3]]
    """

    def __init__(
        self,
        vocabulary=None,
        *,
        max_tokens: int | None = 20000,
        min_count: int = 1,
        ngrams: int = 1,
        lowercase: bool = True,
        punctuation: str = "split",
        max_length: int = 256,
        pad_to_max_length: bool = False,
        words_first: bool = False,
        **kwargs,
    ):
        super().__init__(max_length=max_length, pad_to_max_length=pad_to_max_length, lowercase=lowercase, **kwargs)
        check_positive_int("max_tokens", max_tokens, allow_none=True)
        check_positive_int("min_count", min_count)
        check_positive_int("ngrams", ngrams)
        if max_tokens is not None and max_tokens < 3:
            raise ValueError(f"`max_tokens` counts ids 0 and 1 too, so it must be >= 3. Received: max_tokens={max_tokens}")
        check_choice("punctuation", punctuation, PUNCTUATION)
        self.max_tokens = max_tokens
        self.min_count = int(min_count)
        self.ngrams = int(ngrams)
        self.words_first = bool(words_first)
        self.punctuation = punctuation
        self._tokens: np.ndarray | None = None
        self.lookup_table = None
        self.set_vocabulary(normalize_vocabulary(vocabulary))

    def set_vocabulary(self, tokens: list[str] | None) -> None:
        """Replaces the vocabulary (tokens without the reserved "" and "[UNK]")."""
        if tokens is None:
            return
        tokens = normalize_vocabulary(tokens)
        if self.max_tokens is not None:
            tokens = tokens[: self.max_tokens - 2]
        # A NumPy array, not a list: Keras walks a list attribute to track its items (1.2 s under
        # cProfile for restext_base's 200,000 tokens on a 2-core CPU).
        self._tokens = np.asarray(tokens, dtype=object)
        init = tf.lookup.KeyValueTensorInitializer(
            tf.constant(tokens, dtype=tf.string, shape=[len(tokens)]),
            tf.range(2, len(tokens) + 2, dtype=tf.int64),
        )
        self.lookup_table = tf.lookup.StaticHashTable(init, default_value=OOV_ID)

    def standardize(self, strings: tf.Tensor) -> tf.Tensor:
        """The text as the tokenizer sees it before splitting on whitespace: control characters
        as spaces, lower-cased, punctuation split off (or stripped)."""
        strings = replace_control_characters(strings)
        if self.lowercase:
            strings = tf.strings.lower(strings, encoding="utf-8")
        if self.punctuation == "split":
            strings = tf.strings.regex_replace(strings, PUNCTUATION_PATTERN, r" \0 ")
        elif self.punctuation == "strip":
            strings = tf.strings.regex_replace(strings, PUNCTUATION_PATTERN, " ")
        return strings

    def words(self, strings: tf.Tensor) -> tf.RaggedTensor:
        """strings `[batch]` → token strings `[batch, (words and n-grams)]`."""
        words = tf.strings.split(self.standardize(strings))
        if self.ngrams > 1:
            words = tf.strings.ngrams(words, ngram_width=tuple(range(1, self.ngrams + 1)), separator=" ")
        return words

    def _check_ready(self) -> None:
        if self.lookup_table is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} has no vocabulary: call adapt(texts) or pass vocabulary=."
            )

    def _ragged_ids(self, strings):
        return tf.ragged.map_flat_values(self.lookup_table.lookup, self.words(strings))

    def adapt(self, data, batch_size: int = 1024) -> WordTokenizer:
        """Builds the vocabulary: tokens by decreasing count (ties alphabetical), at most
        `max_tokens - 2` of them, each seen at least `min_count` times; with `words_first`, the
        words seen twice or more come first. The first n entries are the vocabulary that
        `max_tokens=n + 2` would build."""
        counts = count_items(string_batches(data, batch_size), lambda s: self.words(s).flat_values)
        limit = None if self.max_tokens is None else self.max_tokens - 2
        ranked = top_items(counts, None, self.min_count)
        if self.words_first:
            # The repeated words first (n-grams contain a space, words never do; a word seen once is
            # as weak as an n-gram), then the rest: a stable sort keeps count order within each group.
            ranked = sorted(ranked, key=lambda t: b" " in t or counts[t] < 2)
        ranked = ranked[:limit]
        if not ranked:
            raise too_few(data, counts, "min_count", self.min_count, "word")
        tokens = [t.decode("utf-8", errors="replace") for t in ranked]
        self.set_vocabulary(list(dict.fromkeys(tokens)))  # decoding with replacement may merge tokens
        return self

    def get_vocabulary(self) -> list[str]:
        self._check_ready()
        return [PAD_TOKEN, OOV_TOKEN, *self._tokens.tolist()]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "vocabulary": None if self._tokens is None else self._tokens.tolist(),
                "max_tokens": self.max_tokens,
                "min_count": self.min_count,
                "ngrams": self.ngrams,
                "words_first": self.words_first,
                "punctuation": self.punctuation,
            }
        )
        return config


__all__ = ["PUNCTUATION", "WordTokenizer"]
