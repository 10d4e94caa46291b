"""`TextData`: a stream of `(text, label)` examples, where it came from, and what was skipped."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from keras_restext.errors import ArgumentError

logger = logging.getLogger("keras_restext.data")

ELEMENT_SPEC = (tf.TensorSpec([], tf.string, name="text"), tf.TensorSpec([], tf.string, name="label"))


class Row(NamedTuple):
    """One example with its origin: `line` is the 1-based line where the row starts (for in-memory
    data and TFDS, the 0-based index)."""

    text: str
    label: str
    path: str
    line: int


@dataclass
class TextData:
    """A source's examples as a `tf.data.Dataset` of `(text, label)` string scalars, plus bookkeeping.

    Attributes:
        dataset: `tf.data.Dataset` of `(text: tf.string [], label: tf.string [])`. For multi-label
            data the label is the raw delimited string (`"sports|politics"`). Text is UTF-8; bytes
            that were not valid UTF-8 are replaced with U+FFFD (counted in `decode_errors`).
        path: the source (file, glob, directory, `"tfds:NAME:SPLIT"`, `"<memory>"`), for messages.
        skipped: rows skipped so far (only with `on_bad_row="skip"`, or blank lines); counted per
            pass over the data, so the numbers are complete once one pass (an epoch) has finished.
        skipped_reasons: the same count broken down by reason, e.g. `{"empty label": 2}`.
        decode_errors: lines (files, for a folder) whose bytes were not valid UTF-8 and were
            replaced with U+FFFD (kept, not skipped).
        label_names: the classes the source itself declares (a folder's sub-folders, a TFDS
            `ClassLabel`), in the source's order; None for files and in-memory data, whose labels
            come from the rows (`LabelVocabulary.from_data`).
        format: "csv", "tsv", "jsonl", "folder", "tfds" or "memory".
        multi_label_delimiter: the delimiter of multi-label rows, when `read_dataset` was given one.
        label_renames: the renaming of `with_label_names` (raw label → name), None without one.
        renamed_from: the data before `with_label_names`, whose raw labels `LabelVocabulary.from_data`
            checks the renaming against.
        files: the files that `dataset` reads with `tf.data`'s C++ readers, built from their list:
            `tf.distribute` can give each worker its own files (`AutoShardPolicy.FILE`). None for a
            Python generator, in-memory data, or a `limit`.
        of_files: with `files`, builds the same dataset over a subset of them (`for_worker`).
        reader: what `dataset` runs: "tf.data" (C++ ops only, see `sources.native`) or "python"
            (a generator, or data held in memory).
    """

    dataset: tf.data.Dataset
    path: str
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    decode_errors: int = 0
    label_names: list[str] | None = None
    format: str = "memory"
    multi_label_delimiter: str | None = None
    row_reader: Callable[[], Iterator[Row]] | None = field(default=None, repr=False, compare=False)
    label_renames: dict[str, str] | None = field(default=None, repr=False, compare=False)
    renamed_from: TextData | None = field(default=None, repr=False, compare=False)
    files: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    of_files: Callable[[Sequence[str]], tf.data.Dataset] | None = field(default=None, repr=False, compare=False)
    reader: str = field(default="python", compare=False)

    def for_worker(self, count: int, index: int) -> TextData:
        """The data one of `count` workers trains on: its `dataset` reads only every `count`-th of
        `files`, from the `index`-th (sharding by file, done here because the seeded shuffle of
        `build_pipeline` hides the files from `tf.distribute`'s auto-shard). `iter_rows` still
        reads every row (labels, counts, evaluation).

        Raises:
            ArgumentError: data without `files`, or fewer files than workers.
        """
        if self.files is None or self.of_files is None or len(self.files) < count or not 0 <= index < count:
            have = "no file list" if self.files is None else f"{len(self.files)} file(s)"
            raise ArgumentError(
                f"{self.path} cannot be sharded by file over {count} workers (worker {index}): it has {have}",
                argument="strategy",
            )
        files = self.files[index::count]
        return dataclasses.replace(self, dataset=self.of_files(files), files=files)

    def iter_rows(self) -> Iterator[Row]:
        """Iterates `Row(text, label, path, line)` in Python; raises `DataError` on a bad row."""
        if self.row_reader is not None:
            yield from self.row_reader()
            return
        index = 0
        for texts, labels in self.dataset.batch(1024).as_numpy_iterator():
            for text, label in zip(texts, labels):
                yield Row(_to_str(text), _to_str(label), self.path, index)
                index += 1

    def texts_and_labels(self, limit: int | None = None) -> tuple[list[str], list[str]]:
        """Materialises the examples (small data, tests, evaluation).

        Args:
            limit: read at most this many rows.

        Returns:
            `(texts, labels)`, two lists of `str` of the same length.
        """
        texts, labels = [], []
        for i, row in enumerate(self.iter_rows()):
            if limit is not None and i >= limit:
                break
            texts.append(row.text)
            labels.append(row.label)
        return texts, labels

    def with_label_names(self, names: Mapping[str, str]) -> TextData:
        """The same examples with their labels renamed, e.g. `{"0": "negative", "1": "positive"}`,
        so that a model learns, predicts and reports named classes. Labels are matched after
        stripping spaces (each part of a multi-label field alike); a label the mapping does not
        name keeps its own.

        A name must be a non-empty single line without control characters, and no two labels
        may end up with the same name (their classes would merge): an `ArgumentError` says which.
        A name for a label the data does not have is refused too, by `LabelVocabulary.from_data`
        (which reads every label anyway) or here for a source that declares its classes.

        Example:
        >>> from keras_restext.data import read_dataset
        >>> data = read_dataset((["a fine film", "a dull film"], ["1", "0"]))
        >>> data.with_label_names({"0": "negative", "1": "positive"}).texts_and_labels()[1]
        ['positive', 'negative']
        """
        names = checked_renames(names)
        if not names:
            return self
        if self.label_names is not None:
            check_renames_of(names, self.label_names, self.path)
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(list(names), list(names.values()), tf.string, tf.string),
            default_value="",
        )
        delimiter = self.multi_label_delimiter

        @tf.autograph.experimental.do_not_convert
        def rename(text, label):
            parts = tf.strings.strip(label if delimiter is None else tf.strings.split(label, sep=delimiter))
            found = table.lookup(parts)
            renamed = tf.where(tf.equal(found, ""), parts, found)
            return text, renamed if delimiter is None else tf.strings.reduce_join(renamed, separator=delimiter)

        def renamed_rows() -> Iterator[Row]:
            for row in self.iter_rows():
                yield row._replace(label=rename_label(row.label, names, delimiter))

        of_files = self.of_files
        return dataclasses.replace(
            self,
            dataset=self.dataset.map(rename),
            of_files=None if of_files is None else lambda files: of_files(files).map(rename),
            label_names=None if self.label_names is None else [names.get(n, n) for n in self.label_names],
            row_reader=renamed_rows,
            label_renames=names,
            renamed_from=self,
        )

    def report(self) -> str:
        """One line saying what was skipped or repaired, e.g. for a CLI; `""` when nothing was."""
        parts = []
        if self.skipped:
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped_reasons.items()))
            parts.append(f"skipped {self.skipped} row(s) ({reasons})")
        if self.decode_errors:
            parts.append(f"replaced non-UTF-8 bytes with U+FFFD in {self.decode_errors} line(s)/file(s)")
        return f"{self.path}: " + "; ".join(parts) if parts else ""


# Characters no label (nor label name) may hold: C0 and C1 controls (tab and newline included:
# `labels.txt` holds one label a line) and the Unicode line and paragraph separators.
LABEL_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def checked_renames(names: Mapping[str, str]) -> dict[str, str]:
    """`with_label_names`' mapping with stripped labels and names, once checked: every name a
    non-empty single line without control characters, no label named twice, no two labels given
    one name.

    Raises:
        ArgumentError: naming the label or names at fault (`argument="label_names"`).
    """
    renames: dict[str, str] = {}
    given: dict[str, str] = {}  # name -> the label that got it
    for raw, name in names.items():
        raw, name = str(raw).strip(), str(name).strip()
        problem = None
        if not name:
            problem = f"gives the label {raw!r} an empty name"
        elif LABEL_CONTROL.search(name):
            char = LABEL_CONTROL.search(name).group()
            problem = f"gives the label {raw!r} the name {name!r}, which has a control character (U+{ord(char):04X})"
        elif raw in renames:
            problem = f"names the label {raw!r} twice"
        elif name in given:
            problem = f"gives the labels {given[name]!r} and {raw!r} the same name {name!r}: their classes would merge"
        if problem:
            raise ArgumentError(f"`label_names` {problem}", argument="label_names")
        renames[raw] = name
        given[name] = raw
    return renames


def check_renames_of(renames: Mapping[str, str], labels, path: str) -> None:
    """Checks a renaming against the labels the data has: each renamed label is one of them, and
    no renamed label takes the name of a label that keeps its own (the two classes would merge).

    Raises:
        ArgumentError: naming the label at fault (`argument="label_names"`).
    """
    labels = set(labels)
    unknown = [raw for raw in renames if raw not in labels]
    if unknown:
        shown = ", ".join(sorted(labels)[:20]) + (", ..." if len(labels) > 20 else "")
        raise ArgumentError(
            f"`label_names` names the label {unknown[0]!r}, which {path} does not have (its labels: {shown})",
            argument="label_names",
        )
    kept = labels - set(renames)
    taken = [raw for raw, name in renames.items() if name in kept]
    if taken:
        name = renames[taken[0]]
        raise ArgumentError(
            f"`label_names` renames {taken[0]!r} to {name!r}, which is another label of {path} (not renamed): "
            "their classes would merge",
            argument="label_names",
        )


def rename_label(label: str, names: Mapping[str, str], delimiter: str | None) -> str:
    """A raw label (or each part of a multi-label field) renamed by `names`, stripped."""
    if delimiter is None:
        return names.get(label.strip(), label.strip())
    return delimiter.join(names.get(part.strip(), part.strip()) for part in label.split(delimiter))


def _to_str(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


class Tally:
    """Counts skipped rows and decoding repairs per file and per pass, and mirrors the totals onto a
    `TextData`. A new pass over a file (the next epoch) starts its counts afresh, so the totals are
    never counted twice."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet  # counts without warnings: a probe of a file's first rows
        self._lock = threading.Lock()
        self._skips: dict[str, Counter] = {}
        self._decode: dict[str, int] = {}
        self._reported: dict[str, tuple] = {}  # path -> what its last warning said
        self.data: TextData | None = None

    def start(self, path: str) -> None:
        with self._lock:
            self._skips[path] = Counter()
            self._decode[path] = 0
        self._publish()

    def skip(self, path: str, reason: str) -> None:
        with self._lock:
            self._skips.setdefault(path, Counter())[reason] += 1
        self._publish()

    def bad_rows(self, path: str, *but: str) -> int:
        """The rows of `path` skipped in this pass for being bad (blank lines are not bad), but for
        the reasons `but`."""
        with self._lock:
            skips = self._skips.get(path, Counter())
            return sum(n for why, n in skips.items() if why != "blank line" and why not in but)

    def decode_error(self, path: str) -> None:
        with self._lock:
            self._decode[path] = self._decode.get(path, 0) + 1
        self._publish()

    def finish(self, path: str) -> None:
        """Logs a warning at the end of a pass over `path` if anything was skipped or repaired, once:
        training reads a file several times (counting, adapting, every epoch), each pass alike."""
        skips = self._skips.get(path, Counter())
        decoded = self._decode.get(path, 0)
        said = (tuple(sorted(skips.items())), decoded)
        if self.quiet or self._reported.get(path) == said:
            return
        self._reported[path] = said
        if skips:
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(skips.items()))
            logger.warning("%s: skipped %d row(s): %s", path, sum(skips.values()), reasons)
        if decoded:
            logger.warning("%s: %d line(s) or file(s) were not valid UTF-8; bad bytes replaced with U+FFFD", path, decoded)

    def _publish(self) -> None:
        if self.data is None:
            return
        with self._lock:
            total = Counter()
            for counts in self._skips.values():
                total.update(counts)
            self.data.skipped = sum(total.values())
            self.data.skipped_reasons = dict(total)
            self.data.decode_errors = sum(self._decode.values())


def dataset_from_rows(row_reader: Callable[[], Iterator[Row]], chunk_size: int = 512) -> tf.data.Dataset:
    """Streams a Python row iterator into `tf.data`, `chunk_size` rows per Python call (then unbatched):
    one call per row would make the Python-to-TF hop the bottleneck."""

    def chunks():
        texts, labels = [], []
        for row in row_reader():
            texts.append(row.text)
            labels.append(row.label)
            if len(texts) >= chunk_size:
                yield np.array(texts, dtype=object), np.array(labels, dtype=object)
                texts, labels = [], []
        if texts:
            yield np.array(texts, dtype=object), np.array(labels, dtype=object)

    spec = (tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.string))
    return tf.data.Dataset.from_generator(chunks, output_signature=spec).unbatch()


def from_rows(
    row_reader: Callable[[], Iterator[Row]],
    *,
    path: str,
    format: str,
    tally: Tally | None = None,
    label_names: list[str] | None = None,
    delimiter: str | None = None,
    chunk_size: int = 512,
    dataset: tf.data.Dataset | None = None,
) -> TextData:
    """Builds a `TextData` whose dataset and Python iteration share one row reader.

    `dataset` replaces the streamed one when the rows are already in memory as tensors.
    """
    data = TextData(
        dataset=dataset if dataset is not None else dataset_from_rows(row_reader, chunk_size),
        path=path,
        label_names=label_names,
        format=format,
        multi_label_delimiter=delimiter,
        row_reader=row_reader,
    )
    if tally is not None:
        tally.data = data
        tally._publish()
    return data


__all__ = [
    "ELEMENT_SPEC",
    "LABEL_CONTROL",
    "Row",
    "Tally",
    "TextData",
    "check_renames_of",
    "checked_renames",
    "dataset_from_rows",
    "from_rows",
    "rename_label",
]
