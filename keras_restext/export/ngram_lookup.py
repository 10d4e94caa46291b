"""`NGramLookup`: a word tokenizer's n-gram ids found from the ids of their words, in LiteRT builtins.

A `WordTokenizer` maps every token, words and n-grams alike, through one string hash table. In a
LiteRT flatbuffer that table stores every entry as a string plus an int64 id: most of the file
after int8 quantization. Here only the words are strings. The n-grams form a trie over word keys,
stored level by level in sorted int arrays (CSR: the children of node `p` are
`children[starts[p]:starts[p + 1]]`, sorted). An n-gram's id is found by walking the trie from its
first word with a vectorised binary search (gather, compare, select): builtin ops only, and the
ids equal the hash table's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from keras_restext.data.tokenizers import OOV_ID

# What `tf.strings.split` splits on: a word never contains one, so an entry with one is unreachable.
_ASCII_WHITESPACE = frozenset(" \t\n\v\f\r")


def _parts(token: str) -> tuple[str, ...] | None:
    """The words of a vocabulary entry as `tf.strings.ngrams` joins them (one space apart), or
    None for an entry that splitting can never produce (an empty word, other whitespace)."""
    parts = tuple(token.split(" "))
    if any(not part or _ASCII_WHITESPACE.intersection(part) for part in parts):
        return None
    return parts


class NGramLookup(tf.Module):
    """The ids of a word vocabulary's words and n-grams, with one string table for the words only.

    Args:
        vocabulary: the tokenizer's `get_vocabulary()` ("" and "[UNK]" first).
        ngrams: the longest n-gram the tokenizer emits (`WordTokenizer.ngrams`).

    Example:
    ```python
    lookup = NGramLookup(["", "[UNK]", "not", "good", "not good"], ngrams=2)
    keys = lookup.word_keys(tf.constant(["not", "good"]))
    lookup.word_ids(keys)  # [2, 3]
    lookup.ngram_ids(lookup.extend(keys[:1], keys[1:], width=2), width=2)  # [4]
    ```
    """

    def __init__(self, vocabulary: Sequence[str], ngrams: int):
        super().__init__(name="ngram_lookup")
        self.ngrams = int(ngrams)
        entries = {}
        for token_id, token in enumerate(vocabulary[2:], 2):
            parts = _parts(token)
            if parts is not None and len(parts) <= self.ngrams:
                entries.setdefault(parts, token_id)
        # Level 1, the words: every vocabulary word, then the words that occur only inside n-grams.
        words = [parts[0] for parts in entries if len(parts) == 1]
        keys = {word: key for key, word in enumerate(words)}
        for parts in entries:
            for word in parts:
                if word not in keys:
                    keys[word] = len(words)
                    words.append(word)
        word_ids = np.array([entries.get((word,), OOV_ID) for word in words], np.int32)
        # Word key k has id k + 2 when the words lead the vocabulary (`words_first`): no id array.
        self._words_lead = bool(np.array_equal(word_ids, np.arange(2, len(words) + 2)))
        if not self._words_lead:  # (a constant made but not used would still be stored)
            self._word_ids = tf.constant(word_ids)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(words, tf.string, shape=[len(words)]), tf.range(len(words), dtype=tf.int64)
            ),
            default_value=-1,
        )
        # Levels 2..ngrams: the nodes of level L are the L-word prefixes of the entries, sorted by
        # (parent node, last word key); a node's id is its entry's, OOV for a prefix that is none.
        key_dtype = np.int16 if len(words) < 2**15 else np.int32
        self._levels = []
        parents = {(word,): key for word, key in keys.items()}
        for width in range(2, self.ngrams + 1):
            prefixes = {parts[:width] for parts in entries if len(parts) >= width}
            nodes = sorted((parents[prefix[:-1]], keys[prefix[-1]], prefix) for prefix in prefixes)
            parent_of = np.array([node[0] for node in nodes], np.int64)
            starts = np.searchsorted(parent_of, np.arange(len(parents) + 1)).astype(np.int32)
            children = np.array([node[1] for node in nodes], key_dtype)
            ids = np.array([entries.get(node[2], OOV_ID) for node in nodes], np.int32)
            widest = int(np.max(np.diff(starts))) if len(nodes) else 0
            self._levels.append(
                {
                    "starts": tf.constant(starts),
                    # One sentinel entry keeps every gather in range, empty levels included.
                    "children": tf.constant(np.append(children, np.zeros([1], key_dtype))),
                    "ids": tf.constant(np.append(ids, np.array([OOV_ID], np.int32))),
                    "size": len(nodes),
                    "steps": widest.bit_length(),
                }
            )
            parents = {node[2]: index for index, node in enumerate(nodes)}

    def word_keys(self, words: tf.Tensor) -> tf.Tensor:
        """Word strings → int32 word keys, -1 for a word that is in no entry."""
        return tf.cast(self.table.lookup(words), tf.int32)

    def word_ids(self, keys: tf.Tensor) -> tf.Tensor:
        """Word keys → the words' own token ids (OOV for a word that is only part of n-grams)."""
        if self._words_lead:
            return tf.where(keys >= 0, keys + 2, OOV_ID)
        return tf.where(keys >= 0, tf.gather(self._word_ids, tf.maximum(keys, 0)), OOV_ID)

    def extend(self, nodes: tf.Tensor, keys: tf.Tensor, width: int) -> tf.Tensor:
        """The trie nodes of `width`-grams: `nodes` of their first `width - 1` words (word keys for
        width 2), `keys` their last word's key; -1 where the n-gram is no entry's prefix."""
        level = self._levels[width - 2]
        valid = (nodes >= 0) & (keys >= 0)
        parents = tf.maximum(nodes, 0)
        low = tf.gather(level["starts"], parents)
        end = tf.where(valid, tf.gather(level["starts"], parents + 1), low)
        high = end
        for _ in range(level["steps"]):  # lower bound of `keys` among the parent's sorted children
            middle = (low + high) // 2
            right = tf.cast(tf.gather(level["children"], middle), tf.int32) < keys
            active = low < high
            low = tf.where(active & right, middle + 1, low)
            high = tf.where(active & ~right, middle, high)
        found = (low < end) & tf.equal(tf.cast(tf.gather(level["children"], low), tf.int32), keys)
        return tf.where(found, low, -1)

    def ngram_ids(self, nodes: tf.Tensor, width: int) -> tf.Tensor:
        """Trie nodes of `width`-grams → their token ids (OOV for -1 and for prefixes that are no entry)."""
        level = self._levels[width - 2]
        return tf.where(nodes >= 0, tf.gather(level["ids"], tf.maximum(nodes, 0)), OOV_ID)


__all__ = ["NGramLookup"]
