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
   tokenizer and the class names) under `strategy.scope()`, compiled with its own recipe
   (`ResTextClassifier.compile`: AdamW with warm-up and cosine decay over the run's steps,
   cross-entropy with label smoothing);
5. `classifier.fit` (which sets the wide branch's idfs; with validation data: early stopping, best
   weights restored), a backup of the
   training state every epoch (a killed run resumes), `TerminateOnNaN`, TensorBoard and CSV logs;
6. accuracy, macro-F1, per-class scores and confusion matrices on validation and test data;
7. export: the raw-string serving model as a SavedModel and `.keras`, with labels, metrics, model
   card and plots (`keras_restext.export.write_export`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from keras_restext.data import make_tokenizer
from keras_restext.data.pipeline import quiet_end_of_data
from keras_restext.export import ExportError, Predictor, write_export, write_record
from keras_restext.export.artifacts import KERAS_FILE
from keras_restext.models import ResTextClassifier, ResTextPreprocessor, resolve_model_config
from keras_restext.models.auto_preset import AUTO, DEFAULT_PRESET, PresetChoice, choose_preset
from keras_restext.models.backbone import check_word_ngrams
from keras_restext.training.backup import remove_backup
from keras_restext.training.callbacks import (
    BACKUP_DIR,
    ShuffleEpoch,
    make_callbacks,
    progress_verbosity,
    restore_kept_weights,
)
from keras_restext.training.config import TrainConfig
from keras_restext.training.distribute import (
    effective_steps_per_execution,
    is_chief,
    patch_for_multiworker,
    remove_worker_dir,
    scaled_learning_rate,
    shard_training_files,
    with_shard_policy,
)
from keras_restext.training.metrics import format_report
from keras_restext.training.result import TrainResult, finished_run
from keras_restext.training.run_folder import check_output_folders, record_run, start_run, with_data_contents
from keras_restext.training.single_task import OneTask
from keras_restext.training.warmstart import apply_embeddings, prepare_embeddings, pretrain_stages

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
    with quiet_end_of_data():
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
              best_epoch: int | None, wall_time: float, choice: PresetChoice | None = None) -> dict:
    """What the model card says about the run (`choice`: what `preset="auto"` chose, and why)."""
    auto = {} if choice is None else {"preset chosen by auto": choice.describe()}
    return {
        **auto,
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


def check_model_reads_tokenizer(config: TrainConfig):
    """The preset's tokenizer (not adapted), after checking that the model's trunk can read its ids."""
    tokenizer = make_tokenizer(**config.resolved()["tokenizer"])
    check_word_ngrams(resolve_model_config(config.model.preset, **config.model.overrides)["word_ngrams"], tokenizer)
    return tokenizer


def resolve_auto_preset(config: TrainConfig, tasks, say) -> tuple[TrainConfig, PresetChoice | None]:
    """With `preset="auto"`, the config of the preset that `choose_preset` picks for the training
    data of `tasks` (read; the user's model overrides win over its own), and the choice; else
    `(config, None)`."""
    if config.model.preset != AUTO:
        return config, None
    texts = tasks.training_texts()
    texts = (row.text for row in texts.iter_rows()) if hasattr(texts, "iter_rows") else texts
    labels = tasks.labels if isinstance(tasks.labels, dict) else {"": tasks.labels}
    choice = choose_preset(texts, max(len(vocabulary) for vocabulary in labels.values()))
    say(f"restext: auto: {choice.describe()}")
    overrides = {**choice.overrides, **config.model.overrides}
    return config.replace(preset=choice.preset, model_overrides=overrides), choice


def read_and_check(tasks, config: TrainConfig, strategy: tf.distribute.Strategy, say):
    """What comes before the run folder: the output folders and the settings checked, the data read
    (bad data fails here) and "auto" resolved. Returns `(config, the auto choice or None, the
    preset's tokenizer, not adapted)`."""
    check_output_folders(config, strategy)  # a folder that cannot be written fails now, not after training
    # Before the data is read: bad settings, a trunk that cannot read the tokenizer's ids (with
    # "auto", as the default preset, which its other choice shares its recipe and tokenizer with).
    as_checked = config if config.model.preset != AUTO else config.replace(preset=DEFAULT_PRESET)
    tokenizer = check_model_reads_tokenizer(as_checked)
    tasks.read(config, say)
    config, choice = resolve_auto_preset(config, tasks, say)
    if choice is not None:  # the chosen preset's tokenizer, checked against its trunk
        tokenizer = check_model_reads_tokenizer(config)
    return config, choice, tokenizer


def classifier_builder(tasks, config: TrainConfig, tokenizer, training: dict, strategy: tf.distribute.Strategy):
    """`build(overrides, total_steps, preprocessed=False)`: the preset's task model (with model
    `overrides`), compiled with its recipe over `total_steps` steps, the peak learning rate scaled
    with the replicas; called under `strategy.scope()`. `preprocessed`: with the preprocessor
    (tokenizer and class names), so that the trained classifier also takes raw strings."""
    runtime = config.runtime

    def build(overrides: dict, total_steps: int, *, preprocessed: bool = False) -> ResTextClassifier:
        model_config = resolve_model_config(config.model.preset, **{**config.model.overrides, **overrides})
        with training_dtype_policy(training):
            model = ResTextClassifier.from_model_config(
                model_config, tokenizer.vocabulary_size(), **tasks.heads(), recipe=training, compile=False
            )
        model.compile(
            schedule_steps=total_steps,
            learning_rate=scaled_learning_rate(training["learning_rate"], strategy),
            loss_weights=tasks.loss_weights(),
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

    return build


def training_pipelines(
    tasks, config: TrainConfig, tokenizer, global_batch: int, shuffle_epoch: ShuffleEpoch, sharded_train: bool = False
) -> dict:
    """What `fit` consumes, split → token-id batches (static shapes for TPU/XLA); each epoch's
    order a function of (seed, epoch), so that resumes are exact. `sharded_train`: the training
    data is this worker's files already (`shard_training_files`)."""
    runtime = config.runtime
    return {
        split: with_shard_policy(tasks.pipeline(
            split, tokenizer, batch_size=global_batch, shuffle=split == "train", seed=config.schedule.seed,
            epoch=shuffle_epoch.epoch, bucket=runtime.bucket and not runtime.static_shapes,
            static_shapes=runtime.static_shapes, cache=runtime.cache,
        ), sharded_here=sharded_train and split == "train")
        for split in ("train", "validation")
        if tasks.splits[split] is not None
    }  # fmt: skip


def evaluate_splits(tasks, result: TrainResult, monitor: str | None, say) -> None:
    """Fills `result.metrics` with each split's metrics, evaluated as the export will serve: raw
    texts through the serving model."""
    kept = "best" if monitor else "last"  # without validation data the last epoch's weights are kept
    predictor = Predictor(result.serving_model, tasks.label_names(), path=result.output_dir, kind="keras")
    for split in ("validation", "test"):
        if tasks.splits[split] is not None:
            result.metrics[split], reports = tasks.evaluate(predictor.predict, split)
            for title, report in reports:
                say(format_report(report, title=f"restext: {split} {title} ({kept} epoch {result.best_epoch})"))


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
    config, choice, tokenizer = read_and_check(tasks, config, strategy, say)
    resolved = config.resolved()
    training = resolved["training"]
    fingerprint = with_data_contents(tasks.fingerprint(config, resolved))  # the data's bytes too
    with start_run(config, fingerprint, strategy) as (output_dir, initial_epoch, held):
        tokenizer.adapt(tasks.training_texts())
        config, vectors = prepare_embeddings(config, resolved, tokenizer, say)  # --embeddings: embedding_dim from the file
        say(tasks.summary(tokenizer, config.model.preset))
        # batch_size is per replica: every replica sees the same batch as on one device.
        global_batch = training["batch_size"] * strategy.num_replicas_in_sync
        shuffle_epoch = ShuffleEpoch()
        sharded = shard_training_files(tasks, strategy)  # several files, several workers: each its own
        pipelines = training_pipelines(tasks, config, tokenizer, global_batch, shuffle_epoch, sharded)
        steps_per_epoch = max(1, -(-tasks.training_size() // global_batch))
        build = classifier_builder(tasks, config, tokenizer, training, strategy)
        with strategy.scope():
            classifier = build({}, steps_per_epoch * training["epochs"], preprocessed=True)
            apply_embeddings(classifier, vectors, config.model.embeddings_trainable)

        if not record_run(output_dir, fingerprint, initial_epoch, say, held) and config.schedule.progressive:
            # Grow and train the first S - 1 stages (a resumed run's backup already has them).
            pretrain_stages(
                classifier, build=build, train_data=pipelines["train"], validation_data=pipelines.get("validation"),
                model_config=resolved["model"], epochs=training["epochs"], steps_per_epoch=steps_per_epoch,
                freeze=config.schedule.freeze_grown, vectors=vectors, embeddings_trainable=config.model.embeddings_trainable,
                strategy=strategy, verbose=config.runtime.verbose, log=say,
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
        evaluate_splits(tasks, result, monitor, say)
        facts = run_facts(config, training, strategy, epochs_run=result.epochs_run, best_epoch=best,
                          wall_time=result.wall_time, choice=choice)  # fmt: skip
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


__all__ = ["TrainResult", "run_training", "train"]
