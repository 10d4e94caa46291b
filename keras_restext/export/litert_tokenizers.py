"""The package tokenizers rebuilt from ops that LiteRT converts, for `model.tflite`'s raw strings.

TensorFlow's `StringNGrams` op has no Flex kernel, and ragged tensors do not convert, so the word
tokenizer is rebuilt from the split's sparse output: every n-gram's id comes from the keys of its
adjacent words of one row (`NGramLookup`: only the words are stored as strings), placed after the
row's words, and the ids are scattered into the padded `[batch, length]` matrix the classifier
reads. The char tokenizer ("chars" mode) is rebuilt from `UnicodeDecode`. The ids equal the
tokenizers' (tests compare them on real texts).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from keras_restext.data.tokenizers import OOV_ID, CharTokenizer, WordPieceTokenizer, WordTokenizer
from keras_restext.export.ngram_lookup import NGramLookup


def _scatter_ids(rows, positions, ids, batch, longest: tf.Tensor, max_length: int, pad_to_max_length: bool) -> tf.Tensor:
    """Sparse tokens (row, position, id) → dense int32 ids `[batch, length]`, truncated to
    `max_length` and padded like `Tokenizer.tokenize`: to the longest row, at least one column, or
    to exactly `max_length` with `pad_to_max_length`."""
    keep = positions < max_length
    rows, positions, ids = (tf.boolean_mask(x, keep) for x in (rows, positions, ids))
    if pad_to_max_length:
        width = tf.constant(max_length, tf.int32)
    else:
        width = tf.clip_by_value(longest, 1, max_length)
    indices = tf.stack([rows, positions], axis=1)
    return tf.scatter_nd(indices, tf.cast(ids, tf.int32), tf.stack([batch, width]))


def _row_counts(rows: tf.Tensor, batch: tf.Tensor) -> tf.Tensor:
    """How many items each of the `batch` rows has, from the sorted row index of every item."""
    return tf.math.unsorted_segment_sum(tf.ones_like(rows), rows, batch)


class LiteRTWordTokenizer(tf.Module):
    """`WordTokenizer.tokenize` rebuilt from ops that LiteRT converts (builtins and Flex).

    The words come from `StringSplitV2` (the op behind `tf.strings.split`) as sparse
    `(row, column)` indices. Their keys come from a string table of the words alone, and the
    n-grams of width k, the runs of k adjacent words of one row, get their ids from those keys
    (`NGramLookup`: no n-gram strings are joined or stored). They are placed after the row's words
    and its shorter n-grams, as `tf.strings.ngrams` orders them.

    Args:
        tokenizer: an adapted `WordTokenizer`.

    Example:
    ```python
    LiteRTWordTokenizer(tokenizer)(tf.constant(["a great film"]))  # == tokenizer(["a great film"])
    ```
    """

    def __init__(self, tokenizer: WordTokenizer):
        super().__init__(name="litert_word_tokenizer")
        # The settings, not the layer: tracking it would bring its table of every entry along.
        self._standardize = tokenizer.standardize
        self._ngrams, self._max_length = tokenizer.ngrams, tokenizer.max_length
        self._pad_to_max_length = tokenizer.pad_to_max_length
        self.lookup = NGramLookup(tokenizer.get_vocabulary(), tokenizer.ngrams)

    def __call__(self, text: tf.Tensor) -> tf.Tensor:
        """tf.string `[batch]` → int32 ids `[batch, length]`, equal to `tokenizer(text)`."""
        lookup = self.lookup
        batch = tf.shape(text)[0]
        strings = self._standardize(text)
        split = tf.raw_ops.StringSplitV2(input=strings, sep="", maxsplit=-1)  # "" = runs of whitespace
        rows = tf.cast(split.indices[:, 0], tf.int32)
        columns = tf.cast(split.indices[:, 1], tf.int32)
        keys = lookup.word_keys(split.values)
        counts = _row_counts(rows, batch)
        ids, token_rows, positions = [lookup.word_ids(keys)], [rows], [columns]
        offset = counts  # where the next width's n-grams start in each row
        total = tf.size(keys)
        nodes = keys  # the trie node of the n-gram starting at each word, one width at a time
        for width in range(2, self._ngrams + 1):
            # The n-gram starting at word i spans words i .. i+width-1: valid when they share a row.
            starts = tf.maximum(total - width + 1, 0)
            nodes = lookup.extend(nodes[:starts], keys[width - 1 : width - 1 + starts], width)
            first_rows = rows[:starts]
            same_row = tf.equal(first_rows, rows[width - 1 : width - 1 + starts])
            ids.append(tf.boolean_mask(lookup.ngram_ids(nodes, width), same_row))
            gram_rows = tf.boolean_mask(first_rows, same_row)
            token_rows.append(gram_rows)
            positions.append(tf.gather(offset, gram_rows) + tf.boolean_mask(columns[:starts], same_row))
            offset = offset + tf.maximum(counts - width + 1, 0)
        ids, token_rows, positions = (tf.concat(x, axis=0) for x in (ids, token_rows, positions))
        longest = tf.reduce_max(tf.concat([offset, [0]], axis=0))
        return _scatter_ids(token_rows, positions, ids, batch, longest, self._max_length, self._pad_to_max_length)


def char_token_ids(tokenizer: CharTokenizer, text: tf.Tensor) -> tf.Tensor:
    """`CharTokenizer.tokenize` ("chars" mode) rebuilt from ops that LiteRT converts.

    Args:
        tokenizer: a `CharTokenizer` in "chars" mode with its vocabulary.
        text: tf.string `[batch]`.

    Returns:
        int32 ids `[batch, length]`, equal to `tokenizer(text)`.

    Example:
    ```python
    char_token_ids(CharTokenizer(alphabet="vdcnn"), tf.constant(["Hi!"]))
    ```
    """
    batch = tf.shape(text)[0]
    decoded = tf.raw_ops.UnicodeDecode(
        input=tokenizer._prepare(text), input_encoding="UTF-8", errors="replace",
        replacement_char=0xFFFD, Tsplits=tf.int32,
    )  # fmt: skip
    splits, points = decoded.row_splits, decoded.char_values
    index = tf.range(tf.size(points), dtype=tf.int32)
    # The row of code point i: how many rows end at or before it (no ragged ops in LiteRT).
    rows = tf.reduce_sum(tf.cast(splits[1:][tf.newaxis, :] <= index[:, tf.newaxis], tf.int32), axis=1)
    positions = index - tf.gather(splits, rows)
    ids = _lookup_characters(tokenizer, points)
    longest = tf.reduce_max(tf.concat([splits[1:] - splits[:-1], [0]], axis=0))
    return _scatter_ids(rows, positions, ids, batch, longest, tokenizer.max_length, tokenizer.pad_to_max_length)


def _lookup_characters(tokenizer: CharTokenizer, points: tf.Tensor) -> tf.Tensor:
    """The id of every code point, by comparison with the character list: LiteRT's builtin hash
    tables map strings to ints, not ints to ints. The comparison is `[characters, vocabulary]`:
    cheap for VDCNN's 69 characters, heavy for a learned vocabulary of thousands."""
    keys = tf.constant([ord(c) for c in tokenizer.get_vocabulary()[2:]], tf.int32)
    equal = tf.equal(points[:, tf.newaxis], keys[tf.newaxis, :])
    found = tf.reduce_any(equal, axis=1)
    return tf.where(found, tf.argmax(tf.cast(equal, tf.int32), axis=1, output_type=tf.int32) + 2, OOV_ID)


def convertible_tokenizer(tokenizer: keras.layers.Layer) -> Callable[[tf.Tensor], tf.Tensor]:
    """The function strings `[batch]` → int32 ids that `model.tflite` runs in place of `tokenizer`.

    Raises:
        ValueError: for a tokenizer whose ops LiteRT cannot run (WordPiece: tensorflow-text's ops
            are neither builtins nor Flex ops; "bytes" mode: not rebuilt here).

    Example:
    ```python
    ids = convertible_tokenizer(tokenizer)(tf.constant(["a great film"]))
    ```
    """
    if isinstance(tokenizer, WordTokenizer):
        return LiteRTWordTokenizer(tokenizer)
    if isinstance(tokenizer, CharTokenizer) and tokenizer.mode == "chars":
        return lambda text: char_token_ids(tokenizer, text)
    if isinstance(tokenizer, WordPieceTokenizer):
        raise ValueError(
            "model.tflite cannot hold a WordPiece tokenizer: tensorflow-text's ops are neither LiteRT builtins nor "
            "Flex ops (the converter: \"'tf.FastWordpieceTokenizeWithOffsets' op is neither a custom op nor a flex "
            "op\"). Use model_ids.tflite and tokenize in the app (tokenization.md)."
        )
    raise ValueError(
        f"model.tflite supports the word tokenizer and the char tokenizer in 'chars' mode. Received "
        f"{type(tokenizer).__name__}{' in mode ' + repr(tokenizer.mode) if hasattr(tokenizer, 'mode') else ''}: "
        "use model_ids.tflite."
    )


__all__ = ["LiteRTWordTokenizer", "char_token_ids", "convertible_tokenizer"]
