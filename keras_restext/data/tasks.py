"""Several labelled sources as one stream of examples, each carrying the labels of several tasks.

Each task has its own labelled data: its own file(s) (`TaskData(train="mr/train.csv")`), or a label
column of a file it shares with other tasks (`tasks_from_columns("data.csv", {"sentiment": "label",
"topic": "topic"})`). An example carries the labels of the tasks whose data it comes from, and ""
for every other task: `TaskTargets` turns that into an all-zero target and a sample weight of 0,
so the loss of a task ignores the examples it has no label for.

`read_tasks` reads every task's data into memory (tasks that name the same files share one
reading); `build_task_pipeline` tokenizes and batches the examples in `tf.data`. Nothing here
knows about training: the reading options are plain arguments.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from keras_restext.data.errors import DataError, shorten
from keras_restext.data.labels import LabelVocabulary, sort_labels
from keras_restext.data.pipeline import build_pipeline
from keras_restext.data.sources import read_dataset
from keras_restext.errors import ArgumentError

MISSING = ""  # the label of an example for a task it carries no label for


@dataclass
class TaskData:
    """Where one task's labelled examples come from.

    Attributes:
        train: the training data (a path, a glob, a folder, `"tfds:NAME"`, or an in-memory
            `(texts, labels)` pair): anything `read_dataset` reads.
        validation: validation data; None splits `validation_fraction` off the training data
            (with the default fraction 0: no validation data for this task).
        test: optional test data, evaluated at the end.
        label_column: the label column of this task (None: `read_tasks`'s default, else found by name).
        text_column, format, header: how to read the files (None: `read_tasks`'s defaults, else inferred).
        loss_weight: the weight of this task's loss in the sum.
        read_options: more `read_dataset` options for this task's files (`limit`, `delimiter`, ...).

    Tasks with the same `train`, `validation` and `test` paths (and reading options) share one
    reading of the files: each row then carries the labels of all those tasks, and an empty cell
    means "no label for this task" (see `tasks_from_columns`).
    """

    train: Any
    validation: Any = None
    test: Any = None
    label_column: str | int | None = None
    text_column: str | int | Sequence[str | int] | None = None
    format: str | None = None
    header: bool | None = None
    loss_weight: float = 1.0
    read_options: dict = field(default_factory=dict)


def tasks_from_columns(
    train: Any,
    label_columns: Mapping[str, str | int],
    *,
    validation: Any = None,
    test: Any = None,
    loss_weights: Mapping[str, float] | None = None,
    **read_options,
) -> dict[str, TaskData]:
    """Tasks that are label columns of the same file(s): `{"sentiment": "label", "topic": "topic"}`.

    Example:
    ```python
    tasks = tasks_from_columns("reviews.csv", {"sentiment": "stars", "topic": "category"}, test="test.csv")
    splits, labels = read_tasks(tasks)
    ```
    """
    weights = dict(loss_weights or {})
    return {
        task: TaskData(
            train=train, validation=validation, test=test, label_column=column,
            loss_weight=weights.get(task, 1.0), **read_options,
        )
        for task, column in label_columns.items()
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Reading: every task's examples in memory, one row per example, "" where a task has no label.
# ---------------------------------------------------------------------------------------------


@dataclass
class Examples:
    """Examples of several tasks: `labels[task][i]` is example i's label for `task`, or "" (none)."""

    texts: list[str]
    labels: dict[str, list[str]]
    origins: list[tuple[str, int]]  # (file, line) of each example, for messages

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def empty(cls, tasks: Sequence[str]) -> Examples:
        return cls([], {task: [] for task in tasks}, [])

    def extend(self, other: Examples) -> None:
        self.texts += other.texts
        self.origins += other.origins
        for task in self.labels:
            self.labels[task] += other.labels.get(task, [MISSING] * len(other))

    def take(self, indices) -> Examples:
        return Examples(
            [self.texts[i] for i in indices],
            {task: [labels[i] for i in indices] for task, labels in self.labels.items()},
            [self.origins[i] for i in indices],
        )

    def labelled(self, task: str) -> int:
        return sum(1 for label in self.labels[task] if label != MISSING)


def _source_key(source):
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else None


@contextmanager
def _quiet_skips():
    """Silences the readers' "skipped N rows: empty label" warnings (an empty cell is a missing label here)."""
    logger = logging.getLogger("keras_restext.data")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _read_rows(source, columns: Mapping[str, Any], options: dict, log: Callable[[str], None] = print) -> Examples:
    """The rows of one source for the tasks in `columns` (task → label column)."""
    tasks = list(columns)
    if len(tasks) == 1:
        (task,) = tasks
        data = read_dataset(source, **_options(options, columns[task]))
        texts, labels, origins = [], [], []
        for row in data.iter_rows():
            texts.append(row.text)
            labels.append(row.label.strip())
            origins.append((row.path, row.line))
        return Examples(texts, {task: labels}, origins)
    # Several label columns of one file: read it once per column, keeping rows with an empty cell out,
    # and join the readings on (file, line).
    rows: dict[tuple[str, int], str] = {}
    found: dict[str, dict[tuple[str, int], str]] = {}
    for task in tasks:
        opts = _options(options, columns[task])
        with _quiet_skips():
            data = read_dataset(source, on_bad_row="skip", **opts)
            found[task] = {}
            for row in data.iter_rows():
                rows.setdefault((row.path, row.line), row.text)
                found[task][(row.path, row.line)] = row.label.strip()
        other = {reason: n for reason, n in data.skipped_reasons.items() if reason != "empty label"}
        if other:  # a real problem (a malformed row, ...), not a missing label
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(other.items()))
            raise DataError(
                f"{sum(other.values())} bad row(s) ({reasons})",
                path=_source_key(source),
                expected="well-formed rows (read the file for one task alone to see the first bad row's line)",
            )
    keys = sorted(rows)
    for task in tasks:
        missing = len(keys) - len(found[task])
        if missing:
            log(f"restext: {_source_key(source)}: {missing} of {len(keys)} rows have no {task!r} label (masked for it)")
    return Examples(
        [rows[key] for key in keys],
        {task: [found[task].get(key, MISSING) for key in keys] for task in tasks},
        keys,
    )


def _read_options(task: TaskData, defaults: Mapping[str, Any]) -> dict:
    """The `read_dataset` options of a task's files: its own, else the defaults."""
    return {
        "format": task.format or defaults["format"],
        "text_column": task.text_column if task.text_column is not None else defaults["text_column"],
        "header": task.header if task.header is not None else defaults["header"],
        **task.read_options,
    }


def _options(options: dict, label_column) -> dict:
    opts = {k: v for k, v in options.items() if v is not None}
    if label_column is not None:
        opts["label_column"] = label_column
    return opts


def _split(examples: Examples, fraction: float, seed: int) -> tuple[Examples, Examples]:
    """A seeded validation split, stratified by each example's labels (as `split_validation` does)."""
    if not 0.0 < fraction < 1.0:
        raise ArgumentError(
            f"`validation_fraction` must be between 0 and 1 (exclusive). Received: {fraction!r}",
            argument="validation_fraction",
        )
    rng = np.random.default_rng(seed)
    groups: dict[tuple, list[int]] = {}
    for i in range(len(examples)):
        groups.setdefault(tuple(examples.labels[t][i] for t in examples.labels), []).append(i)
    chosen: list[int] = []
    for key in sorted(groups):
        members = groups[key]
        count = 0 if len(members) < 2 else min(int(round(fraction * len(members))), len(members) - 1)
        chosen.extend(rng.permutation(members)[:count].tolist())
    held = set(chosen)
    return examples.take([i for i in range(len(examples)) if i not in held]), examples.take(sorted(chosen))


def read_tasks(
    tasks: Mapping[str, TaskData],
    *,
    format: str | None = None,
    text_column: str | int | Sequence[str | int] | None = None,
    label_column: str | int | None = None,
    header: bool | None = None,
    validation_fraction: float = 0.0,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> tuple[dict[str, Examples | None], dict[str, LabelVocabulary]]:
    """Reads every task's data: `({"train": ..., "validation": ..., "test": ...}, task → labels)`.

    Args:
        tasks: task name → `TaskData`.
        format, text_column, label_column, header: the reading options of tasks that set none.
        validation_fraction: with no validation file, the share of a task's training rows held out
            (seeded, stratified by their labels); 0: no validation data.
        seed: the seed of that split.
        log: prints a line per file with rows that lack a task's label.

    Raises:
        DataError: unreadable data, a missing column, a bad row, a label of validation/test data
            that the task's training data never had (naming the file and line).
        ValueError: a task with fewer than 2 classes, a bad task name.
    """
    names = list(tasks)
    if not names:
        raise ArgumentError("`tasks` must name at least one task. Received: {}", argument="tasks")
    defaults = {"format": format, "text_column": text_column, "header": header}
    # Tasks reading the same files the same way share one reading.
    groups: dict[tuple, dict[str, TaskData]] = {}
    for name, task in tasks.items():
        options = _read_options(task, defaults)
        sources = tuple(_source_key(s) for s in (task.train, task.validation, task.test))
        key = (sources, json.dumps(options, default=str)) if sources[0] is not None else (name,)
        groups.setdefault(key, {})[name] = task
    splits = {split: Examples.empty(names) for split in ("train", "validation", "test")}
    any_test = False
    for group in groups.values():
        first = next(iter(group.values()))
        options = _read_options(first, defaults)
        columns = {n: t.label_column if t.label_column is not None else label_column for n, t in group.items()}
        train = _read_rows(first.train, columns, options, log)
        if first.validation is not None:
            validation = _read_rows(first.validation, columns, options, log)
        elif validation_fraction > 0:
            # The same seed and rule as `split_validation`: a task's split is the one it would make.
            train, validation = _split(train, validation_fraction, seed)
        else:
            validation = None
        splits["train"].extend(train)
        if validation is not None:
            splits["validation"].extend(validation)
        if first.test is not None:
            splits["test"].extend(_read_rows(first.test, columns, options, log))
            any_test = True
    labels = {}
    for name in names:
        seen = {label for label in splits["train"].labels[name] if label != MISSING}
        if len(seen) < 2:
            raise ValueError(f"Task {name!r} needs at least 2 classes in its training data; it has {sorted(seen)!r}.")
        labels[name] = LabelVocabulary(sort_labels(seen))
    for split in ("validation", "test"):
        _check_labels(splits[split], labels)  # empty when the split is absent
    result: dict[str, Examples | None] = dict(splits)
    if not len(splits["validation"]):  # no validation file and validation_fraction 0
        result["validation"] = None
    if not any_test:
        result["test"] = None
    return result, labels


def _check_labels(examples: Examples, labels: Mapping[str, LabelVocabulary]) -> None:
    for task, vocabulary in labels.items():
        known = set(vocabulary.names)
        unknown = [i for i, label in enumerate(examples.labels[task]) if label != MISSING and label not in known]
        if unknown:
            first = unknown[0]
            path, line = examples.origins[first]
            more = f" ({len(unknown)} rows in all have unseen labels)" if len(unknown) > 1 else ""
            shown = ", ".join(vocabulary.names[:20]) + (", ..." if len(vocabulary) > 20 else "")
            raise DataError(
                f"label {shorten(examples.labels[task][first])} of task {task!r} was never seen in its training data{more}",
                path=path,
                line=line,
                expected=f"one of the {len(vocabulary)} training labels of {task!r}: {shown}",
            )


# ---------------------------------------------------------------------------------------------
# The pipeline: targets and sample weights per task.
# ---------------------------------------------------------------------------------------------


class TaskTargets:
    """Encodes a batch of per-task label strings into `({task: one-hot}, {task: weight})`.

    A missing label ("") gives an all-zero target and weight 0: that task's loss and accuracy
    ignore the example. `build_pipeline` calls `encode` on whole batches inside `tf.data`.
    """

    def __init__(self, labels: Mapping[str, LabelVocabulary]):
        self.labels = dict(labels)

    def encode(self, batch: Mapping[str, tf.Tensor]):
        targets, weights = {}, {}
        for task, vocabulary in self.labels.items():
            raw = tf.strings.strip(batch[task])
            present = tf.not_equal(raw, MISSING)
            hot = vocabulary.encode(tf.where(present, raw, vocabulary.names[0]))
            weight = tf.cast(present, tf.float32)
            targets[task] = hot * weight[:, None]
            weights[task] = weight
        return targets, weights


def build_task_pipeline(
    examples: Examples,
    tokenizer,
    labels: Mapping[str, LabelVocabulary],
    *,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
    epoch: tf.Variable | None = None,
    bucket: bool = False,
    static_shapes: bool = False,
    cache: bool = False,
) -> tf.data.Dataset:
    """`(token_ids, {task: targets}, {task: sample weights})` batches of mixed-task examples.

    The examples are shuffled together (seeded, reshuffled every epoch, a full shuffle), so a batch
    mixes the tasks in proportion to their sizes; tokenisation, bucketing and `epoch` (the shuffle
    as a function of seed and epoch) are `build_pipeline`'s.
    """
    order = np.random.default_rng(seed).permutation(len(examples)) if shuffle else np.arange(len(examples))
    examples = examples.take(order.tolist())
    dataset = tf.data.Dataset.from_tensor_slices(
        (tf.constant(examples.texts, tf.string), {t: tf.constant(v, tf.string) for t, v in examples.labels.items()})
    )
    dataset = build_pipeline(
        dataset, tokenizer, TaskTargets(labels), batch_size=batch_size, shuffle=shuffle, seed=seed, epoch=epoch,
        shuffle_buffer=max(len(examples), 1), bucket=bucket and not static_shapes, static_shapes=static_shapes,
        cache=cache,
    )  # fmt: skip
    return dataset.map(lambda ids, encoded: (ids, encoded[0], encoded[1]))


__all__ = ["MISSING", "Examples", "TaskData", "TaskTargets", "build_task_pipeline", "read_tasks", "tasks_from_columns"]


