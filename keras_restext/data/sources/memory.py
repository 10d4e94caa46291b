"""In-memory examples: Python lists, tuples or NumPy arrays of texts and labels, or a
`tf.data.Dataset` of `(text, label)` pairs. For these, the `line` in messages is the 0-based index."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import tensorflow as tf

from keras_restext.data.errors import DataError, shorten
from keras_restext.data.sources.common import (
    BAD_ROW_POLICIES,
    TextCheck,
    check_choice,
    join_label_list,
    label_to_str,
    not_a_label,
    not_a_text,
    skip_hint,
    text_to_str,
)
from keras_restext.data.textdata import Row, Tally, TextData, from_rows
from keras_restext.errors import ArgumentError

MEMORY = "<memory>"


def _as_list(values, role: str) -> list:
    if isinstance(values, (str, bytes)):
        raise ArgumentError(
            f"`{role}` must be a sequence of {role}, not a single string. Received: {shorten(values)}", argument=role
        )
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ArgumentError(
                f"`{role}` must be one-dimensional. Received an array of shape {values.shape}", argument=role
            )
        return values.tolist()
    if isinstance(values, tf.Tensor):
        return values.numpy().tolist()
    try:
        return list(values)
    except TypeError:
        raise ArgumentError(
            f"`{role}` must be a list or array. Received: {type(values).__name__}", argument=role
        ) from None


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
    skip = on_bad_row == "skip"
    tally = Tally()
    tally.start(MEMORY)
    rows: list[Row] = []
    bad: list[DataError] = []
    texts_seen = TextCheck()
    for index, (text, label) in enumerate(zip(texts, labels)):
        found = _row(index, text, label, label_delimiter)
        if isinstance(found, Row):
            texts_seen.see(found.text)
            rows.append(found)
        else:
            bad.append(found[1])
            if skip:
                tally.skip(MEMORY, found[0])
    if bad and (not skip or not rows):
        _raise_first(bad, len(rows), skip)
    texts_seen.check(MEMORY, "the texts", columns=False)
    return from_row_list(rows, path=MEMORY, tally=tally, label_names=label_names, delimiter=label_delimiter)


def _row(index: int, text, label, delimiter: str | None) -> Row | tuple[str, DataError]:
    """One in-memory example as a `Row`, or `(reason, error)` when it cannot be one."""
    found = not_a_text(text)
    if found is not None:
        return "text not a string", _error(f"the text at index {index} is {found}", index, "a string")
    found = not_a_label(label)
    if found is not None:
        expected = "a string or a number (a list of them with label_delimiter=)"
        return "label not a string", _error(f"the label at index {index} is {found}", index, expected)
    if isinstance(label, (list, tuple, np.ndarray)):
        label = join_label_list(label, delimiter, MEMORY, index)
    else:
        label = "" if label is None else label_to_str(label)
    if not label:
        return "empty label", _error(f"empty label at index {index}", index, "a label for every text")
    return Row(text_to_str(text), label, MEMORY, index)


def _error(problem: str, index: int, expected: str) -> DataError:
    return DataError(problem, path=MEMORY, line=index, expected=expected)


def _raise_first(bad: list[DataError], good: int, skip: bool) -> None:
    """Raises the first bad item's error: suggesting on_bad_row='skip' where skipping would help
    (at least as many good items as bad), refusing it where it would leave nothing."""
    first = bad[0]
    if skip:
        others = f"so are the {len(bad) - 1} other items: nothing is left when skipping them (on_bad_row='skip')"
        problem = f"{first.problem}; {others}"
        raise DataError(problem, path=MEMORY, line=first.line, expected=first.expected)
    tail = " to skip and count such items" if first.problem.startswith("empty label") else ""
    hint = skip_hint({"skip_hint": good >= len(bad)}, tail)
    raise DataError(first.problem, path=MEMORY, line=first.line, expected=first.expected + hint)


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
