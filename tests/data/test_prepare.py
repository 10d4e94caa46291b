"""`prepare`: one read of a source into shuffled shards; the same examples, counted, in bounded memory."""

import json
from collections import Counter

import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data import make_tokenizer, read_dataset
from keras_restext.data.corpus_counts import BoundedCounts
from keras_restext.data.prepare import VOCABULARY_FILE, prepare, shuffle_file
from keras_restext.data.sources.tfrecord import record_dataset, serialize_example, tfrecord_files
from keras_restext.errors import ArgumentError
from tests.data.helpers import head_lines

ROWS = 400


@pytest.fixture
def mr_slice(shared_data, tmp_path):
    """The first 400 rows of MR's training set (a header, then text,label)."""
    return str(head_lines(shared_data / "mr" / "train.csv", tmp_path / "mr.csv", ROWS + 1))


def pairs(data) -> list[tuple[str, str]]:
    texts, labels = data.texts_and_labels()
    return list(zip(texts, labels))


def test_the_prepared_shards_hold_the_source_s_examples_shuffled(mr_slice, tmp_path):
    manifest = prepare(mr_slice, str(tmp_path / "out"), shards=3, seed=1)
    source, prepared = pairs(read_dataset(mr_slice)), pairs(read_dataset(str(tmp_path / "out")))
    assert Counter(prepared) == Counter(source)  # the same multiset of examples
    assert prepared != source  # in another order
    assert manifest["examples"] == ROWS == sum(shard["examples"] for shard in manifest["shards"])
    assert len(manifest["shards"]) == 3 and all(shard["examples"] > 0 for shard in manifest["shards"])


def test_the_manifest_counts_labels_and_lengths(mr_slice, tmp_path):
    manifest = prepare(mr_slice, str(tmp_path / "out"), shards=2)
    labels = read_dataset(mr_slice).texts_and_labels()[1]
    assert manifest["labels"]["counts"] == dict(Counter(labels))
    assert manifest["labels"]["names"] == ["negative", "positive"]
    assert sum(manifest["length_histogram"]["counts"]) == ROWS
    assert json.loads((tmp_path / "out" / "manifest.json").read_text()) == manifest


def test_the_vocabulary_is_the_one_adapt_builds_over_all_rows(mr_slice, tmp_path):
    tokenizer = make_tokenizer("word", max_tokens=300, max_length=64)
    manifest = prepare(mr_slice, str(tmp_path / "out"), shards=2, tokenizer=tokenizer)
    adapted = make_tokenizer("word", max_tokens=300, max_length=64).adapt(read_dataset(mr_slice))
    written = (tmp_path / "out" / VOCABULARY_FILE).read_text(encoding="utf-8").splitlines()
    assert written == adapted.get_vocabulary()[2:] == tokenizer.get_vocabulary()[2:]
    assert manifest["vocabulary"]["exact"] and manifest["vocabulary"]["size"] == 298
    # The stored token ids are the tokenizer's ids of each stored text.
    files, _ = tfrecord_files(str(tmp_path / "out"))
    for record in record_dataset(files, token_ids=True).take(20).as_numpy_iterator():
        expected = tokenizer.tokenize_ragged(tf.constant([record["text"]])).to_list()[0]
        assert record["token_ids"].tolist() == expected


def test_the_same_seed_writes_the_same_files(mr_slice, tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        prepare(mr_slice, str(tmp_path / name), shards=2, seed=seed)
    shard = "train-00000-of-00002.tfrecord"
    assert (tmp_path / "a" / shard).read_bytes() == (tmp_path / "b" / shard).read_bytes()
    assert (tmp_path / "a" / shard).read_bytes() != (tmp_path / "c" / shard).read_bytes()


def test_a_file_larger_than_the_shuffle_memory_is_shuffled_in_parts(tmp_path):
    path = str(tmp_path / "big.tfrecord")
    records = [serialize_example(f"text {i} " + "x" * 200, "a") for i in range(3000)]  # ~700 kB
    with tf.io.TFRecordWriter(path) as writer:
        for record in records:
            writer.write(record)
    written = []
    count = shuffle_file(path, lambda batch: written.extend(batch), np.random.default_rng(0), 100_000)
    assert count == 3000 and sorted(written) == sorted(records) and written != records
    assert list(tmp_path.iterdir()) == []  # the parts are deleted once written


def test_bounded_counts_hold_their_bound_and_their_error():
    rng = np.random.default_rng(0)
    tokens = rng.zipf(1.3, size=60_000) % 5000
    truth = Counter(tokens.tolist())
    counts = BoundedCounts(max_words=200)
    for start in range(0, len(tokens), 1000):
        values, n = np.unique(tokens[start : start + 1000], return_counts=True)
        counts.update(values.tolist(), n)
        assert len(counts.counts) < 400
    assert counts.prunings > 0 and counts.tokens == len(tokens)
    assert counts.count_error <= len(tokens) / 201
    for token, n in truth.items():
        kept = counts.counts.get(token, 0)
        assert n - counts.count_error <= kept <= n
        if n > counts.count_error:
            assert token in counts.counts


def test_a_folder_that_is_not_empty_is_refused(mr_slice, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(ArgumentError, match="not empty"):
        prepare(mr_slice, str(tmp_path / "out"))
    with pytest.raises(ArgumentError, match="has no vocabulary"):
        prepare(mr_slice, str(tmp_path / "other"), tokenizer=make_tokenizer("wordpiece"))
