"""`HashedNGrams`: token ids → ids of their hashed n-grams, the wide branch's features for characters."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import ops

from keras_restext.checks import is_int, require

# The hash's multiplier: a prime larger than any character alphabet, small enough that
# `bucket * multiplier + token id` stays below 2**31 for up to 2**20 buckets (int32 all the way, so
# plain TensorFlow and LiteRT's built-in integer ops run it).
_MULTIPLIER = 1031
MAX_BUCKETS = 2**20


def check_hashed_ngrams(
    orders: Sequence[int], num_buckets: int, names: tuple[str, str] = ("orders", "num_buckets")
) -> tuple[int, ...]:
    """Raises a `ValueError` naming the argument (`names`: how the caller calls the two) unless
    `orders` are distinct ints >= 1 and `num_buckets` an int in [1, 2**20]; returns the orders as a tuple."""
    orders = tuple(orders)
    distinct = len(orders) > 0 and all(is_int(n) for n in orders) and len(set(orders)) == len(orders)
    require(distinct, names[0], orders, "distinct ints >= 1")
    require(is_int(num_buckets) and num_buckets <= MAX_BUCKETS, names[1], num_buckets, f"an int in [1, {MAX_BUCKETS}]")
    return tuple(int(n) for n in orders)


@keras.saving.register_keras_serializable(package="keras_restext")
class HashedNGrams(keras.layers.Layer):
    """Maps token ids `[batch, time]` (0 = padding) to the ids of their n-grams `[batch, time * len(orders)]`.

    For each order n of `orders`, the n consecutive ids starting at every step are hashed into
    `num_buckets` buckets, and the n-gram's id is its bucket + 1; an n-gram that reaches into the
    padding gets id 0 (padding itself), so padding never adds an n-gram. The hash is polynomial in
    the ids, with the order mixed into its seed, so "ab" and "abc" rarely share a bucket. It lets a
    bag-of-tokens model (`BagOfTokensLogits`) read character n-grams, as a character n-gram TF-IDF
    model does, from a character tokenizer's ids.

    Args:
        orders: the n-gram lengths, ints >= 1, e.g. `(2, 3, 4, 5)`.
        num_buckets: int in [1, 2**20], the hash buckets; the output ids lie in `[0, num_buckets]`.
        dtype: "int32" (the default), the ids' dtype.

    Example:
    >>> layer = HashedNGrams(orders=(1, 2), num_buckets=1000)
    >>> ids = layer(keras.ops.convert_to_tensor([[5, 9, 0]]))
    >>> tuple(ids.shape), int(keras.ops.sum(keras.ops.cast(ids > 0, "int32")))  # 2 unigrams, 1 bigram
    ((1, 6), 3)
    """

    def __init__(self, orders: Sequence[int], num_buckets: int = MAX_BUCKETS, dtype=None, **kwargs):
        # The layer's dtype is its output's: int32 ids (the hash's arithmetic is int32), whatever
        # the global float policy.
        policy = keras.dtype_policies.get("int32" if dtype is None else dtype)
        require(policy.compute_dtype == "int32", "dtype", policy.name, "'int32' (the layer returns ids)")
        super().__init__(dtype=policy, **kwargs)
        self.orders = check_hashed_ngrams(orders, num_buckets)
        self.num_buckets = int(num_buckets)

    @property
    def output_vocab_size(self) -> int:
        """The output id range, padding id 0 included."""
        return self.num_buckets + 1

    def call(self, token_ids):
        token_ids = ops.cast(token_ids, "int32")
        buckets = ops.convert_to_tensor(self.num_buckets, "int32")
        # The id k steps ahead of every step (padding past the end), and whether the k + 1 ids
        # from a step on are all tokens: built once, shared by every order.
        aheads = [token_ids] + [ops.pad(token_ids, [[0, 0], [0, k]])[:, k:] for k in range(1, max(self.orders))]
        complete = [ops.not_equal(token_ids, 0)]
        for ahead in aheads[1:]:
            complete.append(ops.logical_and(complete[-1], ops.not_equal(ahead, 0)))
        grams = []
        for n in self.orders:
            hashed = ops.full_like(token_ids, n * 7919 % self.num_buckets)
            for ahead in aheads[:n]:
                hashed = ops.mod(hashed * _MULTIPLIER + ahead, buckets)
            grams.append(ops.where(complete[n - 1], hashed + 1, ops.zeros_like(hashed)))
        return ops.concatenate(grams, axis=1)

    def compute_output_shape(self, input_shape):
        time = None if input_shape[1] is None else input_shape[1] * len(self.orders)
        return (input_shape[0], time)

    def compute_output_spec(self, token_ids):
        return keras.KerasTensor(self.compute_output_shape(token_ids.shape), dtype="int32")

    def get_config(self):
        return {**super().get_config(), "orders": list(self.orders), "num_buckets": self.num_buckets}
