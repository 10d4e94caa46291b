"""The `tf.data` C++ readers behind CSV/TSV files and class folders: the dataset a model trains on
runs no Python per example.

How a source gets one (`native_delimited`, `native_folder`):

1. The Python reader makes one first pass over the data, as it would for any epoch: every check
   with its one-line error naming the file and line, the skipped rows, the repaired bytes. Its
   rows are hashed as they go.
2. A C++ pipeline is built over the list of files: CSV/TSV through
   `tf.data.experimental.CsvDataset` (quotes, quoted line breaks, the header) when no row was
   skipped but for an empty label, else through `tf.data.TextLineDataset` + `tf.io.decode_csv`,
   keeping exactly the lines the first pass kept; a folder through `Dataset.from_tensor_slices`
   of the paths + `tf.io.read_file`. Bad UTF-8 becomes U+FFFD in-graph
   (`tf.strings.unicode_transcode`), as Python's `errors="replace"` does. Every path is a
   `tf.io.gfile` path: `gs://`, `s3://` (tensorflow-io), `hdfs://` and `ram://` alike.
3. The C++ pipeline is read once and its hash compared with the first pass's: only a pipeline
   that gives the same examples in the same order replaces the Python generator.

The Python generator stays (the data's `dataset` is today's `from_generator`) where the first
pass raised (the error then comes, as before, when the rows are read), for bz2/xz files, UTF-16/32
text, another `encoding` than UTF-8, a `quotechar` other than '"', files of one glob whose
columns differ, and anything whose C++ reading differs from Python's (e.g. `a"b` in an unquoted
CSV field, which Python's `csv` keeps and `CsvDataset` refuses). JSON Lines stays in Python: its
values' types, nested keys and per-row checks have no `tf.data` op.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from keras_restext.data.errors import DataError
from keras_restext.data.sources.encodings import open_data
from keras_restext.data.textdata import Row, Tally, TextData

logger = logging.getLogger("keras_restext.data")

_EMPTY_LABEL = "empty label"
_UTF8_BOM = "^\ufeff"  # as UTF-8 bytes in the pattern: EF BB BF


def native_compression(path: str, encoding: str) -> tuple[str, bool] | None:
    """`(compression_type, byte-order mark)` of a file for `tf.data`: "" (plain) or "GZIP", and
    whether it opens with a UTF-8 byte-order mark; None when only the Python reader reads it as it
    should (bz2, xz, a UTF-16/32 byte-order mark, another encoding than UTF-8)."""
    try:
        if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
            return None
        with open_data(path) as (stream, compression):
            head = stream.peek(4)[:4]
    except (LookupError, DataError, OSError):
        return None
    wide = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)
    if compression not in (None, "gzip") or head.startswith(wide):
        return None
    return ("GZIP" if compression == "gzip" else ""), head.startswith(codecs.BOM_UTF8)


def utf8(strings: tf.Tensor) -> tf.Tensor:
    """Strings with bytes that are not valid UTF-8 replaced with U+FFFD (as Python's "replace")."""
    return tf.strings.unicode_transcode(strings, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD)


class RowDigest:
    """An order-sensitive hash of `(text, label)` examples, to tell two readings apart."""

    def __init__(self):
        self._hash = hashlib.blake2b(digest_size=16)
        self.count = 0

    def add(self, text: bytes, label: bytes) -> None:
        self._hash.update(b"%d:%d:" % (len(text), len(label)) + text + label)
        self.count += 1

    def value(self) -> tuple[int, str]:
        return self.count, self._hash.hexdigest()


def digest_dataset(dataset: tf.data.Dataset) -> tuple[int, str]:
    """The `RowDigest` of a dataset of `(text, label)` string scalars, read in batches."""
    digest = RowDigest()
    for texts, labels in dataset.batch(4096).as_numpy_iterator():
        for text, label in zip(texts.tolist(), labels.tolist()):
            digest.add(text, label)
    return digest.value()


def same_as(dataset: tf.data.Dataset, expected: tuple[int, str], source: str) -> bool:
    """Whether `dataset` reads the examples that the first pass read (`expected`: its digest)."""
    try:
        found = digest_dataset(dataset)
    except (tf.errors.OpError, ValueError) as err:
        logger.debug("%s: the tf.data reader failed (%s); the Python reader is kept", source, err)
        return False
    if found != expected:
        logger.debug("%s: the tf.data reader read %s, Python %s; the Python reader is kept", source, found, expected)
    return found == expected


@dataclass(frozen=True)
class DelimitedLayout:
    """What the C++ CSV/TSV reader must know of the files (shared by all of them)."""

    num_fields: int
    text_indices: tuple[int, ...]
    label_index: int
    header: bool
    delimiter: str
    quoted: bool
    compression: str
    skip_empty_labels: bool
    bom: bool = False


def _example(fields: Sequence[tf.Tensor], layout: DelimitedLayout) -> tuple[tf.Tensor, tf.Tensor]:
    """One record's fields → `(text, label)`: the text columns joined with a space, the label stripped."""
    fields = list(fields)
    if layout.bom:  # Python drops a byte-order mark before parsing a file's first line
        fields[0] = tf.strings.regex_replace(fields[0], _UTF8_BOM, "")
    texts = [fields[i] for i in layout.text_indices]
    text = texts[0] if len(texts) == 1 else tf.strings.join(texts, separator=" ")
    return utf8(text), tf.strings.strip(utf8(fields[layout.label_index]))


_BATCH = 1024  # records per vectorised step: one element at a time, tf.data's overhead per element dominates


def _csv_records(files: Sequence[str], layout: DelimitedLayout) -> tf.data.Dataset:
    """`CsvDataset` over the files, one after the other (the header of each skipped), in batches
    of records: a tuple of field vectors."""

    def read(path):
        records = tf.data.experimental.CsvDataset(
            path, [""] * layout.num_fields, compression_type=layout.compression, header=layout.header,
            field_delim=layout.delimiter, use_quote_delim=layout.quoted,
        )  # fmt: skip
        return records.batch(_BATCH)

    return tf.data.Dataset.from_tensor_slices(list(files)).interleave(read, cycle_length=1)


def _drop_keys(files: Sequence[str], kept: dict[str, list[int]]) -> tuple[tf.Tensor, tf.Tensor]:
    """`(keys, last)`: the sorted keys `file index * 2**32 + line` of the lines that are no row, up
    to each file's last row, and that last row's line per file."""
    drops, last = [np.array([-1], np.int64)], []  # never empty
    for index, path in enumerate(files):
        lines = kept.get(path, [])
        last.append(lines[-1] if lines else 0)
        missing = np.setdiff1d(np.arange(1, last[-1] + 1, dtype=np.int64), np.asarray(lines, dtype=np.int64))
        drops.append(np.int64(index) * (1 << 32) + missing)
    return tf.constant(np.concatenate(drops)), tf.constant(last, tf.int64)


def _kept_lines(files: Sequence[str], layout: DelimitedLayout, kept: dict[str, list[int]]) -> tf.data.Dataset:
    """`TextLineDataset` over the files, keeping the lines (1-based) of `kept[path]` only, decoded
    by `tf.io.decode_csv` in batches: a tuple of field vectors."""
    drop_keys, last_lines = _drop_keys(files, kept)

    def read(index, path):
        lines = tf.data.TextLineDataset(path, compression_type=layout.compression).enumerate(1).batch(_BATCH)
        return lines.map(lambda numbers, batch: (index, numbers, batch))

    @tf.autograph.experimental.do_not_convert
    def decode(index, numbers, lines):
        keys = index * (1 << 32) + numbers
        position = tf.minimum(tf.searchsorted(drop_keys, keys), tf.size(drop_keys, out_type=tf.int32) - 1)
        keep = tf.logical_and(numbers <= tf.gather(last_lines, index), tf.not_equal(tf.gather(drop_keys, position), keys))
        fields = tf.io.decode_csv(tf.boolean_mask(lines, keep), [""] * layout.num_fields,
                                  field_delim=layout.delimiter, use_quote_delim=layout.quoted)  # fmt: skip
        return tuple(fields)

    names = tf.data.Dataset.from_tensor_slices((tf.range(len(files), dtype=tf.int64), list(files)))
    records = names.interleave(read, cycle_length=1)
    return records.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def delimited_dataset(
    files: Sequence[str], layout: DelimitedLayout, kept: dict[str, list[int]] | None, limit: int | None
) -> tf.data.Dataset:
    """The C++ dataset of `(text, label)` of CSV/TSV `files`: `CsvDataset` when `kept` is None
    (every record a row but the header and, with `skip_empty_labels`, rows without a label), else
    the lines of `kept` through `TextLineDataset`. Vectorised on batches of records, then unbatched."""
    records = _csv_records(files, layout) if kept is None else _kept_lines(files, layout, kept)

    @tf.autograph.experimental.do_not_convert
    def examples(*fields):
        texts, labels = _example(fields, layout)
        if layout.skip_empty_labels and kept is None:
            keep = tf.strings.length(labels) > 0
            texts, labels = tf.boolean_mask(texts, keep), tf.boolean_mask(labels, keep)
        return texts, labels

    dataset = records.map(examples, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).unbatch()
    return dataset if limit is None else dataset.take(limit)


def first_pass(rows: Callable[[], Iterator[Row]]) -> tuple[tuple[int, str], dict[str, list[int]]] | None:
    """Reads every row once in Python: `(digest, path → the lines of its rows)`; None when a row
    raised a `DataError` (the Python reader is kept, and raises it when read)."""
    digest, kept = RowDigest(), {}
    try:
        for row in rows():
            digest.add(row.text.encode("utf-8", "surrogatepass"), row.label.encode("utf-8", "surrogatepass"))
            kept.setdefault(row.path, []).append(row.line)
    except DataError:
        return None
    return digest.value(), kept


def with_native_delimited(
    data: TextData, files: list[str], layouts: Sequence, opts: dict, limit: int | None, tally: Tally
) -> TextData:
    """`data` (read by the Python CSV/TSV reader) with its `dataset` replaced by the C++ one when
    that reads the same examples in the same order (see the module docstring); else as it was.

    Args:
        data: the Python reader's `TextData`, whose `row_reader` reads `files` in order.
        files: the files, in order.
        layouts: each file's columns (`num_fields`, `text_indices`, `label_index`, `header`).
        opts: the reader's options (`encoding`, `delimiter`, `quoting`, `quotechar`, `on_bad_row`).
        limit: at most this many rows, or None.
        tally: the reader's counts: quiet in the first pass, which warns as every pass would.

    Returns:
        `data`, its `dataset` and `files` set when the C++ reader took over.
    """
    shapes = {(layout.num_fields, layout.text_indices, layout.label_index, layout.header is not None) for layout in layouts}
    found = [native_compression(path, opts["encoding"]) for path in files]
    if len(shapes) != 1 or None in found or len({c for c, _ in found}) != 1 or opts["quotechar"] != '"':
        return data
    tally.quiet = True  # the counts are kept, the warnings come from the passes that read the rows
    try:
        passed = first_pass(data.row_reader)
    finally:
        tally.quiet = False
    if passed is None:
        return data
    expected, kept = passed
    ((num_fields, text_indices, label_index, header),) = shapes
    layout = DelimitedLayout(
        num_fields, text_indices, label_index, header, opts["delimiter"], opts["quoting"] == "minimal",
        found[0][0], opts["on_bad_row"] == "skip", any(bom for _, bom in found),
    )  # fmt: skip
    # Lines first (the kept lines exactly); CsvDataset reads quoted line breaks too, but fails on a
    # blank line or a row of other fields.
    whole_records = set(data.skipped_reasons) <= {_EMPTY_LABEL}
    for lines in [kept] + ([None] if whole_records else []):
        dataset = delimited_dataset(files, layout, lines, limit)
        if same_as(dataset, expected, data.path):
            data.dataset, data.reader = dataset, "tf.data"
            if limit is None:  # a file list: each worker can read its own files
                data.files = tuple(files)
                data.of_files = lambda subset, lines=lines: delimited_dataset(subset, layout, lines, None)
            break
    return data


def folder_dataset(items: list[tuple[str, str]]) -> tf.data.Dataset:
    """The C++ dataset of `(text, label)` of a class folder: each file read whole, bad UTF-8
    replaced and a byte-order mark dropped, in the order of `items` (`(path, label)`)."""
    paths = [path for path, _ in items]
    labels = [label for _, label in items]

    @tf.autograph.experimental.do_not_convert
    def read(path, label):
        return tf.strings.regex_replace(utf8(tf.io.read_file(path)), _UTF8_BOM, ""), label

    dataset = tf.data.Dataset.from_tensor_slices((paths, labels))
    return dataset.map(read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def with_native_folder(data: TextData, items: list[tuple[str, str]], tally: Tally) -> TextData:
    """`data` (read by the Python folder reader) with its `dataset` replaced by `folder_dataset`
    when that reads the same examples in the same order; else as it was (see `with_native_delimited`).

    Args:
        data: the Python reader's `TextData`.
        items: the `(path, label)` of the files it reads, in order (cut to its `limit`).
        tally: the reader's counts: quiet in the first pass.
    """
    tally.quiet = True
    try:
        passed = first_pass(data.row_reader)
    finally:
        tally.quiet = False
    if passed is not None and same_as(folder_dataset(items), passed[0], data.path):
        data.dataset, data.reader = folder_dataset(items), "tf.data"  # `files` stays None: no tf.data reader op to shard by file
    return data


__all__ = [
    "DelimitedLayout",
    "RowDigest",
    "delimited_dataset",
    "digest_dataset",
    "first_pass",
    "folder_dataset",
    "native_compression",
    "same_as",
    "utf8",
    "with_native_delimited",
    "with_native_folder",
]
