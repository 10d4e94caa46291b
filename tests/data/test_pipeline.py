import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data import (
    CharTokenizer,
    LabelVocabulary,
    WordTokenizer,
    build_pipeline,
    default_bucket_boundaries,
    read_dataset,
)


@pytest.fixture(scope="module")
def mr(shared_data_module):
    data = read_dataset(shared_data_module / "mr" / "train.csv", limit=300)
    return data, WordTokenizer(max_tokens=2000, max_length=40).adapt(data), LabelVocabulary.from_data(data)


@pytest.fixture(scope="module")
def shared_data_module():
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.fail(f"the benchmark data is missing: {SHARED_DATA}")
    return SHARED_DATA


def _batches(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def test_dynamic_batches_from_a_file(mr):
    data, tokenizer, labels = mr
    batches = _batches(build_pipeline(data, tokenizer, labels, batch_size=64))
    assert sum(len(x) for x, _ in batches) == 300 and len(batches) == 5  # the last batch is kept
    for ids, targets in batches:
        assert ids.dtype == np.int32 and targets.dtype == np.float32
        assert 1 <= ids.shape[1] <= 40 and targets.shape == (len(ids), 2)
        assert (targets.sum(axis=1) == 1).all()
        assert (ids[:, -1] > 0).any()  # padded to the longest row of the batch, no further


@pytest.mark.parametrize("bucket", [False, True])
def test_a_long_text_does_not_widen_the_batches_it_is_not_in(bucket):
    # All 9 texts are tokenized in one batch, padded to the long one; the batches are cut back to theirs.
    texts = ["short text"] * 4 + [" ".join(["long"] * 30)] + ["tiny"] * 4
    data = read_dataset((texts, ["a", "b"] * 4 + ["a"]))
    tokenizer = WordTokenizer(max_length=64).adapt(data)
    batches = _batches(build_pipeline(data, tokenizer, LabelVocabulary.from_data(data), batch_size=4, bucket=bucket,
                                      bucket_boundaries=[3, 65] if bucket else None))  # fmt: skip
    widths = sorted(ids.shape[1] for ids, _ in batches)
    assert widths == [1, 2, 30]
    for ids, _ in batches:
        assert (ids[:, -1] > 0).any() and ids.shape[1] == (ids > 0).sum(axis=1).max()


def test_static_shapes_pad_to_max_length_and_drop_the_remainder(mr):
    data, tokenizer, labels = mr
    dataset = build_pipeline(data, tokenizer, labels, batch_size=64, static_shapes=True)
    assert dataset.element_spec[0].shape.as_list() == [64, 40]
    assert dataset.element_spec[1].shape.as_list() == [64, 2]
    batches = _batches(dataset)
    assert len(batches) == 4 and all(x.shape == (64, 40) for x, _ in batches)


def test_bucketing_groups_similar_lengths(mr):
    data, tokenizer, labels = mr
    boundaries = [10, 20, 41]
    batches = _batches(build_pipeline(data, tokenizer, labels, batch_size=16, bucket=True, bucket_boundaries=boundaries))
    assert sum(len(x) for x, _ in batches) == 300
    lengths = tokenizer.tokenize_ragged(tf.constant(data.texts_and_labels()[0])).row_lengths().numpy()
    edges = [0, *boundaries]
    for ids, _ in batches:
        row_lengths = (ids > 0).sum(axis=1)
        assert ids.shape[1] == row_lengths.max()  # no padding beyond the longest row
        bucket = np.searchsorted(boundaries, row_lengths, side="right")
        assert len(set(bucket)) == 1 and row_lengths.min() >= edges[bucket[0]]
    assert sorted(l for x, _ in batches for l in (x > 0).sum(axis=1)) == sorted(lengths.tolist())
    assert default_bucket_boundaries(256) == [8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 257]
    with pytest.raises(ValueError, match="exclude each other"):
        build_pipeline(data, tokenizer, labels, bucket=True, static_shapes=True)


def test_same_seed_same_batches_and_reshuffled_epochs(mr):
    data, tokenizer, labels = mr

    def two_epochs(seed):
        dataset = build_pipeline(data, tokenizer, labels, batch_size=50, shuffle=True, seed=seed, shuffle_buffer=300)
        return [_batches(dataset) for _ in range(2)]

    first, again, other = two_epochs(7), two_epochs(7), two_epochs(8)
    for epoch_a, epoch_b in zip(first, again):
        for (xa, ya), (xb, yb) in zip(epoch_a, epoch_b):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(first[0][0][1], other[0][0][1])
    assert not np.array_equal(first[0][0][1], first[1][0][1])  # each epoch is reshuffled
    unshuffled = _batches(build_pipeline(data, tokenizer, labels, batch_size=50))
    assert not np.array_equal(first[0][0][1], unshuffled[0][1])


@pytest.mark.parametrize("cache", [False, True])
def test_with_an_epoch_variable_the_order_is_a_function_of_seed_and_epoch(mr, cache):
    data, tokenizer, labels = mr
    epoch = tf.Variable(0, dtype=tf.int64)

    def order(dataset, at):
        epoch.assign(at)
        return np.concatenate([y[:, 1] for _, y in _batches(dataset)])

    first = build_pipeline(data, tokenizer, labels, batch_size=50, shuffle=True, seed=7, epoch=epoch, cache=cache)
    orders = [order(first, at) for at in (0, 1, 2)]
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    # A new pipeline (a resumed run) that starts at epoch 2 sees epoch 2's order, not epoch 0's.
    resumed = build_pipeline(data, tokenizer, labels, batch_size=50, shuffle=True, seed=7, epoch=epoch, cache=cache)
    np.testing.assert_array_equal(order(resumed, 2), orders[2])
    np.testing.assert_array_equal(order(resumed, 0), orders[0])
    other_seed = build_pipeline(data, tokenizer, labels, batch_size=50, shuffle=True, seed=8, epoch=epoch)
    assert not np.array_equal(order(other_seed, 0), orders[0])
    with pytest.raises(ValueError, match="it needs a `seed`. Received: seed=None"):
        build_pipeline(data, tokenizer, labels, batch_size=50, shuffle=True, epoch=epoch)


def test_cache_repeat_and_bucketing_are_deterministic(mr):
    data, tokenizer, labels = mr
    dataset = build_pipeline(data, tokenizer, labels, batch_size=32, cache=True, repeat=True, shuffle=True, seed=1)
    assert sum(len(x) for x, _ in dataset.take(20)) == 640  # repeats past one epoch (300 examples)
    bucketed = [build_pipeline(data, tokenizer, labels, batch_size=16, bucket=True, shuffle=True, seed=3) for _ in range(2)]
    for (xa, _), (xb, _) in zip(_batches(bucketed[0]), _batches(bucketed[1])):
        np.testing.assert_array_equal(xa, xb)


@pytest.mark.parametrize("bucket", [False, True])
def test_cache_tokenizes_once_and_keeps_the_batches(mr, bucket):
    data, tokenizer, labels = mr
    calls = []

    def counting_tokenizer(texts):  # a plain callable tokenizer that records each call
        calls.append(1)
        return tokenizer(texts)

    def counted(fn):  # runs eagerly inside tf.data, so every call is seen
        return lambda texts: tf.ensure_shape(tf.py_function(fn, [texts], tf.int32), [None, None])

    kwargs = dict(batch_size=32, shuffle=True, seed=5, bucket=bucket, bucket_boundaries=[10, 20, 41])
    uncached = build_pipeline(data, counted(tokenizer), labels, **kwargs)
    cached = build_pipeline(data, counted(counting_tokenizer), labels, cache=True, **kwargs)
    for _ in range(3):  # same batches, reshuffled each epoch, from one tokenization
        for (x, y), (x_cached, y_cached) in zip(_batches(uncached), _batches(cached), strict=True):
            np.testing.assert_array_equal(x, x_cached)
            np.testing.assert_array_equal(y, y_cached)
    assert len(calls) == 1  # 300 texts: one tokenizer call, on the first epoch only


def test_unlabelled_data_and_plain_datasets():
    texts = tf.data.Dataset.from_tensor_slices(["a b c", "", "b"])
    tokenizer = WordTokenizer().adapt(["a b c"])
    (ids,) = list(build_pipeline(texts, tokenizer, None, batch_size=3))
    assert ids.numpy().tolist() == [[2, 3, 4], [0, 0, 0], [3, 0, 0]]
    pairs = tf.data.Dataset.from_tensor_slices((["a", "b"], ["x", "y"]))
    ids, targets = next(iter(build_pipeline(pairs, tokenizer, LabelVocabulary(["x", "y"]), batch_size=2)))
    assert targets.numpy().tolist() == [[1, 0], [0, 1]]
    ids_only = next(iter(build_pipeline(pairs, tokenizer, None, batch_size=2, bucket=True)))
    assert ids_only.shape == (2, 1)


def test_char_tokenizer_static_pipeline_and_multi_label():
    data = read_dataset((["ab", "abc", ""], ["x|y", "y", "x"]), label_delimiter="|")
    labels = LabelVocabulary.from_data(data)
    tokenizer = CharTokenizer(alphabet="vdcnn", max_length=8)
    ids, targets = next(iter(build_pipeline(data, tokenizer, labels, batch_size=3, static_shapes=True)))
    assert ids.shape == (3, 8) and ids.numpy()[2].tolist() == [0] * 8
    assert targets.numpy().tolist() == [[1, 1], [0, 1], [1, 0]]


def test_argument_errors(mr):
    data, tokenizer, labels = mr
    with pytest.raises(ValueError, match="`batch_size` must be an int >= 1"):
        build_pipeline(data, tokenizer, labels, batch_size=0)
    with pytest.raises(ValueError, match="must hold \\(text, label\\) pairs"):
        build_pipeline(tf.data.Dataset.from_tensor_slices(["a"]), tokenizer, labels)


@pytest.mark.parametrize("bucket", [False, True])
def test_autotune_is_off_unless_asked_and_changes_no_batch(mr, bucket):
    data, tokenizer, labels = mr
    kwargs = dict(batch_size=32, shuffle=True, seed=3, bucket=bucket)
    default = build_pipeline(data, tokenizer, labels, **kwargs)
    tuned = build_pipeline(data, tokenizer, labels, autotune=True, **kwargs)
    assert default.options().autotune.enabled is False
    assert tuned.options().autotune.enabled is True
    for (x, y), (x_tuned, y_tuned) in zip(_batches(default), _batches(tuned), strict=True):
        np.testing.assert_array_equal(x, x_tuned)
        np.testing.assert_array_equal(y, y_tuned)
