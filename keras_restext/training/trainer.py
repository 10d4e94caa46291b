"""`train`: labelled text in, a trained classifier, honest metrics and an export out.

`run_training` is the one training path, of one task (`OneTask`, here) and of several
(`multitask.SeveralTasks`, behind `train_multitask`). The steps, each one a library call you can
also make yourself:

1. read the data (`keras_restext.data.read_dataset`); validation data is a file, a stratified
   share of the training data (`validation_fraction`), or none: then the whole training set
   trains for the whole schedule and the last epoch's weights are kept;
2. the label vocabulary from the training labels; validation and test labels are checked against
   it, so an unseen label is reported with its file and line before training starts;
3. adapt the preset's tokenizer to the training texts; tokenise in `tf.data` (string ops do not
   run inside a replicated model);
4. build the preset's `ResTextClassifier` (backbone, heads, and a preprocessor of the adapted
   tokenizer and the class names) under `strategy.scope()`; AdamW with warm-up and cosine decay;
   cross-entropy with label smoothing;
5. `fit` (with validation data: early stopping, best weights restored), a backup of the
   training state every epoch (a killed run resumes), `TerminateOnNaN`, TensorBoard and CSV logs;
6. accuracy, macro-F1, per-class scores and confusion matrices on validation and test data;
7. export: the raw-string serving model as a SavedModel and `.keras`, with labels, metrics, model
   card and plots (`keras_restext.export.write_export`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from keras_restext.data import LabelVocabulary, build_pipeline, make_tokenizer, read_dataset, split_validation
from keras_restext.export import ExportError, Predictor, write_export, write_record
from keras_restext.export.artifacts import KERAS_FILE
from keras_restext.models import (
    ResTextBackbone,
    ResTextClassifier,
    ResTextPreprocessor,
    resolve_model_config,
    set_wide_idf,
)
from keras_restext.models.backbone import BACKBONE_DEFAULTS
from keras_restext.models.classifier import HEAD_DEFAULTS, wide_branch_idf
from keras_restext.models.text_classifier import check_word_ngrams
from keras_restext.training.backup import remove_backup
from keras_restext.training.config import TrainConfig
from keras_restext.training.callbacks import (
    BACKUP_DIR,
    ShuffleEpoch,
    finished_epochs,
    make_callbacks,
    progress_verbosity,
    restore_kept_weights,
)
from keras_restext.training.distribute import (
    effective_steps_per_execution,
    is_chief,
    patch_for_multiworker,
    remove_worker_dir,
    scaled_learning_rate,
    with_shard_policy,
    write_dir,
)
from keras_restext.training.metrics import evaluate_texts, format_report
from keras_restext.training.run_lock import run_folder_lock
from keras_restext.models.optimizers import make_optimizer
from keras_restext.training.warmstart import apply_embeddings, prepare_embeddings, pretrain_stages

RUN_FILE = "run.json"
# The settings that must not change between a killed run and its resumption (with the resolved config).
RUN_KEYS = (
    "train", "validation", "format", "text_column", "label_column", "header", "preset", "seed", "validation_fraction",
    "progressive", "freeze_grown", "embeddings", "embeddings_trainable",
)  # fmt: skip


@dataclass
class TrainResult:
    """What `train` and `train_multitask` return.

    Attributes:
        classifier: the trained `ResTextClassifier` (the best epoch's weights with validation data,
            else the last epoch's), with its preprocessor: it predicts raw strings (`predict`) and
            token ids (`network()`); with several tasks its outputs are a dict keyed by task.
        serving_model: tokenizer + a copy of the classifier (no optimizer state) + labels: raw
            strings in (what is exported).
        tokenizer: the adapted tokenizer.
        labels: the `LabelVocabulary`; with several tasks a dict task → `LabelVocabulary`.
        metrics: split name ("validation", "test") → `classification_report` dict; with several
            tasks split → task → report, over the examples labelled for that task.
        history: metric name → one value per epoch, over all (resumed) runs.
        config: the resolved configuration.
        output_dir: the run folder.
        export_path: the new export version folder, or None.
        initial_epoch: the epochs a previous, killed run had finished (0 for a fresh run).
        epochs_run: the epochs finished in all.
        best_epoch: the 1-based epoch whose weights were kept.
        wall_time: seconds from start to end of `train`.
        sizes: split → examples; with several tasks split → task → labelled examples.
    """

    classifier: keras.Model
    serving_model: keras.Model
    tokenizer: keras.layers.Layer
    labels: LabelVocabulary | dict[str, LabelVocabulary]
    metrics: dict
    history: dict
    config: dict
    output_dir: str
    export_path: str | None
    initial_epoch: int
    epochs_run: int
    best_epoch: int | None
    wall_time: float
    sizes: dict = field(default_factory=dict)


def finished_run(*, classifier: ResTextClassifier, tokenizer, labels, start: float, history: dict, **fields) -> TrainResult:
    """The `TrainResult` of a finished run, with the classifier's raw-string serving model (its
    preprocessor's tokenizer and class names, of one task or of several)."""
    return TrainResult(
        classifier=classifier,
        serving_model=classifier.serving_model(),
        tokenizer=tokenizer,
        labels=labels,
        history=history,
        export_path=None,
        epochs_run=len(history.get("epoch", [])),
        wall_time=time.time() - start,
        **fields,
    )


def _source_name(source) -> str | None:
    """A data source as the model card and the run file name it: a path, or what kind of object."""
    if source is None or isinstance(source, (str, os.PathLike)):
        return None if source is None else os.fspath(source)
    if isinstance(source, tf.data.Dataset):
        return "a tf.data.Dataset"
    return "in-memory data"


def _fingerprint(config: TrainConfig, resolved: dict) -> dict:
    """What must not change between a killed run and its resumption (in-memory data by a digest)."""
    options = config.options()
    values = {k: options[k] for k in RUN_KEYS}
    for key in ("train", "validation"):
        if _source_name(values[key]) == "in-memory data":
            values[key] = "sha256:" + hashlib.sha256(repr(values[key]).encode()).hexdigest()
        elif values[key] is not None:
            values[key] = _source_name(values[key])
    return json.loads(json.dumps({**values, "resolved": resolved}, default=str))


def _check_resumable(output_dir: str, fingerprint: dict) -> int:
    """The epochs to skip; refuses to resume a backup made by a different command."""
    resumed = finished_epochs(output_dir)
    run_file = os.path.join(output_dir, RUN_FILE)
    if resumed and os.path.exists(run_file):
        with open(run_file) as f:
            previous = json.load(f)
        if previous != fingerprint:
            raise ValueError(
                f"The output folder {output_dir!r} holds the backup of a different run (other data, preset or "
                f"settings). Pass another `output`, or delete {os.path.join(output_dir, BACKUP_DIR)!r} to start over."
            )
    return resumed


def _write_run_file(output_dir: str, fingerprint: dict) -> None:
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, RUN_FILE), "w") as f:
        json.dump(fingerprint, f, indent=2)


def count_examples(data) -> int:
    """The number of examples of a `TextData` (one pass over it)."""
    return int(data.dataset.reduce(np.int64(0), lambda count, _: count + 1))


def _read_data(config: TrainConfig):
    """Training, validation and test `TextData` and the label vocabulary; unseen labels fail here."""
    data = config.data
    options = {k: getattr(data, k) for k in ("format", "text_column", "label_column", "header", "on_bad_row")}
    options = {k: v for k, v in options.items() if v is not None}
    def read(source):
        return read_dataset(source, **options).with_label_names(data.label_names)

    if data.train is None:
        raise ValueError("`train` is required: the training data (a path, a tf.data.Dataset, or (texts, labels)).")
    train_data = read(data.train)
    labels = LabelVocabulary.from_data(train_data)
    if len(labels) < 2:
        raise ValueError(f"Training needs at least 2 classes; {_source_name(data.train)} has only {labels.names!r}.")
    if data.validation is not None:
        validation_data = read(data.validation)
        labels.check(validation_data)
    elif data.validation_fraction > 0:
        train_data, validation_data = split_validation(train_data, data.validation_fraction, seed=config.schedule.seed)
    else:
        validation_data = None
    test_data = None if data.test is None else read(data.test)
    if test_data is not None:
        labels.check(test_data)
    return train_data, validation_data, test_data, labels


@contextlib.contextmanager
def training_dtype_policy(training: dict):
    """The mixed-precision policy for the layers built inside the block (the output layers stay
    float32); the previous policy afterwards."""
    previous_policy = keras.config.dtype_policy()
    if training.get("mixed_precision"):  # layers take the policy when they are created
        keras.config.set_dtype_policy(f"mixed_{training['mixed_precision']}")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous_policy)


def run_optimizer(training: dict, total_steps: int, strategy: tf.distribute.Strategy) -> keras.optimizers.Optimizer:
    """The recipe's AdamW over `total_steps`, its peak learning rate scaled with the replicas."""
    return make_optimizer(
        scaled_learning_rate(training["learning_rate"], strategy),
        total_steps,
        weight_decay=training["weight_decay"],
        warmup_fraction=training["warmup_fraction"],
    )


@contextlib.contextmanager
def start_run(config: TrainConfig, fingerprint: dict, strategy: tf.distribute.Strategy):
    """The run's block: gives `(folder, the epochs a killed run finished, held)`, the folder being
    a temporary one on non-chief workers. Refuses a folder that holds another run's backup (before
    the slow steps: fail fast). Seeds everything. `record_run` claims the folder's lock into
    `held`, which releases it when the block ends."""
    output_dir = write_dir(config.output_dir(), strategy)
    initial_epoch = _check_resumable(output_dir, fingerprint)
    keras.utils.set_random_seed(config.schedule.seed)
    with contextlib.ExitStack() as held:
        yield output_dir, initial_epoch, held


def record_run(output_dir: str, fingerprint: dict, initial_epoch: int, say, held: contextlib.ExitStack) -> bool:
    """Claims the run folder (created once the data has been read, so that bad data leaves none)
    for the rest of the run, writes the run file into it and says when the run resumes a killed
    one; returns whether it does.

    Raises:
        RunFolderInUse: another live run writes into the folder.
    """
    held.enter_context(run_folder_lock(output_dir))
    _write_run_file(output_dir, fingerprint)
    if initial_epoch:
        say(f"restext: resuming from the backup in {os.path.join(output_dir, BACKUP_DIR)} after epoch {initial_epoch}")
    return bool(initial_epoch)


def fit_and_restore(
    classifier: keras.Model,
    pipelines: dict,
    *,
    config: TrainConfig,
    training: dict,
    output_dir: str,
    monitor: str | None,
    initial_epoch: int = 0,
    shuffle_epoch: ShuffleEpoch | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    first_callbacks: Sequence[keras.callbacks.Callback] = (),
) -> tuple[dict, int | None]:
    """`fit` with the run's callbacks (backup, logs, early stopping on `monitor`), then the kept
    weights (the best epoch's with a monitor, else the last's): `(history, kept epoch)`.
    `initial_epoch`: the epochs of the backup (`start_run`), loaded when `fit` begins.
    `shuffle_epoch`: the epoch the training pipeline shuffles by (`build_pipeline(epoch=...)`).
    `first_callbacks` run before the run's own (so that these see what they add to the logs),
    `callbacks` after them.

    Raises:
        FloatingPointError: the loss became NaN.
    """
    fit_callbacks = make_callbacks(
        output_dir,
        patience=training["patience"],
        monitor=monitor,
        keep_backup=True,  # until the model and the export are written (`save_and_export`)
        tensorboard=config.output.tensorboard,
        verbose=0 if config.runtime.verbose == 0 else 1,
    )
    with warnings.catch_warnings():
        # Keras warns when a dataset of unknown length ends its first epoch; that is expected here.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        fit_history = classifier.fit(
            pipelines["train"],
            validation_data=pipelines.get("validation"),
            epochs=training["epochs"],
            initial_epoch=initial_epoch,
            callbacks=[*([shuffle_epoch] if shuffle_epoch else []), *first_callbacks, *fit_callbacks, *callbacks],
            shuffle=False,  # the pipeline shuffles, seeded
            verbose=progress_verbosity(config.runtime.verbose),
        )
    losses = fit_history.history.get("loss", [])
    if losses and not np.isfinite(losses[-1]):
        # TerminateOnNaN stopped the run: there is nothing worth evaluating or exporting.
        raise FloatingPointError(
            f"Training diverged (the loss became NaN); see {output_dir}. Try a lower `learning_rate`."
        )
    return restore_kept_weights(classifier, output_dir, monitor)


def run_facts(config: TrainConfig, training: dict, strategy: tf.distribute.Strategy, *, epochs_run: int,
              best_epoch: int | None, wall_time: float) -> dict:
    """What the model card says about the run."""
    return {
        "epochs run": epochs_run,
        "best epoch": best_epoch,
        "global batch size": training["batch_size"] * strategy.num_replicas_in_sync,
        "replicas": strategy.num_replicas_in_sync,
        "peak learning rate": scaled_learning_rate(training["learning_rate"], strategy),
        "mixed precision": training.get("mixed_precision") or "float32",
        "progressive": bool(config.schedule.progressive),
        "word vectors": config.model.embeddings or "none",
        "seed": config.schedule.seed,
        "training time (s)": round(wall_time, 1),
    }


def save_and_export(result, config: TrainConfig, strategy: tf.distribute.Strategy, say, **record) -> None:
    """The end of a run, in the order that loses nothing: the run folder's `model.keras` and
    `metrics.json` first, then the export (`config.output.export`), and only then the backup goes. An
    export that fails raises `ExportError` and leaves the model, its record and the backup (a rerun
    of the same command resumes after the last epoch and exports again). On a non-chief worker,
    removes its temporary folder instead. Sets `result.export_path`."""
    if not is_chief(strategy):
        remove_worker_dir(config.output_dir(), strategy)  # only the chief writes the export
        return
    record = {"metrics": result.metrics, "history": result.history, "preset": config.model.preset,
              "config": result.config, **record}  # fmt: skip
    write_record(result.output_dir, result.serving_model, **record)
    path = os.path.join(result.output_dir, KERAS_FILE)
    if config.output.export:
        try:
            result.export_path = write_export(config.output.export, result.serving_model, **record)
        except ExportError as error:
            raise ExportError(f"{error}. The trained model is saved in {path}.") from error
        say(f"restext: exported {result.export_path}")
    else:
        say(f"restext: saved {path} (pass `export=` to write a SavedModel)")
    remove_backup(os.path.join(result.output_dir, BACKUP_DIR))


def wide_idf(train_batches: tf.data.Dataset, vocab_size: int, model_config: dict) -> np.ndarray | None:
    """The wide branch's idfs (`wide_branch_idf`) from one pass over the training batches, or None when
    the model has no wide branch. With `cache`, the pass fills the pipeline's cache, so `fit` does
    not tokenize the texts again. With `static_shapes`, the pipeline drops its last partial batch,
    and so do the idfs (fewer than `batch_size` texts)."""
    if not model_config.get("wide_scale"):
        return None
    return wide_branch_idf((batch[0] for batch in train_batches.as_numpy_iterator()), vocab_size, model_config)


class OneTask:
    """What a one-task run trains: `config.data.train` (with its validation and test data), one label
    vocabulary, outputs `probabilities`. `run_training` trains it; `multitask.SeveralTasks` is the
    same interface for several tasks.
    """

    def __init__(self):
        self.splits: dict = {}
        self.labels: LabelVocabulary | None = None
        self.sizes: dict = {}

    def fingerprint(self, config: TrainConfig, resolved: dict) -> dict:
        """What must not change between a killed run and its resumption (in-memory data by a digest)."""
        return _fingerprint(config, resolved)

    def read(self, config: TrainConfig, say) -> None:
        """Reads the splits and the label vocabulary; unseen labels fail here."""
        train_data, validation_data, test_data, self.labels = _read_data(config)
        self.splits = {"train": train_data, "validation": validation_data, "test": test_data}
        self.sizes = {name: count_examples(data) for name, data in self.splits.items() if data is not None}

    def training_texts(self):
        return self.splits["train"]

    def training_size(self) -> int:
        return self.sizes["train"]

    def summary(self, tokenizer, preset: str) -> str:
        return (
            "restext: " + " / ".join(f"{n} {name}" for name, n in self.sizes.items()) + f" examples, "
            f"{len(self.labels)} classes, vocabulary {tokenizer.vocabulary_size()}, preset {preset}"
        )

    def pipeline(self, split: str, tokenizer, **options) -> tf.data.Dataset:
        return build_pipeline(self.splits[split], tokenizer, self.labels, **options)

    def heads(self) -> dict:
        """The arguments of `ResTextClassifier` that set its outputs."""
        return {"num_classes": len(self.labels)}

    def compile_arguments(self, training: dict) -> dict:
        """The loss and metrics of `compile`."""
        return {
            "loss": keras.losses.CategoricalCrossentropy(label_smoothing=training["label_smoothing"]),
            "metrics": ["accuracy"],
        }

    def monitor(self, config: TrainConfig) -> str:
        return config.schedule.monitor

    def first_callbacks(self) -> list:
        return []

    def label_names(self):
        """What the serving model and the predictor name the classes by."""
        return self.labels.names

    def evaluate(self, predict, split: str) -> tuple[dict, list[tuple[str, dict]]]:
        """The split's metrics, as raw texts through `predict`: `(metrics, [(title, report), ...])`."""
        texts, raw_labels = self.splits[split].texts_and_labels()
        report = evaluate_texts(predict, texts, [label.strip() for label in raw_labels], self.labels.names)
        return report, [("metrics", report)]

    def model_card(self, config: TrainConfig, facts: dict, monitor: str | None) -> dict:
        """The model card's `data` and `training` sections (`facts`: `run_facts`)."""
        sizes = self.sizes
        given = config.data
        data = {"train": f"{_source_name(given.train)} ({sizes['train']} examples)"}
        if given.validation is not None:
            data["validation"] = f"{_source_name(given.validation)} ({sizes['validation']} examples)"
        elif "validation" in sizes:
            data["validation"] = f"{sizes['validation']} examples split off the training data (seed {config.schedule.seed})"
        if given.test is not None:
            data["test"] = f"{_source_name(given.test)} ({sizes['test']} examples)"
        return {"data": data, "training": facts}


def run_training(
    tasks,
    config: TrainConfig,
    *,
    strategy: tf.distribute.Strategy | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    log: Callable[[str], None] | None = print,
) -> TrainResult:
    """The one training path of `train` and `train_multitask`: read, tokenize, build, fit, evaluate,
    save and export `tasks` (a `OneTask` or a `multitask.SeveralTasks`)."""
    start = time.time()
    strategy = strategy or tf.distribute.get_strategy()
    say = log or (lambda message: None)
    resolved = config.resolved()
    training = resolved["training"]
    runtime = config.runtime
    tokenizer = make_tokenizer(**resolved["tokenizer"])
    # Before the run folder and the data: a trunk that cannot read this tokenizer's ids.
    check_word_ngrams(resolve_model_config(config.model.preset, **config.model.overrides)["word_ngrams"], tokenizer)
    fingerprint = tasks.fingerprint(config, resolved)
    with start_run(config, fingerprint, strategy) as (output_dir, initial_epoch, held):
        tasks.read(config, say)
        tokenizer.adapt(tasks.training_texts())
        config, vectors = prepare_embeddings(config, resolved, tokenizer, say)  # --embeddings: embedding_dim from the file
        say(tasks.summary(tokenizer, config.model.preset))

        # batch_size is per replica: every replica sees the same batch as on one device.
        global_batch = training["batch_size"] * strategy.num_replicas_in_sync
        shuffle_epoch = ShuffleEpoch()  # each epoch's order a function of (seed, epoch): resumes are exact
        # What fit consumes (static shapes for TPU/XLA); the metrics read the texts themselves.
        pipelines = {
            split: with_shard_policy(tasks.pipeline(
                split, tokenizer, batch_size=global_batch, shuffle=split == "train", seed=config.schedule.seed,
                epoch=shuffle_epoch.epoch, bucket=runtime.bucket and not runtime.static_shapes,
                static_shapes=runtime.static_shapes, cache=runtime.cache,
            ))
            for split in ("train", "validation")
            if tasks.splits[split] is not None
        }  # fmt: skip
        steps_per_epoch = max(1, -(-tasks.training_size() // global_batch))
        idf = wide_idf(pipelines["train"], tokenizer.vocabulary_size(), resolved["model"])

        def build(overrides: dict, total_steps: int, *, preprocessed: bool = False) -> ResTextClassifier:
            """The preset's task model (with `overrides`), compiled; called under `strategy.scope()`.
            `idf` (the training texts' inverse document frequencies) weights the wide branch's
            tokens. `preprocessed`: with the preprocessor (tokenizer and class names), so that the
            trained classifier also takes raw strings."""
            model_config = resolve_model_config(config.model.preset, **{**config.model.overrides, **overrides})
            with training_dtype_policy(training):
                backbone = ResTextBackbone(
                    tokenizer.vocabulary_size(), **{key: model_config[key] for key in BACKBONE_DEFAULTS}
                )
                model = ResTextClassifier(
                    backbone, **tasks.heads(), recipe=training, compile=False,
                    **{key: model_config[key] for key in HEAD_DEFAULTS},
                )  # fmt: skip
            if idf is not None:
                set_wide_idf(model, idf)
            model.compile(
                optimizer=run_optimizer(training, total_steps, strategy),
                **tasks.compile_arguments(training),
                jit_compile=runtime.jit_compile or runtime.static_shapes,
                steps_per_execution=effective_steps_per_execution(runtime.steps_per_execution, strategy),
            )
            patch_for_multiworker(model)
            if preprocessed:
                # After `compile`: Keras turns XLA off for a model holding a layer that XLA cannot run
                # (the tokenizer's string ops), though `fit` reads the pipelines' ids and never calls it.
                names = tasks.label_names()
                model.preprocessor = ResTextPreprocessor(
                    tokenizer, labels=names, tasks=list(names) if isinstance(names, dict) else None
                )
            return model

        with strategy.scope():
            classifier = build({}, steps_per_epoch * training["epochs"], preprocessed=True)
            apply_embeddings(classifier, vectors, config.model.embeddings_trainable)

        if not record_run(output_dir, fingerprint, initial_epoch, say, held) and config.schedule.progressive:
            # Grow and train the first S - 1 stages (a resumed run's backup already has them).
            pretrain_stages(
                classifier, build=build, train_data=pipelines["train"], validation_data=pipelines.get("validation"),
                model_config=resolved["model"], epochs=training["epochs"], steps_per_epoch=steps_per_epoch,
                freeze=config.schedule.freeze_grown, vectors=vectors, embeddings_trainable=config.model.embeddings_trainable,
                strategy=strategy, verbose=runtime.verbose, log=say,
            )  # fmt: skip
        # Without validation data there is nothing to stop early on: the last epoch's weights are kept.
        monitor = tasks.monitor(config) if tasks.splits["validation"] is not None else None
        history, best = fit_and_restore(
            classifier, pipelines, config=config, training=training, output_dir=output_dir, monitor=monitor,
            initial_epoch=initial_epoch, shuffle_epoch=shuffle_epoch, callbacks=callbacks,
            first_callbacks=tasks.first_callbacks(),
        )  # fmt: skip

        result = finished_run(
            classifier=classifier, tokenizer=tokenizer, labels=tasks.labels, metrics={}, history=history,
            config=resolved, sizes=tasks.sizes, output_dir=output_dir, initial_epoch=initial_epoch, best_epoch=best,
            start=start,
        )  # fmt: skip
        # Evaluated as the export will serve: raw texts through the serving model.
        kept = "best" if monitor else "last"  # without validation data the last epoch's weights are kept
        predictor = Predictor(result.serving_model, tasks.label_names(), path=output_dir, kind="keras")
        for split in ("validation", "test"):
            if tasks.splits[split] is not None:
                result.metrics[split], reports = tasks.evaluate(predictor.predict, split)
                for title, report in reports:
                    say(format_report(report, title=f"restext: {split} {title} ({kept} epoch {best})"))
        facts = run_facts(config, training, strategy, epochs_run=result.epochs_run, best_epoch=best,
                          wall_time=result.wall_time)  # fmt: skip
        save_and_export(result, config, strategy, say, **tasks.model_card(config, facts, monitor))
        result.wall_time = time.time() - start
        return result


def train(
    config: TrainConfig | None = None,
    *,
    strategy: tf.distribute.Strategy | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    log: Callable[[str], None] | None = print,
    **options,
) -> TrainResult:
    """Trains a classifier on labelled text, evaluates it and optionally exports it.

    Args:
        config: a `TrainConfig` (its six groups: data, tokenizer, model, schedule, runtime,
            output); or leave it None and pass its settings by their flat option names.
        strategy: a `tf.distribute.Strategy` (default: the current/default strategy; see
            `keras_restext.training.distribute.get_strategy`). The global batch is the per-replica
            `batch_size` × `strategy.num_replicas_in_sync`, and the learning rate is scaled by the
            same factor (the linear scaling rule). In multi-worker training only the chief writes
            the run folder and the export.
        callbacks: extra Keras callbacks for `fit`.
        log: prints progress lines (data sizes, resumption, metrics, export path); None is silent.
        **options: settings by their flat option names (`train`, `epochs`, `output`, ...; see
            `TrainConfig`), when `config` is None, or overriding `config`'s.

    Returns:
        A `TrainResult`.

    Raises:
        DataError: unreadable data, a missing column, a bad row, an unseen label in validation/test.
        ValueError: a bad setting (unknown preset, non-positive epochs, ...), or an output folder
            holding the backup of a different run.
        FloatingPointError: the loss became NaN.

    Example:
    >>> result = train(train="../shared/data/mr/train.csv", test="../shared/data/mr/test.csv",
    ...                preset="restext_small", epochs=1, export="savedmodels/mr")
    >>> result.metrics["test"]["accuracy"], result.export_path
    """
    config = TrainConfig.from_options(**options) if config is None else config.replace(**options)
    return run_training(OneTask(), config, strategy=strategy, callbacks=callbacks, log=log)


__all__ = ["TrainResult", "count_examples", "run_training", "train"]
