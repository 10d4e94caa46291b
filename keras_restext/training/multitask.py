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
   and `<task>_label` for every task (`keras_restext.export.write_export`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence


import keras
import numpy as np
import tensorflow as tf

from keras_restext.data import make_tokenizer
from keras_restext.data.tasks import TaskData, build_task_pipeline, read_tasks, tasks_from_columns
from keras_restext.export import Predictor
from keras_restext.models import build_resnet_classifier, set_wide_idf
from keras_restext.training.callbacks import ShuffleEpoch
from keras_restext.training.distribute import effective_steps_per_execution, patch_for_multiworker, with_shard_policy
from keras_restext.training.metrics import evaluate_texts, format_report
from keras_restext.training.trainer import (
    TrainConfig,
    TrainResult,
    finished_run,
    fit_and_restore,
    record_run,
    run_facts,
    run_optimizer,
    save_and_export,
    start_run,
    training_dtype_policy,
    wide_idf,
)
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
        optimizer=run_optimizer(training, total_steps, strategy),
        loss={t: keras.losses.CategoricalCrossentropy(label_smoothing=training["label_smoothing"]) for t in tasks},
        loss_weights={t: float(loss_weights[t]) for t in tasks},
        weighted_metrics={t: ["accuracy"] for t in tasks},
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    patch_for_multiworker(classifier)
    return classifier


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
) -> TrainResult:
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
    monitor = DEFAULT_MONITOR if config.monitor == "val_accuracy" else config.monitor
    fingerprint = _fingerprint(tasks, config, resolved)
    with start_run(config, fingerprint, strategy) as (output_dir, initial_epoch, held):

        check_task_names(list(tasks))
        if config.label_names:
            raise ValueError("`label_names` renames one task's labels; name the classes in each task's data instead.")
        if config.on_bad_row not in (None, "error"):
            raise ValueError(
                f"`on_bad_row={config.on_bad_row!r}` is for one task; a multi-task run stops at a malformed row "
                "(rows without a task's label are skipped for that task already)."
            )
        splits, labels = read_tasks(
            tasks, format=config.format, text_column=config.text_column, label_column=config.label_column,
            header=config.header, validation_fraction=config.validation_fraction, seed=config.seed, log=say,
        )  # fmt: skip
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
        shuffle_epoch = ShuffleEpoch()  # each epoch's order a function of (seed, epoch): resumes are exact
        # What fit consumes (static shapes for TPU/XLA); the metrics read the texts themselves.
        pipelines = {
            split: with_shard_policy(build_task_pipeline(
                splits[split], tokenizer, labels, batch_size=global_batch, shuffle=split == "train", seed=config.seed,
                epoch=shuffle_epoch.epoch,
                bucket=config.bucket, static_shapes=config.static_shapes, cache=config.cache,
            ))
            for split in ("train", "validation")
            if splits[split] is not None
        }  # fmt: skip
        steps_per_epoch = max(1, -(-len(splits["train"]) // global_batch))
        loss_weights = {task: tasks[task].loss_weight for task in names}
        heads = {task: len(labels[task]) for task in names}

        idf = wide_idf(pipelines["train"], tokenizer.vocabulary_size(), resolved["model"])

        def build(overrides: dict, total_steps: int) -> keras.Model:
            with training_dtype_policy(training):
                model = build_resnet_classifier(
                    tasks=heads, vocab_size=tokenizer.vocabulary_size(), preset=config.preset,
                    **{**config.model_overrides, **overrides},
                )  # fmt: skip
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

        if not record_run(output_dir, fingerprint, initial_epoch, say, held) and config.progressive:
            pretrain_stages(
                classifier, build=build, train_data=pipelines["train"], validation_data=pipelines.get("validation"),
                model_config=resolved["model"], epochs=training["epochs"], steps_per_epoch=steps_per_epoch,
                freeze=config.freeze_grown, vectors=vectors, embeddings_trainable=config.embeddings_trainable,
                strategy=strategy, verbose=config.verbose, log=say,
            )  # fmt: skip
        if splits["validation"] is None:  # nothing to stop early on: the last epoch's weights are kept
            monitor = None
        validated = [task for task in names if sizes.get("validation", {}).get(task, 0) > 0]
        history, best = fit_and_restore(
            classifier, pipelines, config=config, training=training, output_dir=output_dir, monitor=monitor,
            initial_epoch=initial_epoch, shuffle_epoch=shuffle_epoch, callbacks=callbacks,
            first_callbacks=[MeanTaskAccuracy(names, validated)],
        )  # fmt: skip

        result = finished_run(
            classifier=classifier, tokenizer=tokenizer, labels=labels, metrics={}, history=history,
            config=resolved, sizes=sizes, output_dir=output_dir, initial_epoch=initial_epoch, best_epoch=best, start=start,
        )  # fmt: skip
        # Evaluated as the export will serve: raw texts through the serving model.
        kept = "best" if monitor else "last"  # without validation data the last epoch's weights are kept
        names_of = {task: labels[task].names for task in names}
        predictor = Predictor(result.serving_model, names_of, path=output_dir, kind="keras")
        for split in ("validation", "test"):
            if splits[split] is not None:
                reports = evaluate_texts(predictor.predict, splits[split].texts, splits[split].labels, names_of)
                result.metrics[split] = reports
                for task, report in reports.items():
                    say(format_report(report, title=f"restext: {split} metrics of {task!r} ({kept} epoch {best})"))
        data = {
            task: f"{_describe(tasks[task].train)}: "
            + " / ".join(f"{sizes[split][task]} {split}" for split in sizes)
            + " labelled examples"
            for task in names
        }
        facts = run_facts(config, training, strategy, epochs_run=result.epochs_run, best_epoch=best,
                          wall_time=result.wall_time)  # fmt: skip
        facts = {"tasks": ", ".join(f"{t} (loss weight {loss_weights[t]:g})" for t in names), "monitor": monitor, **facts}
        save_and_export(result, config, strategy, say, data=data, training=facts)
        result.wall_time = time.time() - start
        return result


def _describe(source) -> str:
    key = _source_key(source)
    return key if key is not None else "in-memory data"


__all__ = [
    "DEFAULT_MONITOR",
    "MeanTaskAccuracy",
    "TaskData",
    "check_task_names",
    "compile_multitask",
    "tasks_from_columns",
    "train_multitask",
]
