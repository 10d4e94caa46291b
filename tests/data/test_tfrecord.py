"""`read_tfrecord`: TFRecord files, globs and prepared folders, read with C++ ops, sharded by file."""

import json

import pytest
import tensorflow as tf
from tensorflow.python.data.experimental.ops.distribute import _AutoShardDataset

from keras_restext.data import DataError, infer_format, read_dataset
from keras_restext.data.sources.tfrecord import (
    MANIFEST_FILE,
    read_tfrecord,
    record_dataset,
    serialize_example,
    tfrecord_files,
)
from tests.data.helpers import write


def write_records(path, rows, token_ids=False) -> str:
    with tf.io.TFRecordWriter(str(path)) as writer:
        for i, (text, label) in enumerate(rows):
            writer.write(serialize_example(text, label, [i, i + 1] if token_ids else None))
    return str(path)


def rows_of(file_index: int, n: int = 5) -> list[tuple[str, str]]:
    return [(f"file {file_index} row {i} é", "pos" if i % 2 else "neg") for i in range(n)]


@pytest.fixture
def four_files(tmp_path):
    return [write_records(tmp_path / f"train-{i}.tfrecord", rows_of(i)) for i in range(4)]


def test_one_file_reads_its_rows_in_order(tmp_path):
    path = write_records(tmp_path / "one.tfrecord", rows_of(0))
    data = read_dataset(path)  # the suffix picks the format
    assert data.format == "tfrecord" and infer_format(path) == "tfrecord"
    texts, labels = data.texts_and_labels()
    assert list(zip(texts, labels)) == rows_of(0)


def test_a_glob_interleaves_its_files_one_record_each_in_turn(tmp_path, four_files):
    texts, _ = read_tfrecord(str(tmp_path / "train-*.tfrecord")).texts_and_labels()
    assert texts == [f"file {f} row {i} é" for i in range(5) for f in range(4)]
    assert read_tfrecord(str(tmp_path)).texts_and_labels()[0] == texts  # a folder of .tfrecord files alike


def test_file_sharding_gives_each_worker_its_own_files(tmp_path, four_files):
    data = read_tfrecord(str(tmp_path / "train-*.tfrecord"))
    assert data.files == tuple(four_files) and data.reader == "tf.data"  # what the trainer shards by
    dataset = data.dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.FILE
    dataset = dataset.with_options(options)
    seen = []
    for worker in range(2):  # the rewrite `tf.distribute` applies on each of two workers
        shard = _AutoShardDataset(dataset, num_workers=2, index=worker)
        seen.append({text.decode().split(" row")[0] for text, _ in shard.as_numpy_iterator()})
    assert seen == [{"file 0", "file 2"}, {"file 1", "file 3"}]
    mine = data.for_worker(2, 1)  # the trainer's own sharding by file, around its seeded shuffle
    assert {text.decode().split(" row")[0] for text, _ in mine.dataset.as_numpy_iterator()} == {"file 1", "file 3"}


def test_token_ids_are_read_when_asked(tmp_path):
    path = write_records(tmp_path / "ids.tfrecord", rows_of(0, 3), token_ids=True)
    records = list(record_dataset([path], token_ids=True).as_numpy_iterator())
    assert [r["token_ids"].tolist() for r in records] == [[0, 1], [1, 2], [2, 3]]


def test_a_prepared_folder_gives_its_label_names_and_shards(tmp_path):
    folder = tmp_path / "prepared"
    folder.mkdir()
    write_records(folder / "b.tfrecord", rows_of(1))
    write_records(folder / "a.tfrecord", rows_of(0))
    manifest = {"shards": [{"file": "b.tfrecord"}, {"file": "a.tfrecord"}], "labels": {"names": ["neg", "pos"]}}
    write(folder / MANIFEST_FILE, json.dumps(manifest))
    assert infer_format(str(folder)) == "tfrecord"
    data = read_dataset(str(folder))
    assert data.label_names == ["neg", "pos"]
    assert tfrecord_files(str(folder))[0] == [str(folder / "b.tfrecord"), str(folder / "a.tfrecord")]
    assert len(data.texts_and_labels()[0]) == 10


def test_ram_filesystem_paths_read_like_local_ones():
    path = "ram://tfrecord_test/train-0.tfrecord"
    tf.io.gfile.makedirs("ram://tfrecord_test")
    write_records(path, rows_of(7))
    assert read_dataset("ram://tfrecord_test/*.tfrecord").texts_and_labels()[0] == [t for t, _ in rows_of(7)]


def test_a_file_of_another_kind_fails_with_its_path_and_record(tmp_path):
    csv = write(tmp_path / "data.tfrecord", "text,label\na fine film,pos\n")
    with pytest.raises(DataError, match=r"data\.tfrecord:1: record 1 is damaged or the file is not a TFRecord"):
        read_tfrecord(str(csv))
    other = tmp_path / "other.tfrecord"
    with tf.io.TFRecordWriter(str(other)) as writer:
        writer.write(serialize_example("fine", "pos"))
        example = tf.train.Example(features=tf.train.Features(feature={
            "sentence": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"x"]))}))  # fmt: skip
        writer.write(example.SerializeToString())
    with pytest.raises(DataError, match=r"other\.tfrecord:2: record 2 is not a tf.train.Example with bytes .*: label"):
        read_tfrecord(str(other))


def test_missing_paths_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="no file matches the pattern"):
        read_tfrecord(str(tmp_path / "none-*.tfrecord"))
    with pytest.raises(DataError, match="no such file"):
        read_tfrecord(str(tmp_path / "none.tfrecord"))
    folder = tmp_path / "prepared"
    write(folder / MANIFEST_FILE, json.dumps({"shards": [{"file": "gone.tfrecord"}]}))
    with pytest.raises(DataError, match="a shard listed in the manifest is missing"):
        read_dataset(str(folder))


def test_limit_and_text_column_options(tmp_path):
    path = write_records(tmp_path / "one.tfrecord", rows_of(0))
    assert len(read_dataset(path, limit=2).texts_and_labels()[0]) == 2
    with pytest.raises(ValueError, match="text_column"):
        read_dataset(path, text_column="body")
