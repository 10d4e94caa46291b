"""`LabelVocabulary`: the classes, in a stable order, and label strings → one-hot / multi-hot targets."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence

import keras
import numpy as np
import tensorflow as tf

from keras_restext.data.errors import DataError, shorten
from keras_restext.data.textdata import LABEL_CONTROL, TextData, check_renames_of
from keras_restext.errors import ArgumentError

LABELS_FILE = "labels.txt"
_META_FILE = "labels.json"
_UNSEEN, _FIRST_NAME = 1, 2  # the ids `_lookup` gives an unseen label and the first name


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def sort_labels(names: Iterable[str]) -> list[str]:
    """Sorted label names: numerically when every name is an integer ("2" < "10"), else as strings."""
    names = sorted(set(names))
    if names and all(_is_int(n) for n in names):
        return sorted(names, key=lambda n: (int(n), n))
    return names


def write_labels(path: str | os.PathLike, names: Iterable[str]) -> None:
    """Writes class names to `path` (`labels.txt`, `labels_<task>.txt`), one a line, in id order:
    the one writer of every labels file, beside a model, an export or a LiteRT model."""
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("".join(f"{name}\n" for name in names))


def split_labels(raw: str, delimiter: str) -> list[str]:
    """The labels of a multi-label field: split on `delimiter`, stripped, empties dropped."""
    return [part.strip() for part in raw.split(delimiter) if part.strip()]


def _check_label_characters(names: set[str], data) -> None:
    """Raises a `DataError` at the first row of a label with a control character (a tab, a NUL,
    ...): `labels.txt` holds one label a line, and such a label cannot be told from its neighbour
    without the character in a report."""
    bad = sorted(name for name in names if LABEL_CONTROL.search(name))
    if not bad:
        return
    char = LABEL_CONTROL.search(bad[0]).group()
    rows = data.iter_rows() if isinstance(data, TextData) else ()
    row = next((row for row in rows if bad[0] in _row_labels(row.label, data.multi_label_delimiter)), None)
    raise DataError(
        f"label {shorten(bad[0])} has a control character (U+{ord(char):04X})",
        path=row.path if row else getattr(data, "path", None),
        line=row.line if row else None,
        expected="labels of printable characters, one line each",
    )


def _row_labels(label: str, delimiter: str | None) -> list[str]:
    return split_labels(label, delimiter) if delimiter else [label.strip()]


class LabelVocabulary:
    """The label names of a task and how to encode them for training.

    Single-label: each example has one label, encoded one-hot. Multi-label: the label field holds
    labels joined by `delimiter` (`"sports|politics"`), encoded multi-hot. Names are sorted
    (numerically when all are integers) unless the source declares its own order (a folder's
    sub-folders, a TFDS `ClassLabel`); they are saved next to a model as `labels.txt`.

    Args:
        names: the label names, in id order.
        multi_label: whether a label field may hold several labels.
        delimiter: the separator of multi-label fields (required with `multi_label=True`).

    Example:
    >>> vocab = LabelVocabulary.from_data(["pos", "neg", "pos"])
    >>> vocab.names
    ['neg', 'pos']
    >>> vocab.encode(tf.constant(["pos", "neg"])).numpy().tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """

    def __init__(self, names: Sequence[str], *, multi_label: bool = False, delimiter: str | None = None):
        names = [str(n) for n in names]
        if not names:
            raise ValueError("A label vocabulary needs at least one label. Received: names=[]")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Label names must be unique. Received duplicates: {duplicates}")
        if multi_label and not delimiter:
            raise ArgumentError(
                "`multi_label=True` needs a `delimiter`, e.g. '|'. Received: delimiter=None", argument="delimiter"
            )
        bad = [n for n in names if not n.strip() or "\n" in n or "\r" in n or (multi_label and delimiter in n)]
        if bad:
            raise ValueError(f"Label names must be non-empty single lines without the delimiter. Received: {bad[:5]}")
        controlled = [n for n in names if LABEL_CONTROL.search(n)]
        if controlled:
            raise ValueError(f"Label names must not hold control characters (a tab, ...). Received: {controlled[:5]}")
        self.names = names
        self.multi_label = bool(multi_label)
        self.delimiter = delimiter if multi_label else None
        self._index = {n: i for i, n in enumerate(names)}
        self._string_lookup = None

    @classmethod
    def from_data(
        cls,
        data: TextData | Iterable[str],
        *,
        multi_label: bool = False,
        delimiter: str | None = None,
    ) -> LabelVocabulary:
        """Builds the vocabulary from training labels.

        Args:
            data: a `TextData` (its declared `label_names` win when the source has them) or label
                strings.
            multi_label: split each label field on `delimiter`. Implied when the `TextData` was
                read with a `label_delimiter`.
            delimiter: the multi-label separator (default: the `TextData`'s, else "|").

        Returns:
            A `LabelVocabulary` with the labels in a stable order.
        """
        renames = None
        if isinstance(data, TextData):
            delimiter = delimiter or data.multi_label_delimiter
            multi_label = multi_label or data.multi_label_delimiter is not None
            if data.label_names and not multi_label:
                return cls(data.label_names)
            # A renamed source: its raw labels, to check the renaming against (in this same pass).
            renames = data.label_renames
            source = data.renamed_from if renames else data
            labels = (row.label.strip() for row in source.iter_rows())
        else:
            labels = (str(x) for x in data)
        if multi_label:
            delimiter = delimiter or "|"
            names = {name for raw in labels for name in split_labels(raw, delimiter)}
        else:
            names = set(labels)
        if not names:
            raise DataError("no labels found", path=getattr(data, "path", None), expected="at least one labelled example")
        if renames:
            check_renames_of(renames, names, data.path)
            names = {renames.get(name, name) for name in names}
        _check_label_characters(names, data)
        return cls(sort_labels(names), multi_label=multi_label, delimiter=delimiter)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        kind = f", multi_label=True, delimiter={self.delimiter!r}" if self.multi_label else ""
        return f"LabelVocabulary({self.names!r}{kind})"

    def __eq__(self, other) -> bool:
        return isinstance(other, LabelVocabulary) and self.get_config() == other.get_config()

    def index(self, name: str) -> int:
        """The id of one label name."""
        return self._index[name]

    def _lookup(self) -> keras.layers.StringLookup:
        if self._string_lookup is None:
            with tf.init_scope():  # created eagerly even when first used inside a tf.data map
                # "" (an empty part of a multi-label field) → 0, an unseen label → 1, the names → 2, 3, ...
                # Its mask and OOV tokens are strings no label name can be, so "[UNK]" may be a class.
                self._string_lookup = keras.layers.StringLookup(
                    vocabulary=self.names, mask_token="", oov_token="\n", num_oov_indices=1, name="label_lookup"
                )
        return self._string_lookup

    def encode(self, labels: tf.Tensor) -> tf.Tensor:
        """Label strings `[batch]` → float32 one-hot (or multi-hot) targets `[batch, num_classes]`.

        Usable inside `tf.data.Dataset.map`. A label that is not in the vocabulary fails with an
        `InvalidArgumentError`; call `check(data)` first to find its file and line.
        """
        labels = tf.convert_to_tensor(labels, tf.string)
        lookup = self._lookup()
        depth = len(self.names)
        message = "a label is not in the label vocabulary (LabelVocabulary.check(data) names its file and line)"
        if not self.multi_label:
            ids = lookup(tf.strings.strip(labels))
            known = tf.debugging.assert_greater(ids, tf.constant(_UNSEEN, ids.dtype), message=message)
            with tf.control_dependencies([known]):
                return tf.one_hot(ids - _FIRST_NAME, depth, dtype=tf.float32)
        parts = tf.strings.split(labels, sep=self.delimiter)
        ids = lookup(tf.strings.strip(parts.flat_values))
        with tf.control_dependencies([tf.debugging.Assert(tf.reduce_all(ids != _UNSEEN), [message])]):
            hot = tf.one_hot(ids - _FIRST_NAME, depth, dtype=tf.float32)  # an empty part (-2) → all zeros
        return tf.math.unsorted_segment_max(hot, parts.value_rowids(), tf.shape(labels, out_type=tf.int64)[0])

    def decode(self, probabilities, threshold: float = 0.5) -> list:
        """Model outputs `[batch, num_classes]` → label names (lists of names for multi-label)."""
        probabilities = np.asarray(probabilities)
        if self.multi_label:
            return [[self.names[i] for i in np.flatnonzero(row >= threshold)] for row in probabilities]
        return [self.names[i] for i in probabilities.argmax(axis=-1)]

    def check(self, data: TextData) -> None:
        """Raises `DataError` at the first row whose label training never saw (e.g. in test data).

        The message names the file and line, the unknown label, and how many rows have unknown labels.
        """
        first, count = None, 0
        for row in data.iter_rows():
            found = split_labels(row.label, self.delimiter) if self.multi_label else [row.label.strip()]
            unknown = [name for name in found if name not in self._index]
            if unknown:
                count += 1
                if first is None:
                    first = (row, unknown[0])
        if first is not None:
            row, name = first
            more = f" ({count} rows in all have unseen labels)" if count > 1 else ""
            shown = ", ".join(self.names[:20]) + (", ..." if len(self.names) > 20 else "")
            raise DataError(
                f"label {shorten(name)} was never seen in the training data{more}",
                path=row.path,
                line=row.line,
                expected=f"one of the {len(self.names)} training labels: {shown}",
            )

    def get_config(self) -> dict:
        return {"names": list(self.names), "multi_label": self.multi_label, "delimiter": self.delimiter}

    @classmethod
    def from_config(cls, config: dict) -> LabelVocabulary:
        return cls(config["names"], multi_label=config.get("multi_label", False), delimiter=config.get("delimiter"))

    def save(self, path: str | os.PathLike) -> str:
        """Writes the names, one per line, to `path` (a directory gets `labels.txt` inside it). A
        multi-label vocabulary also writes `labels.json` beside it with the delimiter.

        Returns:
            The path of the written `labels.txt`.
        """
        path = os.fspath(path)
        if os.path.isdir(path) or not os.path.splitext(path)[1]:
            os.makedirs(path, exist_ok=True)
            path = os.path.join(path, LABELS_FILE)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        write_labels(path, self.names)
        meta = os.path.join(os.path.dirname(path), _META_FILE)
        if self.multi_label:
            with open(meta, "w", encoding="utf-8") as stream:
                json.dump({"multi_label": True, "delimiter": self.delimiter}, stream)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> LabelVocabulary:
        """Reads what `save` wrote (a `labels.txt` file or the directory that holds it)."""
        path = os.fspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, LABELS_FILE)
        if not os.path.isfile(path):
            raise DataError("no such file", path=path, expected="a labels.txt written by LabelVocabulary.save")
        with open(path, encoding="utf-8") as stream:
            names = [line.rstrip("\r\n") for line in stream if line.strip()]
        meta = os.path.join(os.path.dirname(path), _META_FILE)
        options = {}
        if os.path.isfile(meta):
            with open(meta, encoding="utf-8") as stream:
                options = json.load(stream)
        return cls(names, **options)


__all__ = ["LABELS_FILE", "LabelVocabulary", "sort_labels", "split_labels", "write_labels"]
