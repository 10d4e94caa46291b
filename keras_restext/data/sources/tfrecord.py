"""TFRecord files of `tf.train.Example`, and prepared folders (`restext prepare`), read with C++ ops.

A record holds the bytes features `"text"` and `"label"` and, optionally, the int64 list
`"token_ids"` (a prepared folder made with a tokenizer). The dataset is built from a list of
files (`Dataset.list_files(shuffle=False)` → `interleave(TFRecordDataset)` → batched
`parse_example`): no Python runs per example, and `tf.distribute`'s `AutoShardPolicy.FILE` gives
each worker its own files. Paths go through `tf.io.gfile`, so `gs://`, `s3://` (with
tensorflow-io), `hdfs://` and `ram://` read like local paths.

A prepared folder holds `manifest.json` (counts, label names, length histogram, vocabulary; see
`keras_restext.data.prepare`) and its `*.tfrecord` shards.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Sequence

import tensorflow as tf

from keras_restext.checks import check_positive_int
from keras_restext.data.errors import DataError
from keras_restext.data.textdata import TextData

MANIFEST_FILE = "manifest.json"
SUFFIX = ".tfrecord"
TEXT, LABEL, TOKEN_IDS = "text", "label", "token_ids"
PARSE_BATCH = 512  # records per `parse_example` call: vectorised parsing, then split back into examples
GLOB_CHARS = "*?["


def is_prepared_folder(path: str) -> bool:
    """Whether `path` is a folder that holds a `manifest.json` (a prepared folder)."""
    return tf.io.gfile.isdir(path) and tf.io.gfile.exists(posixpath.join(path, MANIFEST_FILE))


def read_manifest(folder: str) -> dict:
    """The `manifest.json` of a prepared folder, as a dict.

    Raises:
        DataError: no manifest, or one that is not a JSON object listing its shards.
    """
    path = posixpath.join(folder, MANIFEST_FILE)
    if not tf.io.gfile.exists(path):
        raise DataError("no manifest", path=path, expected="a folder made by `restext prepare`")
    with tf.io.gfile.GFile(path, "r") as stream:
        try:
            manifest = json.loads(stream.read())
        except json.JSONDecodeError as error:
            raise DataError(f"not valid JSON ({error.msg})", path=path, line=error.lineno) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("shards"), list):
        raise DataError("the manifest lists no shards", path=path, expected='a JSON object with "shards": [...]')
    return manifest


def tfrecord_files(path: str) -> tuple[list[str], dict | None]:
    """The record files `path` names, sorted, and the manifest when `path` is a prepared folder.

    Args:
        path: a `.tfrecord` file, a glob of them (`"data/train-*.tfrecord"`), a prepared folder, or
            a folder of `.tfrecord` files; any filesystem `tf.io.gfile` reaches.

    Raises:
        DataError: no such file, no match, a shard that the manifest lists but the folder lacks.
    """
    if is_prepared_folder(path):
        manifest = read_manifest(path)
        files = [posixpath.join(path, shard["file"]) for shard in manifest["shards"]]
        missing = [f for f in files if not tf.io.gfile.exists(f)]
        if missing:
            raise DataError("a shard listed in the manifest is missing", path=missing[0],
                            expected=f"the {len(files)} shards of {posixpath.join(path, MANIFEST_FILE)}")  # fmt: skip
        return files, manifest
    if tf.io.gfile.isdir(path):
        path = posixpath.join(path, "*" + SUFFIX)
    if any(ch in path for ch in GLOB_CHARS):
        files = sorted(f for f in tf.io.gfile.glob(path) if not tf.io.gfile.isdir(f))
        if not files:
            raise DataError("no file matches the pattern", path=path,
                            expected="a glob that matches at least one .tfrecord file")  # fmt: skip
        return files, None
    if not tf.io.gfile.exists(path):
        raise DataError("no such file or directory", path=path, expected="a .tfrecord file, a glob or a prepared folder")
    return [path], None


def feature_spec(token_ids: bool = False) -> dict:
    """The `parse_example` features of a record: text and label, and token ids if asked."""
    spec = {TEXT: tf.io.FixedLenFeature([], tf.string), LABEL: tf.io.FixedLenFeature([], tf.string)}
    if token_ids:
        spec[TOKEN_IDS] = tf.io.RaggedFeature(tf.int64)
    return spec


def record_dataset(
    files: list[str], *, token_ids: bool = False, cycle_length: int | None = None, keys: Sequence[str] | None = None
) -> tf.data.Dataset:
    """The parsed records of `files`, as dicts `{"text", "label"[, "token_ids"]}`, in C++ only.

    The files come from `Dataset.list_files(shuffle=False)` and are read by `interleave`, so that
    `AutoShardPolicy.FILE` can hand each worker its own files. The order is fixed: one record of
    each of `cycle_length` files in turn (deterministic, whatever the parallelism). With `keys`,
    each record is the tuple of those features instead, picked while still batched (a `map` per
    record after the split cost two thirds of the reading rate).
    """
    cycle = min(len(files), cycle_length or 16)
    names = tf.data.Dataset.list_files(files, shuffle=False)
    records = names.interleave(
        tf.data.TFRecordDataset, cycle_length=cycle, block_length=1, num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )  # fmt: skip
    spec = feature_spec(token_ids)

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow ops: no source conversion needed
    def parse(serialized):
        features = tf.io.parse_example(serialized, spec)
        return features if keys is None else tuple(features[key] for key in keys)

    parsed = records.batch(PARSE_BATCH).map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return parsed.unbatch()


def check_records(path: str, check_rows: int, token_ids: bool = False) -> None:
    """Parses the first `check_rows` records of `path` now, so that a file of another kind fails
    before training with its path and record number (1-based) rather than deep inside `tf.data`."""
    spec = feature_spec(token_ids)
    index = 0
    try:
        for index, serialized in enumerate(tf.data.TFRecordDataset(path).take(check_rows).as_numpy_iterator(), 1):
            tf.io.parse_single_example(serialized, spec)
    except tf.errors.InvalidArgumentError as error:  # `index` is the record that failed to parse
        problem = re.sub(r"\{\{.*?\}\}|\[Op:\w+\]", "", error.message.split("\n")[0]).strip()
        raise DataError(f"record {index} is not a tf.train.Example with bytes features 'text' and 'label' "
                        f"({problem})", path=path, line=index) from None  # fmt: skip
    except tf.errors.DataLossError:
        raise DataError(f"record {index + 1} is damaged or the file is not a TFRecord file", path=path,
                        line=index + 1, expected="a TFRecord file of tf.train.Example records") from None  # fmt: skip
    if index == 0:
        raise DataError("no records", path=path, expected="at least one tf.train.Example")


def read_tfrecord(
    path: str,
    *,
    label_delimiter: str | None = None,
    check_rows: int = 1000,
    limit: int | None = None,
    cycle_length: int | None = None,
) -> TextData:
    """Reads `(text, label)` examples from TFRecord files or a prepared folder, with C++ ops only.

    Args:
        path: a `.tfrecord` file, a glob of them, a folder of them, or a folder made by `restext
            prepare` (its `manifest.json` names the shards and the label names); local or any
            filesystem of `tf.io.gfile` (`gs://`, `ram://`, ...).
        label_delimiter: the delimiter of multi-label rows (a prepared folder's manifest gives it).
        check_rows: records of the first file parsed now, so that a file of another kind fails early.
        limit: read at most this many examples.
        cycle_length: files read at once by `interleave` (default: up to 16).

    Returns:
        A `TextData` of format "tfrecord"; for a prepared folder, with the manifest's label names.

    Raises:
        DataError: a missing file, a glob without a match, a file that is not a TFRecord file of
            `tf.train.Example` records with bytes features "text" and "label".

    Example:
    >>> import tempfile, os
    >>> from keras_restext.data.sources.tfrecord import serialize_example
    >>> path = os.path.join(tempfile.mkdtemp(), "train.tfrecord")
    >>> with tf.io.TFRecordWriter(path) as writer:
    ...     writer.write(serialize_example("a fine film", "pos"))
    >>> read_tfrecord(path).texts_and_labels()
    (['a fine film'], ['pos'])
    """
    check_positive_int("check_rows", check_rows)
    check_positive_int("limit", limit, allow_none=True)
    files, manifest = tfrecord_files(str(path))
    check_records(files[0], check_rows)

    def of_files(subset) -> tf.data.Dataset:  # the same reading over some of the files: one worker's share
        return record_dataset(list(subset), cycle_length=cycle_length, keys=(TEXT, LABEL))

    dataset = of_files(files) if limit is None else of_files(files).take(limit)
    label_names = None
    if manifest is not None:
        label_names = manifest.get("labels", {}).get("names") if not manifest.get("multi_label_delimiter") else None
        label_delimiter = label_delimiter or manifest.get("multi_label_delimiter")
    return TextData(
        dataset=dataset, path=str(path), label_names=label_names, format="tfrecord",
        multi_label_delimiter=label_delimiter, reader="tf.data",
        files=None if limit is not None else tuple(files), of_files=None if limit is not None else of_files,
    )  # fmt: skip


def serialize_example(text, label, token_ids=None) -> bytes:
    """One record: a `tf.train.Example` with bytes "text" and "label" (and int64 "token_ids")."""

    def as_bytes(value) -> bytes:
        return value if isinstance(value, bytes) else str(value).encode("utf-8")

    features = {
        TEXT: tf.train.Feature(bytes_list=tf.train.BytesList(value=[as_bytes(text)])),
        LABEL: tf.train.Feature(bytes_list=tf.train.BytesList(value=[as_bytes(label)])),
    }
    if token_ids is not None:
        features[TOKEN_IDS] = tf.train.Feature(int64_list=tf.train.Int64List(value=list(token_ids)))
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


__all__ = [
    "MANIFEST_FILE",
    "check_records",
    "is_prepared_folder",
    "read_manifest",
    "read_tfrecord",
    "record_dataset",
    "serialize_example",
    "tfrecord_files",
]
