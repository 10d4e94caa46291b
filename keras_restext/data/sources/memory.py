"""In-memory examples: Python lists, tuples or NumPy arrays of texts and labels, or a
`tf.data.Dataset` of `(text, label)` pairs. For these, the `line` in messages is the 0-based index."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import tensorflow as tf

from keras_restext.data.errors import DataError, shorten
from keras_restext.data.sources.common import BAD_ROW_POLICIES, check_choice, join_label_list, label_to_str, text_to_str
from keras_restext.data.textdata import Row, Tally, TextData, from_rows

MEMORY = "<memory>"


def _as_list(values, role: str) -> list:
    if isinstance(values, (str, bytes)):
        raise ValueError(f"`{role}` must be a sequence of {role}, not a single string. Received: {shorten(values)}")
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ValueError(f"`{role}` must be one-dimensional. Received an array of shape {values.shape}")
        return values.tolist()
    if isinstance(values, tf.Tensor):
        return values.numpy().tolist()
    try:
        return list(values)
    except TypeError:
        raise ValueError(f"`{role}` must be a list or array. Received: {type(values).__name__}") from None


def read_memory(
    texts: Sequence,
    labels: Sequence,
    *,
    label_delimiter: str | None = None,
    on_bad_row: str = "error",
    label_names: Sequence[str] | None = None,
) -> TextData:
    """Wraps in-memory texts and labels (strings, ints, or lists of labels for multi-label rows)."""
    check_choice("on_bad_row", on_bad_row, BAD_ROW_POLICIES)
    texts, labels = _as_list(texts, "texts"), _as_list(labels, "labels")
    if len(texts) != len(labels):
        raise DataError(
            f"{len(texts)} texts but {len(labels)} labels",
            path=MEMORY,
            expected="one label per text",
        )
    tally = Tally()
    tally.start(MEMORY)
    rows: list[Row] = []
    for index, (text, label) in enumerate(zip(texts, labels)):
        if isinstance(label, (list, tuple, np.ndarray)):
            label = join_label_list(label, label_delimiter, MEMORY, index)
        else:
            label = "" if label is None else label_to_str(label)
        if not label:
            if on_bad_row == "skip":
                tally.skip(MEMORY, "empty label")
                continue
            raise DataError(
                f"empty label at index {index}",
                path=MEMORY,
                line=index,
                expected="a label for every text (or on_bad_row='skip' to skip and count such items)",
            )
        rows.append(Row(text_to_str(text), label, MEMORY, index))
    return from_row_list(rows, path=MEMORY, tally=tally, label_names=label_names, delimiter=label_delimiter)


def from_row_list(
    rows: list[Row],
    *,
    path: str,
    tally: Tally | None = None,
    label_names: Sequence[str] | None = None,
    delimiter: str | None = None,
    format: str = "memory",
) -> TextData:
    """A `TextData` over rows already in memory (also used by the validation split)."""
    text_tensor = tf.constant([r.text for r in rows], dtype=tf.string, shape=[len(rows)])
    label_tensor = tf.constant([r.label for r in rows], dtype=tf.string, shape=[len(rows)])
    dataset = tf.data.Dataset.from_tensor_slices((text_tensor, label_tensor))

    def row_reader() -> Iterator[Row]:
        return iter(rows)

    return from_rows(
        row_reader,
        path=path,
        format=format,
        tally=tally,
        label_names=None if label_names is None else list(label_names),
        delimiter=delimiter,
        dataset=dataset,
    )


def from_tf_dataset(dataset: tf.data.Dataset, *, label_delimiter: str | None = None) -> TextData:
    """Wraps a `tf.data.Dataset` of `(text, label)` pairs; integer labels become strings."""
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) == 2):
        raise ValueError(f"The dataset's elements must be (text, label) pairs. Received element_spec={spec}")
    if spec[0].dtype != tf.string:
        raise ValueError(f"The text must be tf.string. Received dtype {spec[0].dtype}")

    def to_strings(text, label):
        if label.dtype != tf.string:
            label = tf.strings.as_string(label)
        return text, label

    return TextData(
        dataset=dataset.map(to_strings),
        path="<dataset>",
        format="memory",
        multi_label_delimiter=label_delimiter,
    )


__all__ = ["MEMORY", "from_row_list", "from_tf_dataset", "read_memory"]
