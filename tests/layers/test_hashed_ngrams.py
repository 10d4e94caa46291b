import numpy as np
import pytest

from keras_restext.layers import HashedNGrams


def _ngram_ids(layer: HashedNGrams, ids) -> list[list[int]]:
    """Each row's non-padding output ids, sorted: the bag of n-grams, whatever their positions."""
    return [sorted(int(i) for i in row if i) for row in np.asarray(layer(np.array(ids)))]


def test_every_complete_ngram_gets_one_id_in_range_and_padding_none():
    layer = HashedNGrams(orders=(1, 2, 3), num_buckets=50)
    out = np.asarray(layer(np.array([[5, 9, 3, 0, 0], [4, 0, 0, 0, 0]])))
    assert out.shape == (2, 15) and out.dtype == np.int32
    # 3 + 2 + 1 n-grams of the first text, 1 of the second.
    assert [int(np.count_nonzero(row)) for row in out] == [6, 1]
    assert out.min() >= 0 and out.max() <= 50 == layer.output_vocab_size - 1


def test_padding_does_not_change_the_bag_of_ngrams():
    layer = HashedNGrams(orders=(2, 3, 4, 5))
    rows = [[7, 3, 3, 9, 12, 4], [5, 6]]
    bags = [_ngram_ids(layer, [row + [0] * (length - len(row)) for row in rows]) for length in (6, 7, 16)]
    assert bags[0] == bags[1] == bags[2]
    assert [len(bag) for bag in bags[0]] == [5 + 4 + 3 + 2, 1]


def test_an_ngram_has_the_same_id_wherever_it_is_and_orders_do_not_share_ids():
    layer = HashedNGrams(orders=(1, 2))
    out = np.asarray(layer(np.array([[5, 9, 5, 9]])))[0]
    unigrams, bigrams = out[:4], out[4:]
    assert unigrams[0] == unigrams[2] and bigrams[0] == bigrams[2] != bigrams[1]
    assert not set(unigrams) & set(bigrams[:3])


def test_distinct_ngrams_rarely_share_a_bucket():
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 70, size=(64, 200))  # a character alphabet's ids
    out = np.asarray(HashedNGrams(orders=(3,))(ids))[:, :198]
    grams = {tuple(row[t : t + 3]): out[r, t] for r, row in enumerate(ids) for t in range(198)}
    assert len(set(grams.values())) >= 0.97 * len(grams)  # random hashing into 2**20 buckets: ~1% collide


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"orders": ()}, r"`orders` must be distinct ints >= 1. Received: orders=\(\)"),
        ({"orders": (2, 2)}, r"orders=\(2, 2\)"),
        ({"orders": (0,)}, r"orders=\(0,\)"),
        ({"orders": (2,), "num_buckets": 2**21}, r"`num_buckets` must be an int in \[1, 1048576\]. Received: num_buckets=2097152"),
    ],
)
def test_bad_arguments_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HashedNGrams(**kwargs)
