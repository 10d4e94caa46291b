"""`KeepWords`: the words of a words-then-n-grams id sequence, without their n-grams."""

from __future__ import annotations

import keras
from keras import ops

from keras_restext.checks import check_positive_int
from keras_restext.dtypes import id_dtype_config, id_dtype_policy


@keras.saving.register_keras_serializable(package="keras_restext")
class KeepWords(keras.layers.Layer):
    """Keeps the word ids of a `WordTokenizer(ngrams=n)`'s output and pads the rest with 0.

    A text of `w` words becomes its `w` words, then its `w - 1` bigrams, ..., then its
    `w - n + 1` n-grams (`tf.strings.ngrams` order), cut to the tokenizer's `max_length`. The
    number of ids therefore tells the number of words, and this layer keeps just those, so that a
    deep trunk reads each word once in order while a bag-of-tokens branch beside it still reads
    every n-gram. A text cut at `max_length` keeps as many words as a text of `max_length` ids
    has (for bigrams, `(max_length + 1) // 2`). The output is shorter than the input: its length
    is the most words that the input's length can hold, and padding (id 0) never changes it for
    the real positions.

    Args:
        ngrams: int >= 1, the tokenizer's `ngrams` (1: every id is a word, nothing changes).
        dtype: the integer dtype of the ids it returns (default "int32"). Ids stay integers under
            every dtype policy, so a float dtype or a mixed policy is refused.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, ...).

    Example:
    >>> ids = keras.ops.convert_to_tensor([[5, 8, 9, 21, 22], [7, 0, 0, 0, 0]])  # 3 words + 2 bigrams; 1 word
    >>> keras.ops.convert_to_numpy(KeepWords(2)(ids)).tolist()
    [[5, 8, 9], [7, 0, 0]]
    """

    def __init__(self, ngrams: int, dtype=None, **kwargs):
        check_positive_int("ngrams", ngrams)
        # The layer's dtype is its output's: ids, not the float compute dtype of the global policy.
        super().__init__(dtype=id_dtype_policy(dtype), **kwargs)
        self.ngrams = int(ngrams)

    def _tokens(self, words):
        """How many ids a text of `words` words has: its words, bigrams, ..., n-grams."""
        return sum(ops.maximum(words - order + 1, 0) for order in range(1, self.ngrams + 1))

    def _max_words(self, length):
        """The most words `length` ids can hold (exact when every text has >= ngrams - 1 words,
        an upper bound otherwise): w * n - n * (n - 1) / 2 ids for w words."""
        return (length + self.ngrams * (self.ngrams - 1) // 2) // self.ngrams

    def call(self, token_ids):
        token_ids = ops.cast(token_ids, self.compute_dtype)
        if self.ngrams == 1:
            return token_ids
        tokens = ops.sum(ops.cast(ops.not_equal(token_ids, 0), self.compute_dtype), axis=1, keepdims=True)
        keep = self._max_words(ops.shape(token_ids)[1])
        token_ids = token_ids[:, :keep]
        # Each row's words: the largest w whose words and n-grams fit in the row's ids.
        candidates = ops.arange(1, keep + 1, dtype=self.compute_dtype)[None, :]
        words = ops.sum(ops.cast(self._tokens(candidates) <= tokens, self.compute_dtype), axis=1, keepdims=True)
        positions = ops.arange(keep, dtype=self.compute_dtype)[None, :]
        return ops.where(positions < words, token_ids, ops.zeros_like(token_ids))

    def compute_output_shape(self, input_shape):
        length = input_shape[1]
        return (input_shape[0], length if length is None else self._max_words(length))

    def get_config(self):
        return {**super().get_config(), "ngrams": self.ngrams}

    @classmethod
    def from_config(cls, config: dict) -> KeepWords:
        return cls(**id_dtype_config(config))  # a float policy saved with an explicit dtype reads as int32
