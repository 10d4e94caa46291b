"""`train_multitask`: one shared residual trunk, one classification head per task.

Each task has its own labelled data: its own file(s) (`TaskData(train="mr/train.csv")`), or a label
column of a file it shares with other tasks (`tasks_from_columns("data.csv", {"sentiment": "label",
"topic": "topic"})`). An example carries the labels of the tasks whose data it comes from; the loss
of every other task is masked for it (its sample weight is 0 for that head), so the examples of
MR teach the sentiment head, TREC's the question head, and both teach the shared trunk.

`train_multitask` runs `train`'s very path (`trainer.run_training`); `SeveralTasks` gives it the
data, heads, losses and metrics of several tasks where `trainer.OneTask` gives those of one. The
steps:

1. read every task's data into memory; tasks that name the same file (and the same validation and
   test files) share its rows, an empty label cell meaning "no label for this task"; no validation
   file → with `validation_fraction` > 0 a seeded split of the training rows, stratified by their
   labels, else no validation data (all rows train, the last epoch's weights are kept);
2. one `LabelVocabulary` per task from its training labels; validation and test labels are checked;
3. one tokenizer adapted to all training texts; the task data sets are concatenated and shuffled
   (seeded) and tokenised in `tf.data` by `build_pipeline`; a batch is
   `(token_ids, {task: one-hot, zeros where missing}, {task: 1.0 or 0.0})`;
4. `ResTextClassifier(backbone, tasks={task: classes})`; the loss is the sum over tasks of
   `loss_weight × masked cross-entropy` (Keras averages each task's loss over the whole batch, so a
   task also weighs in proportion to its share of the examples); accuracy per task counts only the
   examples labelled for it;
5. `fit` (with validation data: early stopping on the mean of the tasks' validation accuracies,
   `val_mean_task_accuracy`), backup, logs; pretrained word vectors and progressive training as in `train`;
6. per-task accuracy, macro-F1 and confusion matrices on validation and test data;
7. export: a SavedModel whose `serving_default` returns `<task>_probabilities`, `<task>_label_id`
   and `<task>_label` for every task (`keras_restext.export.write_export`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

from keras_restext.data.tasks import TaskData, build_task_pipeline, read_tasks, tasks_from_columns
from keras_restext.errors import ArgumentError
from keras_restext.training.metrics import evaluate_texts
from keras_restext.training.config import TrainConfig
from keras_restext.training.result import TrainResult
from keras_restext.training.run_folder import RUN_KEYS
from keras_restext.training.trainer import run_training

MEAN_ACCURACY = "mean_task_accuracy"
DEFAULT_MONITOR = "val_" + MEAN_ACCURACY
TASK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
# Layer names of the shared trunk and names the training logs use: a task (a head layer) cannot take them.
RESERVED_NAMES = frozenset({
    "token_ids", "embedding", "embedding_dropout", "stem", "final_norm", "final_activation", "pooling",
    "kmax_pooling", "flatten", "head_dropout", "mean_task", "text", "loss",
})  # fmt: skip
_MISSING = ""  # the label of an example for a task it carries no label for


def _source_key(source):
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else None


def check_task_names(names: Sequence[str]) -> None:
    """Raises a `ValueError` for a task name that cannot name a model output and head layer."""
    for name in names:
        if not isinstance(name, str) or not TASK_NAME.match(name):
            raise ValueError(
                f"Task name {name!r} is not allowed: a task names a model output, so it must start with a letter "
                "and hold only letters, digits and underscores (at most 64)."
            )
        if name in RESERVED_NAMES or re.match(r"^(stage\d+_block\d+|head_dense_\d+|head_dropout_\d+)$", name):
            raise ValueError(f"Task name {name!r} is the name of a layer of the shared trunk; pick another name.")


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
    options = config.options()
    # The one-task run's keys; the data sources are per task, in `described`.
    values = {k: options[k] for k in RUN_KEYS if k not in ("train", "validation")}
    return json.loads(json.dumps({"tasks": described, **values, "resolved": resolved}, default=str))


def _as_task_data(task) -> TaskData:
    if isinstance(task, TaskData):
        return task
    if isinstance(task, Mapping):
        return TaskData(**task)
    return TaskData(train=task)


class SeveralTasks:
    """What a multi-task run trains: every task's data, one label vocabulary per task, outputs
    `<task>_probabilities`; the same interface as `trainer.OneTask`, trained by `run_training`.

    Args:
        tasks: task name → `TaskData`.
    """

    def __init__(self, tasks: Mapping[str, TaskData]):
        self.tasks = dict(tasks)
        self.names = list(tasks)
        self.splits: dict = {}
        self.labels: dict = {}
        self.sizes: dict = {}

    def fingerprint(self, config: TrainConfig, resolved: dict) -> dict:
        return _fingerprint(self.tasks, config, resolved)

    def read(self, config: TrainConfig, say) -> None:
        check_task_names(self.names)
        data = config.data
        if data.label_names:
            raise ArgumentError(
                "`label_names` renames one task's labels; name the classes in each task's data instead.",
                argument="label_names",
            )
        if data.on_bad_row not in (None, "error"):
            raise ArgumentError(
                f"`on_bad_row={data.on_bad_row!r}` is for one task; a multi-task run stops at a malformed row "
                "(rows without a task's label are skipped for that task already).",
                argument="on_bad_row",
            )
        self.splits, self.labels = read_tasks(
            self.tasks, format=data.format, text_column=data.text_column, label_column=data.label_column,
            header=data.header, validation_fraction=data.validation_fraction, seed=config.schedule.seed, log=say,
        )  # fmt: skip
        self.sizes = {
            split: {task: examples.labelled(task) for task in self.names}
            for split, examples in self.splits.items()
            if examples is not None
        }

    def training_texts(self):
        return self.splits["train"].texts

    def training_size(self) -> int:
        return len(self.splits["train"])

    def summary(self, tokenizer, preset: str) -> str:
        return (
            "restext: multi-task "
            + "; ".join(
                f"{task} ({len(self.labels[task])} classes): "
                + " / ".join(f"{self.sizes[split][task]} {split}" for split in self.sizes)
                for task in self.names
            )
            + f"; vocabulary {tokenizer.vocabulary_size()}, preset {preset}"
        )

    def pipeline(self, split: str, tokenizer, **options) -> tf.data.Dataset:
        return build_task_pipeline(self.splits[split], tokenizer, self.labels, **options)

    def heads(self) -> dict:
        return {"tasks": {task: len(self.labels[task]) for task in self.names}}

    def loss_weights(self) -> dict[str, float]:
        """Task → the weight of its loss in `ResTextClassifier.compile`."""
        return {task: self.tasks[task].loss_weight for task in self.names}

    def monitor(self, config: TrainConfig) -> str:
        monitor = config.schedule.monitor
        return DEFAULT_MONITOR if monitor == "val_accuracy" else monitor

    def first_callbacks(self) -> list:
        validated = [task for task in self.names if self.sizes.get("validation", {}).get(task, 0) > 0]
        return [MeanTaskAccuracy(self.names, validated)]

    def label_names(self) -> dict:
        return {task: self.labels[task].names for task in self.names}

    def evaluate(self, predict, split: str) -> tuple[dict, list[tuple[str, dict]]]:
        examples = self.splits[split]
        reports = evaluate_texts(predict, examples.texts, examples.labels, self.label_names())
        return reports, [(f"metrics of {task!r}", report) for task, report in reports.items()]

    def model_card(self, config: TrainConfig, facts: dict, monitor: str | None) -> dict:
        data = {
            task: f"{_describe(self.tasks[task].train)}: "
            + " / ".join(f"{self.sizes[split][task]} {split}" for split in self.sizes)
            + " labelled examples"
            for task in self.names
        }
        weights = ", ".join(f"{task} (loss weight {self.tasks[task].loss_weight:g})" for task in self.names)
        return {"data": data, "training": {"tasks": weights, "monitor": monitor, **facts}}


def train_multitask(
    tasks: Mapping[str, TaskData | str | Mapping],
    config: TrainConfig | None = None,
    *,
    strategy: tf.distribute.Strategy | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    log: Callable[[str], None] | None = print,
    **options,
) -> TrainResult:
    """Trains one shared residual trunk with one head per task, evaluates each task, exports.

    The same training path as `train` (`run_training`), with `SeveralTasks` for its data.

    Args:
        tasks: task name → `TaskData` (or just its training path, or a dict of `TaskData` fields).
            Task names become output names: letters, digits and underscores.
        config: a `TrainConfig` for everything but the data (its model, schedule, runtime and
            output groups: preset, epochs, seed, output, export, `embeddings`, `progressive`, ...).
            Its data group's `format`, `text_column`, `label_column` and `header` are the defaults
            of the tasks' reading options; its `train`, `validation` and `test` are not used. Leave
            it None and pass its settings as keyword arguments instead.
        strategy: a `tf.distribute.Strategy` (default: the current one); `batch_size` is per replica.
        callbacks: extra Keras callbacks for `fit`.
        log: prints progress lines; None is silent.
        **options: settings by their flat option names (see `TrainConfig`).

    Returns:
        A `TrainResult` (labels, metrics and sizes keyed by task).

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
    config = TrainConfig.from_options(**options) if config is None else config.replace(**options)
    tasks = SeveralTasks({name: _as_task_data(task) for name, task in tasks.items()})
    return run_training(tasks, config, strategy=strategy, callbacks=callbacks, log=log)


def _describe(source) -> str:
    key = _source_key(source)
    return key if key is not None else "in-memory data"


__all__ = [
    "DEFAULT_MONITOR",
    "MeanTaskAccuracy",
    "TaskData",
    "check_task_names",
    "tasks_from_columns",
    "train_multitask",
]
