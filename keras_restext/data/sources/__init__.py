"""`read_dataset`: one entry point for every source of `(text, label)` examples."""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from keras_restext.checks import check_choice
from keras_restext.data.errors import DataError
from keras_restext.data.sources import paths
from keras_restext.data.sources.common import GLOB_CHARS
from keras_restext.data.sources.delimited import LABEL_COLUMN_NAMES, TEXT_COLUMN_NAMES, read_delimited
from keras_restext.data.sources.folder import read_folder
from keras_restext.data.sources.jsonl import read_jsonl
from keras_restext.data.sources.memory import from_tf_dataset, read_memory
from keras_restext.data.sources.tfds_source import parse_tfds_name, read_tfds
from keras_restext.data.sources.tfrecord import is_prepared_folder, read_tfrecord
from keras_restext.data.textdata import TextData
from keras_restext.errors import ArgumentError

FORMATS = ("csv", "tsv", "jsonl", "folder", "tfds", "memory", "tfrecord")
_ALIASES = {"json": "jsonl", "directory": "folder", "dir": "folder", "tab": "tsv"}
_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")
_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}
_SUFFIXES[".tfrecord"] = "tfrecord"  # TFRecord files of tf.train.Example (sources.tfrecord)


def infer_format(source) -> str:
    """The format `read_dataset` would use for `source` (see `read_dataset`)."""
    if isinstance(source, tf.data.Dataset) or not isinstance(source, (str, os.PathLike)):
        return "memory"
    source = os.fspath(source)
    if source.startswith("tfds:"):
        return "tfds"
    if is_prepared_folder(source):  # made by `restext prepare`
        return "tfrecord"
    if paths.isdir(source):
        return "folder"
    stem, suffix = os.path.splitext(source)
    if suffix.lower() in _COMPRESSED_SUFFIXES:  # data.csv.gz: a compressed csv file (sources.encodings)
        suffix = os.path.splitext(stem)[1] or suffix
    suffix = suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    if not any(ch in source for ch in GLOB_CHARS) and not paths.exists(source):
        raise DataError("no such file or directory", path=source, expected="an existing file, a glob pattern or a directory")
    raise DataError(
        f"cannot infer the format from the name (suffix {suffix or 'none'!r})",
        path=source,
        expected=f"a .csv, .tsv/.tab or .jsonl/.json file, a directory, 'tfds:NAME', or format= one of {FORMATS}",
    )


def _is_pair(source) -> bool:
    return (
        isinstance(source, (tuple, list))
        and len(source) == 2
        and all(isinstance(part, (list, tuple, np.ndarray, tf.Tensor)) for part in source)
    )


_COMMON = {"format", "text_column", "label_column", "header", "label_delimiter", "labels"}


def _call(reader, source, format: str, **kwargs):
    """Calls a reader, turning an unknown option into a ValueError that lists the allowed ones."""
    params = list(inspect.signature(reader).parameters)[1:]
    unknown = sorted(k for k in kwargs if k not in params)
    if unknown:
        allowed = [p for p in params if p not in _COMMON]
        raise ValueError(f"Unknown option(s) {unknown} for format={format!r}. Allowed options: {', '.join(allowed)}")
    if "format" in params:
        kwargs["format"] = format
    return reader(source, **kwargs)


def read_dataset(
    source,
    *,
    format: str | None = None,
    text_column: str | int | Sequence[str | int] | None = None,
    label_column: str | int | None = None,
    header: bool | None = None,
    label_delimiter: str | None = None,
    labels=None,
    **format_options,
) -> TextData:
    """Reads `(text, label)` examples from a file, a glob, a folder, TFDS or memory.

    The format comes from the source: `.csv` → "csv", `.tsv`/`.tab` → "tsv", `.jsonl`/`.json` →
    "jsonl" (each also compressed: `.csv.gz`, `.bz2`, `.xz`), a directory → "folder",
    `"tfds:NAME[:SPLIT]"` → "tfds", `.tfrecord` or a folder made by `restext prepare` → "tfrecord"
    (`sources.tfrecord`), a `(texts, labels)` pair of lists/arrays (or `texts` plus
    `labels=`) or a `tf.data.Dataset` → "memory". `format=` overrides.
    With no options, the shared benchmark files read as they are: mr's CSV (header `text,label`),
    sst2's TSV (header `sentence<TAB>label`) and trec's TSV (no header; `LABEL<TAB>question`, the
    label column being the one with fewer distinct values; see `sources.delimited`).

    Nothing is dropped silently: bad rows raise a `DataError` naming the file and line, or, with
    `on_bad_row="skip"`, are skipped and counted in `TextData.skipped` / `skipped_reasons` (and
    logged). Bytes that are not valid UTF-8 are replaced with U+FFFD and counted in
    `TextData.decode_errors` (`encoding_errors="strict"` raises instead); a byte-order mark reads
    UTF-16/32 files, and gzip, bzip2 and xz files are decompressed (see `sources.encodings`). Empty
    texts are kept, but a text column that is blank in every row is a `DataError`.
    The header and the first `check_rows` rows of each file are checked now, the rest as they stream.

    Args:
        source: a path (file, glob such as `"data/*.csv"`, directory), `"tfds:NAME[:SPLIT]"`, a
            `(texts, labels)` pair of lists/arrays, texts (with `labels=`), or a `tf.data.Dataset`
            of `(text, label)` pairs.
        format: "csv", "tsv", "jsonl", "folder", "tfds" or "memory"; None infers it.
        text_column: the text column (csv/tsv: header name or 0-based index; jsonl/tfds: key), or a
            list of them, joined with a space (e.g. `["title", "body"]`). None finds it by name.
        label_column: the label column or key. None finds it by name ("label", "class", ...).
        header: csv/tsv only: True, False, or None to detect it.
        label_delimiter: multi-label rows: the delimiter between labels in the label field (e.g.
            `"|"`); the label stays the raw string, `LabelVocabulary` splits it.
        labels: the labels of in-memory `texts`.
        **format_options: per format:
            csv/tsv: `delimiter`, `quoting` ("minimal" or "none"), `quotechar`, `encoding`,
            `encoding_errors` ("replace" or "strict"), `on_bad_row` ("error" or "skip"),
            `check_rows` (1000), `limit`, `chunk_size`;
            jsonl: `text_key`/`label_key` (aliases of the columns), `encoding`, `encoding_errors`,
            `on_bad_row`, `check_rows`, `limit`, `chunk_size`;
            folder: `class_names`, `shuffle_files` (True), `seed` (0), `follow_links`, `encoding`,
            `encoding_errors`, `limit`, `chunk_size`;
            tfds: `text_key`/`label_key`, `data_dir`, `download` (False), `limit`;
            memory: `on_bad_row`, `label_names`.

    Returns:
        A `TextData`.

    Raises:
        DataError: a missing or empty file, a missing column, a bad row, ...
        ValueError: an unknown format or option.

    Example:
    >>> read_dataset((["great", "awful"], [1, 0])).texts_and_labels()
    (['great', 'awful'], ['1', '0'])

    A file (the benchmark data beside the repository):

    ```python
    data = read_dataset("../shared/data/mr/train.csv")
    texts, labels = data.texts_and_labels(limit=2)  # labels: ['negative', 'positive']
    ```
    """
    if "text_key" in format_options:
        text_column = format_options.pop("text_key")
    if "label_key" in format_options:
        label_column = format_options.pop("label_key")
    if labels is not None:
        source = (source, labels)
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    format = _format(source, format)
    if header is not None and format not in ("csv", "tsv"):
        raise ArgumentError(
            f"`header` applies to csv and tsv files only. Received: header={header!r} for format={format!r}",
            argument="header",
        )
    columns = {"text_column": text_column, "label_column": label_column}
    return _read(source, format, columns, header, label_delimiter, format_options)


def _format(source, format: str | None) -> str:
    """The format named by `format=` (aliases such as "json" allowed), or else inferred from `source`."""
    if format is not None:
        format = _ALIASES.get(str(format).lower(), str(format).lower())
        check_choice("format", format, FORMATS)
        return format
    if _is_pair(source) or isinstance(source, tf.data.Dataset):
        return "memory"
    if isinstance(source, str):
        return infer_format(source)
    raise ArgumentError(
        "`source` must be a path, 'tfds:NAME', a (texts, labels) pair, or a tf.data.Dataset. "
        f"Received: {type(source).__name__}",
        argument="source",
    )


def _read(source, format: str, columns: dict, header, label_delimiter, format_options: dict) -> TextData:
    """Calls the reader of `format` with `read_dataset`'s arguments; `columns` holds `text_column`
    and `label_column`."""
    if format in ("csv", "tsv"):
        return _call(
            read_delimited, source, format, **columns, header=header, label_delimiter=label_delimiter, **format_options
        )
    if format == "jsonl":
        return _call(read_jsonl, source, format, **columns, label_delimiter=label_delimiter, **format_options)
    text_column = columns["text_column"]
    if text_column is not None and format in ("folder", "memory", "tfrecord"):
        raise ArgumentError(
            f"`text_column` does not apply to format={format!r}. Received: text_column={text_column!r}",
            argument="text_column",
        )
    if format == "tfrecord":
        return _call(read_tfrecord, source, format, label_delimiter=label_delimiter, **format_options)
    if format == "folder":
        return _call(read_folder, source, format, **format_options)
    if format == "tfds":
        if not isinstance(source, str) or not source.startswith("tfds:"):
            source = f"tfds:{source}"
        return _call(read_tfds, source, format, **columns, label_delimiter=label_delimiter, **format_options)
    if isinstance(source, tf.data.Dataset):
        return _call(from_tf_dataset, source, format, label_delimiter=label_delimiter, **format_options)
    if not _is_pair(source):
        raise ValueError("In-memory data must be a (texts, labels) pair of lists or arrays, or texts with labels=.")
    return _call(read_memory, source[0], format, labels=source[1], label_delimiter=label_delimiter, **format_options)


__all__ = [
    "FORMATS",
    "LABEL_COLUMN_NAMES",
    "TEXT_COLUMN_NAMES",
    "infer_format",
    "parse_tfds_name",
    "read_dataset",
]
