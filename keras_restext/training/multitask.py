"""`train_multitask`: one shared residual trunk, one classification head per task.

Each task has its own labelled data: its own file(s) (`TaskData(train="mr/train.csv")`), or a label
column of a file it shares with other tasks (`tasks_from_columns("data.csv", {"sentiment": "label",
"topic": "topic"})`). An example carries the labels of the tasks whose data it comes from; the loss
of every other task is masked for it (its sample weight is 0 for that head), so the examples of
MR teach the sentiment head, TREC's the question head, and both teach the shared trunk.

The steps, as in `train`:

1. read every task's data into memory; tasks that name the same file (and the same validation and
   test files) share its rows, an empty label cell meaning "no label for this task"; no validation
   file → with `validation_fraction` > 0 a seeded split of the training rows, stratified by their
   labels, else no validation data (all rows train, the last epoch's weights are kept);
2. one `LabelVocabulary` per task from its training labels; validation and test labels are checked;
3. one tokenizer adapted to all training texts; the task data sets are concatenated and shuffled
   (seeded) and tokenised in `tf.data` by `build_pipeline`; a batch is
   `(token_ids, {task: one-hot, zeros where missing}, {task: 1.0 or 0.0})`;
4. `build_resnet_classifier(tasks={task: classes})`; the loss is the sum over tasks of
   `loss_weight × masked cross-entropy` (Keras averages each task's loss over the whole batch, so a
   task also weighs in proportion to its share of the examples); accuracy per task counts only the
   examples labelled for it;
5. `fit` (with validation data: early stopping on the mean of the tasks' validation accuracies,
   `val_mean_task_accuracy`), backup, logs; pretrained word vectors and progressive training as in `train`;
6. per-task accuracy, macro-F1 and confusion matrices on validation and test data;
7. export: a SavedModel whose `serving_default` returns `<task>_probabilities`, `<task>_label_id`
   and `<task>_label` for every task (`keras_restext.export.write_multitask_export`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_restext.data import LabelVocabulary, build_pipeline, make_tokenizer, read_dataset
from keras_restext.data.errors import DataError, shorten
from keras_restext.data.labels import sort_labels
from keras_restext.export import build_serving_model, inference_copy
from keras_restext.export.multitask import write_multitask_export
from keras_restext.models import build_resnet_classifier, set_wide_idf
from keras_restext.training.callbacks import BACKUP_DIR, make_callbacks, restore_kept_weights
from keras_restext.training.distribute import (
    effective_steps_per_execution,
    is_chief,
    patch_for_multiworker,
    remove_worker_dir,
    scaled_learning_rate,
    with_shard_policy,
    write_dir,
)
from keras_restext.training.metrics import classification_report, format_report
from keras_restext.models.optimizers import make_optimizer
from keras_restext.training.trainer import TrainConfig, _check_resumable, _write_run_file, wide_idf
from keras_restext.training.warmstart import apply_embeddings, prepare_embeddings, pretrain_stages

MEAN_ACCURACY = "mean_task_accuracy"
DEFAULT_MONITOR = "val_" + MEAN_ACCURACY
TASK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
# Layer names of the shared trunk and names the training logs use: a task (a head layer) cannot take them.
RESERVED_NAMES = frozenset({
    "token_ids", "embedding", "embedding_dropout", "stem", "final_norm", "final_activation", "pooling",
    "kmax_pooling", "flatten", "head_dropout", "mean_task", "text", "loss",
})  # fmt: skip
_MISSING = ""  # the label of an example for a task it carries no label for


@dataclass
class TaskData:
    """Where one task's labelled examples come from.

    Attributes:
        train: the training data (a path, a glob, a folder, `"tfds:NAME"`, or an in-memory
            `(texts, labels)` pair): anything `read_dataset` reads.
        validation: validation data; None splits `validation_fraction` off the training data
            (with the default fraction 0: no validation data for this task).
        test: optional test data, evaluated at the end.
        label_column: the label column of this task (None: found by name, or the `TrainConfig`'s).
        text_column, format, header: how to read the files (None: the `TrainConfig`'s, else inferred).
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
    >>> tasks = tasks_from_columns("reviews.csv", {"sentiment": "stars", "topic": "category"}, test="test.csv")
    >>> result = train_multitask(tasks, preset="restext_base", export="savedmodels/reviews")
    """
    weights = dict(loss_weights or {})
    return {
        task: TaskData(
            train=train, validation=validation, test=test, label_column=column,
            loss_weight=weights.get(task, 1.0), **read_options,
        )
        for task, column in label_columns.items()
    }  # fmt: skip


@dataclass
class MultiTaskResult:
    """What `train_multitask` returns.

    Attributes:
        classifier: the trained token-id model, dict outputs keyed by task (the best epoch's weights
            with validation data, else the last epoch's).
        serving_model: tokenizer + a copy of the classifier + each task's labels: raw strings in.
        tokenizer: the adapted tokenizer.
        labels: task → `LabelVocabulary`.
        metrics: split ("validation", "test") → task → `classification_report` dict, over the
            examples labelled for that task.
        history: metric name → one value per epoch (`<task>_accuracy`, `val_mean_task_accuracy`, ...).
        config: the resolved configuration.
        sizes: split → task → labelled examples.
        output_dir, export_path, initial_epoch, epochs_run, best_epoch, wall_time: as in `TrainResult`.
    """

    classifier: keras.Model
    serving_model: keras.Model
    tokenizer: keras.layers.Layer
    labels: dict[str, LabelVocabulary]
    metrics: dict
    history: dict
    config: dict
    sizes: dict
    output_dir: str
    export_path: str | None
    initial_epoch: int
    epochs_run: int
    best_epoch: int | None
    wall_time: float


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
            self.labels[task] += other.labels.get(task, [_MISSING] * len(other))

    def take(self, indices) -> Examples:
        return Examples(
            [self.texts[i] for i in indices],
            {task: [labels[i] for i in indices] for task, labels in self.labels.items()},
            [self.origins[i] for i in indices],
        )

    def labelled(self, task: str) -> int:
        return sum(1 for label in self.labels[task] if label != _MISSING)


def _source_key(source):
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else None


def _check_task_names(names: Sequence[str]) -> None:
    for name in names:
        if not isinstance(name, str) or not TASK_NAME.match(name):
            raise ValueError(
                f"Task name {name!r} is not allowed: a task names a model output, so it must start with a letter "
                "and hold only letters, digits and underscores (at most 64)."
            )
        if name in RESERVED_NAMES or re.match(r"^(stage\d+_block\d+|head_dense_\d+|head_dropout_\d+)$", name):
            raise ValueError(f"Task name {name!r} is the name of a layer of the shared trunk; pick another name.")


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
        {task: [found[task].get(key, _MISSING) for key in keys] for task in tasks},
        keys,
    )


def _read_options(task: TaskData, config: TrainConfig) -> dict:
    """The `read_dataset` options of a task's files: its own, else the config's."""
    return {
        "format": task.format or config.format,
        "text_column": task.text_column if task.text_column is not None else config.text_column,
        "header": task.header if task.header is not None else config.header,
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
        raise ValueError(f"`validation_fraction` must be between 0 and 1 (exclusive). Received: {fraction!r}")
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
    tasks: Mapping[str, TaskData], config: TrainConfig, log: Callable[[str], None] = print
) -> tuple[dict[str, Examples | None], dict[str, LabelVocabulary]]:
    """Reads every task's data: `({"train": ..., "validation": ..., "test": ...}, task → labels)`.

    Raises:
        DataError: unreadable data, a missing column, a bad row, a label of validation/test data
            that the task's training data never had (naming the file and line).
        ValueError: a task with fewer than 2 classes, a bad task name.
    """
    names = list(tasks)
    if not names:
        raise ValueError("`tasks` must name at least one task. Received: {}")
    _check_task_names(names)
    # Tasks reading the same files the same way share one reading.
    groups: dict[tuple, dict[str, TaskData]] = {}
    for name, task in tasks.items():
        options = _read_options(task, config)
        sources = tuple(_source_key(s) for s in (task.train, task.validation, task.test))
        key = (sources, json.dumps(options, default=str)) if sources[0] is not None else (name,)
        groups.setdefault(key, {})[name] = task
    splits = {split: Examples.empty(names) for split in ("train", "validation", "test")}
    any_test = False
    for group in groups.values():
        first = next(iter(group.values()))
        options = _read_options(first, config)
        columns = {n: t.label_column if t.label_column is not None else config.label_column for n, t in group.items()}
        train = _read_rows(first.train, columns, options, log)
        if first.validation is not None:
            validation = _read_rows(first.validation, columns, options, log)
        elif config.validation_fraction > 0:
            # The same seed and rule as `split_validation`: a task's split is the one `train` would make.
            train, validation = _split(train, config.validation_fraction, config.seed)
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
        seen = {label for label in splits["train"].labels[name] if label != _MISSING}
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
        unknown = [i for i, label in enumerate(examples.labels[task]) if label != _MISSING and label not in known]
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
            present = tf.not_equal(raw, _MISSING)
            hot = vocabulary.encode(tf.where(present, raw, vocabulary.names[0]))
            weight = tf.cast(present, tf.float32)
            targets[task] = hot * weight[:, None]
            weights[task] = weight
        return targets, weights


def build_multitask_pipeline(
    examples: Examples,
    tokenizer,
    labels: Mapping[str, LabelVocabulary],
    *,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
    bucket: bool = False,
    static_shapes: bool = False,
    cache: bool = False,
) -> tf.data.Dataset:
    """`(token_ids, {task: targets}, {task: sample weights})` batches of mixed-task examples.

    The examples are shuffled together (seeded, reshuffled every epoch, a full shuffle), so a batch
    mixes the tasks in proportion to their sizes; tokenisation and bucketing are `build_pipeline`'s.
    """
    order = np.random.default_rng(seed).permutation(len(examples)) if shuffle else np.arange(len(examples))
    examples = examples.take(order.tolist())
    dataset = tf.data.Dataset.from_tensor_slices(
        (tf.constant(examples.texts, tf.string), {t: tf.constant(v, tf.string) for t, v in examples.labels.items()})
    )
    dataset = build_pipeline(
        dataset, tokenizer, TaskTargets(labels), batch_size=batch_size, shuffle=shuffle, seed=seed,
        shuffle_buffer=max(len(examples), 1), bucket=bucket and not static_shapes, static_shapes=static_shapes,
        cache=cache,
    )  # fmt: skip
    return dataset.map(lambda ids, encoded: (ids, encoded[0], encoded[1]))


class MeanTaskAccuracy(keras.callbacks.Callback):
    """Adds `mean_task_accuracy` and `val_mean_task_accuracy` (the mean over tasks) to the epoch logs.

    Put it first in the callbacks: later ones (early stopping, checkpoint, CSV log) then see it.

    Args:
        tasks: the task names.
        validation_tasks: the tasks that have validation examples (default: all); a task without
            any would add a meaningless accuracy over 0 examples to the validation mean.
    """

    def __init__(self, tasks: Sequence[str], validation_tasks: Sequence[str] | None = None):
        super().__init__()
        self.tasks = list(tasks)
        self.validation_tasks = self.tasks if validation_tasks is None else list(validation_tasks)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for prefix, tasks in (("", self.tasks), ("val_", self.validation_tasks)):
            values = [logs.get(f"{prefix}{task}_accuracy") for task in tasks]
            if values and all(v is not None for v in values):
                logs[f"{prefix}{MEAN_ACCURACY}"] = float(np.mean(values))


def compile_multitask(
    classifier: keras.Model,
    training: dict,
    total_steps: int,
    loss_weights: Mapping[str, float],
    *,
    strategy: tf.distribute.Strategy | None = None,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = 1,
) -> keras.Model:
    """AdamW with warm-up and cosine decay; per task a label-smoothed cross-entropy (weighted by the
    sample weights, so missing labels are masked) and an accuracy over the labelled examples.
    The learning rate is scaled linearly with the strategy's replicas, as in `train`."""
    tasks = list(loss_weights)
    strategy = strategy or tf.distribute.get_strategy()
    classifier.compile(
        optimizer=make_optimizer(
            scaled_learning_rate(training["learning_rate"], strategy),
            total_steps,
            weight_decay=training["weight_decay"],
            warmup_fraction=training["warmup_fraction"],
        ),
        loss={t: keras.losses.CategoricalCrossentropy(label_smoothing=training["label_smoothing"]) for t in tasks},
        loss_weights={t: float(loss_weights[t]) for t in tasks},
        weighted_metrics={t: ["accuracy"] for t in tasks},
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    patch_for_multiworker(classifier)
    return classifier


def predict_tasks(model: keras.Model, dataset: tf.data.Dataset, tasks: Sequence[str]) -> dict[str, tuple]:
    """Runs a multi-task model over a pipeline once: task → `(y_true, y_pred)` of its labelled examples."""
    step = tf.function(
        lambda x: {t: tf.argmax(p, axis=-1) for t, p in model(x, training=False).items()},
        input_signature=[tf.TensorSpec([None, None], tf.int32)],
    )
    true = {t: [] for t in tasks}
    pred = {t: [] for t in tasks}
    for token_ids, targets, weights in dataset:
        outputs = step(token_ids)
        for task in tasks:
            keep = weights[task].numpy() > 0
            true[task].append(tf.argmax(targets[task], axis=-1).numpy()[keep])
            pred[task].append(outputs[task].numpy()[keep])
    empty = np.zeros([0], np.int64)
    return {
        t: (np.concatenate(true[t]) if true[t] else empty, np.concatenate(pred[t]) if pred[t] else empty) for t in tasks
    }


def _fingerprint(tasks: Mapping[str, TaskData], config: TrainConfig, resolved: dict) -> dict:
    def name(source):
        key = _source_key(source)
        if key is not None or source is None:
            return key
        return "sha256:" + hashlib.sha256(repr(source).encode()).hexdigest()

    described = {
        task: {**{k: name(getattr(t, k)) for k in ("train", "validation")},
               **{k: getattr(t, k) for k in ("label_column", "text_column", "format", "header", "loss_weight",
                                             "read_options")}}
        for task, t in tasks.items()
    }  # fmt: skip
    values = {
        k: getattr(config, k)
        for k in ("format", "text_column", "label_column", "header", "preset", "seed", "validation_fraction",
                  "progressive", "freeze_grown", "embeddings", "embeddings_trainable")
    }  # fmt: skip
    return json.loads(json.dumps({"tasks": described, **values, "resolved": resolved}, default=str))


def _as_task_data(task) -> TaskData:
    if isinstance(task, TaskData):
        return task
    if isinstance(task, Mapping):
        return TaskData(**task)
    return TaskData(train=task)


def train_multitask(
    tasks: Mapping[str, TaskData | str | Mapping],
    config: TrainConfig | None = None,
    *,
    strategy: tf.distribute.Strategy | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    log: Callable[[str], None] | None = print,
    **options,
) -> MultiTaskResult:
    """Trains one shared residual trunk with one head per task, evaluates each task, exports.

    Args:
        tasks: task name → `TaskData` (or just its training path, or a dict of `TaskData` fields).
            Task names become output names: letters, digits and underscores.
        config: a `TrainConfig` for everything but the data (preset, epochs, seed, output, export,
            `embeddings`, `progressive`, ...). Its `format`, `text_column`, `label_column` and
            `header` are the defaults of the tasks' reading options; its `train`, `validation` and
            `test` are not used. Leave it None and pass its fields as keyword arguments instead.
        strategy: a `tf.distribute.Strategy` (default: the current one); `batch_size` is per replica.
        callbacks: extra Keras callbacks for `fit`.
        log: prints progress lines; None is silent.
        **options: `TrainConfig` fields.

    Returns:
        A `MultiTaskResult`.

    Raises:
        DataError: unreadable data, a missing column, a bad row, an unseen label in validation/test.
        ValueError: a bad setting or task name, a task with fewer than 2 classes, an output folder
            holding the backup of a different run.
        FloatingPointError: the loss became NaN.

    Example:
    >>> result = train_multitask(
    ...     {"sentiment": TaskData("../shared/data/mr/train.csv", test="../shared/data/mr/test.csv"),
    ...      "question": TaskData("../shared/data/trec/train.tsv", test="../shared/data/trec/test.tsv")},
    ...     preset="restext_base", export="savedmodels/mr_trec")
    >>> result.metrics["test"]["question"]["accuracy"]
    """
    start = time.time()
    if config is None:
        config = TrainConfig(train=None, **options)
    elif options:
        config = dataclasses.replace(config, **options)
    tasks = {name: _as_task_data(task) for name, task in tasks.items()}
    strategy = strategy or tf.distribute.get_strategy()
    say = log or (lambda message: None)
    resolved = config.resolved()
    training = resolved["training"]
    # In multi-worker training only the chief writes the run folder; the others write a temporary one.
    output_dir = write_dir(config.output_dir(), strategy)
    monitor = DEFAULT_MONITOR if config.monitor == "val_accuracy" else config.monitor
    fingerprint = _fingerprint(tasks, config, resolved)
    initial_epoch = _check_resumable(output_dir, fingerprint)
    keras.utils.set_random_seed(config.seed)

    splits, labels = read_tasks(tasks, config, say)
    names = list(tasks)
    tokenizer = make_tokenizer(**resolved["tokenizer"]).adapt(splits["train"].texts)
    config, vectors = prepare_embeddings(config, resolved, tokenizer, say)
    sizes = {
        split: {task: examples.labelled(task) for task in names}
        for split, examples in splits.items()
        if examples is not None
    }
    say(
        "restext: multi-task "
        + "; ".join(
            f"{task} ({len(labels[task])} classes): "
            + " / ".join(f"{sizes[split][task]} {split}" for split in sizes)
            for task in names
        )
        + f"; vocabulary {tokenizer.vocabulary_size()}, preset {config.preset}"
    )

    global_batch = training["batch_size"] * strategy.num_replicas_in_sync
    static = {"train": config.static_shapes, "validation": config.static_shapes, "test": False}
    pipelines = {
        split: with_shard_policy(build_multitask_pipeline(
            examples, tokenizer, labels, batch_size=global_batch, shuffle=split == "train", seed=config.seed,
            bucket=config.bucket, static_shapes=static[split], cache=config.cache and split != "test",
        ))
        for split, examples in splits.items()
        if examples is not None
    }  # fmt: skip
    steps_per_epoch = max(1, -(-len(splits["train"]) // global_batch))
    loss_weights = {task: tasks[task].loss_weight for task in names}
    heads = {task: len(labels[task]) for task in names}

    idf = wide_idf(pipelines["train"], tokenizer.vocabulary_size(), resolved["model"])

    def build(overrides: dict, total_steps: int) -> keras.Model:
        previous_policy = keras.config.dtype_policy()
        if training.get("mixed_precision"):  # the output layers stay float32
            keras.config.set_dtype_policy(f"mixed_{training['mixed_precision']}")
        try:
            model = build_resnet_classifier(
                tasks=heads, vocab_size=tokenizer.vocabulary_size(), preset=config.preset,
                **{**config.model_overrides, **overrides},
            )  # fmt: skip
        finally:
            keras.config.set_dtype_policy(previous_policy)
        if idf is not None:
            set_wide_idf(model, idf)
        jit = True if (config.jit_compile or config.static_shapes) else "auto"
        return compile_multitask(
            model, training, total_steps, loss_weights, strategy=strategy, jit_compile=jit,
            steps_per_execution=effective_steps_per_execution(config.steps_per_execution, strategy),
        )  # fmt: skip

    with strategy.scope():
        classifier = build({}, steps_per_epoch * training["epochs"])
        apply_embeddings(classifier, vectors, config.embeddings_trainable)

    _write_run_file(output_dir, fingerprint)
    if initial_epoch:
        say(f"restext: resuming from the backup in {os.path.join(output_dir, BACKUP_DIR)} after epoch {initial_epoch}")
    elif config.progressive:
        pretrain_stages(
            classifier, build=build, train_data=pipelines["train"], validation_data=pipelines.get("validation"),
            model_config=resolved["model"], epochs=training["epochs"], steps_per_epoch=steps_per_epoch,
            freeze=config.freeze_grown, vectors=vectors, embeddings_trainable=config.embeddings_trainable,
            strategy=strategy, verbose=config.verbose, log=say,
        )  # fmt: skip
    if splits["validation"] is None:  # nothing to stop early on: the last epoch's weights are kept
        monitor = None
    validated = [task for task in names if sizes.get("validation", {}).get(task, 0) > 0]
    fit_callbacks = make_callbacks(
        output_dir,
        patience=training["patience"],
        monitor=monitor,
        tensorboard=config.tensorboard,
        verbose=0 if config.verbose == 0 else 1,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        fit_history = classifier.fit(
            pipelines["train"],
            validation_data=pipelines.get("validation"),
            epochs=training["epochs"],
            callbacks=[MeanTaskAccuracy(names, validated), *fit_callbacks, *callbacks],
            shuffle=False,
            verbose=config.verbose,
        )
    losses = fit_history.history.get("loss", [])
    if losses and not np.isfinite(losses[-1]):
        raise FloatingPointError(
            f"Training diverged (the loss became NaN); see {output_dir}. Try a lower --learning-rate."
        )

    history, best = restore_kept_weights(classifier, output_dir, monitor)

    metrics: dict[str, dict] = {}
    for split in ("validation", "test"):
        if split in pipelines:
            pipeline = pipelines[split]
            if static[split]:  # drop_remainder left examples out: evaluate them all
                pipeline = build_multitask_pipeline(splits[split], tokenizer, labels, batch_size=global_batch)
            predictions = predict_tasks(classifier, pipeline, names)
            metrics[split] = {}
            for task in names:
                if not sizes[split][task]:  # this task has no examples in this split
                    continue
                report = classification_report(*predictions[task], labels[task].names)
                metrics[split][task] = report
                say(format_report(report, title=f"restext: {split} metrics of {task!r} (best epoch {best})"))

    serving_model = build_serving_model(
        tokenizer, inference_copy(classifier), {task: labels[task].names for task in names}
    )
    result = MultiTaskResult(
        classifier=classifier,
        serving_model=serving_model,
        tokenizer=tokenizer,
        labels=labels,
        metrics=metrics,
        history=history,
        config=resolved,
        sizes=sizes,
        output_dir=output_dir,
        export_path=None,
        initial_epoch=initial_epoch,
        epochs_run=len(history.get("epoch", [])),
        best_epoch=best,
        wall_time=time.time() - start,
    )
    if not is_chief(strategy):
        remove_worker_dir(config.output_dir(), strategy)  # only the chief writes the export
    elif config.export:
        data = {
            task: f"{_describe(tasks[task].train)}: "
            + " / ".join(f"{sizes[split][task]} {split}" for split in sizes)
            + " labelled examples"
            for task in names
        }
        result.export_path = write_multitask_export(
            config.export,
            serving_model,
            metrics=metrics,
            history=history,
            data=data,
            preset=config.preset,
            config=resolved,
            training={
                "tasks": ", ".join(f"{t} (loss weight {loss_weights[t]:g})" for t in names),
                "epochs run": result.epochs_run,
                "best epoch": best,
                "monitor": monitor,
                "progressive": bool(config.progressive),
                "word vectors": config.embeddings or "none",
                "global batch size": global_batch,
                "replicas": strategy.num_replicas_in_sync,
                "mixed precision": training.get("mixed_precision") or "float32",
                "seed": config.seed,
                "training time (s)": round(result.wall_time, 1),
            },
        )
        say(f"restext: exported {result.export_path}")
    else:
        path = os.path.join(output_dir, "model.keras")
        serving_model.save(path)
        say(f"restext: saved {path} (pass --export to write a SavedModel)")
    result.wall_time = time.time() - start
    return result


def _describe(source) -> str:
    key = _source_key(source)
    return key if key is not None else "in-memory data"


__all__ = [
    "DEFAULT_MONITOR",
    "Examples",
    "MeanTaskAccuracy",
    "MultiTaskResult",
    "TaskData",
    "TaskTargets",
    "build_multitask_pipeline",
    "compile_multitask",
    "predict_tasks",
    "read_tasks",
    "tasks_from_columns",
    "train_multitask",
]
