"""`write_export`: one complete, atomically written export version of a serving model."""

from __future__ import annotations

import os
from collections.abc import Mapping

import keras
import tensorflow as tf

from keras_restext.export.artifacts import (
    CURVES_FILE,
    KERAS_FILE,
    METRICS_FILE,
    MODEL_CARD_FILE,
    confusion_file,
    write_json,
    write_label_files,
)
from keras_restext.export.card import model_card
from keras_restext.export.class_features import class_features
from keras_restext.export.integrity import read_json_file
from keras_restext.export.loading import TASKS_FILE, load_keras_model
from keras_restext.export.plots import plot_confusion_matrix, plot_training_curves
from keras_restext.serving import export_saved_model, serving_labels, serving_tasks
from keras_restext.export.versions import ExportError, write_version_atomically
from keras_restext.files import write_atomically


def write_export(
    base_dir: str,
    serving_model: keras.Model,
    *,
    metrics: Mapping[str, Mapping] | None = None,
    history: Mapping[str, list] | None = None,
    data: Mapping[str, object] | None = None,
    preset: str | None = None,
    config: Mapping[str, object] | None = None,
    training: Mapping[str, object] | None = None,
) -> str:
    """Writes the next version `base_dir/<version>/` of a serving model, atomically.

    The version holds the SavedModel (`serving_default`: `text` → `probabilities`, `label_id`,
    `label`; for several tasks those of each task, `<task>_probabilities`, ...), `model.keras`,
    the class names (`labels.txt`; for several tasks `tasks.json` and `labels_<task>.txt`),
    `metrics.json`, `model_card.md` and, when there are metrics and history,
    `training_curves.png` and one confusion matrix per task (`confusion_matrix.png`, or
    `confusion_matrix_<task>.png`). `metrics.json` records the metrics of each split (top-level
    keys such as "validation" and "test") and, under "history", "training", "data", "preset" and
    "config", the rest of the card.

    Args:
        base_dir: the export folder, e.g. `savedmodels/sst2`.
        serving_model: a model from `build_serving_model` (raw strings in), of one task or several.
        metrics: split name → `classification_report` dict (several tasks: split → task → report);
            the confusion matrices show "test" when there is one, else "validation".
        history: metric name → one value per epoch, for the training curves.
        data: what the model was trained on (for the model card).
        preset: the preset name (for the model card).
        config: the resolved tokenizer/model/training configuration.
        training: facts of the run (epochs, best epoch, time, ...).

    Returns:
        The path of the new version folder.
    """
    tasks = serving_tasks(serving_model)
    labels = tasks if tasks is not None else serving_labels(serving_model)
    name = os.path.basename(os.path.normpath(base_dir))
    metrics = {split: dict(reports) for split, reports in (metrics or {}).items()}

    def write(folder: str, version: int) -> None:
        export_saved_model(serving_model, folder)
        write_record(
            folder, serving_model,
            metrics=metrics, history=history, data=data, preset=preset, config=config, training=training,
        )
        if tasks is not None:
            write_json(os.path.join(folder, TASKS_FILE), {"tasks": tasks})
        write_label_files(folder, labels)
        write_plots(folder, name, metrics=metrics, history=history, tasks=tasks, training=training)
        card = model_card(
            name=name,
            version=version,
            labels=labels,
            metrics=metrics,
            data=data,
            preset=preset,
            config=config,
            parameters=serving_model.count_params(),
            training=training,
            class_features=class_features(serving_model),
        )
        write_model_card(folder, card)

    try:
        return write_version_atomically(base_dir, write)
    except tf.errors.OpError as error:  # TensorFlow's own file errors (a full disk, ...)
        raise ExportError(f"cannot export to {base_dir}: {error.message}") from error


RECORD_KEYS = ("history", "training", "data", "preset", "config")


def write_record(
    folder: str,
    serving_model: keras.Model,
    *,
    metrics: Mapping[str, Mapping],
    history: Mapping[str, list] | None,
    data: Mapping[str, object] | None,
    preset: str | None,
    config: Mapping[str, object] | None,
    training: Mapping[str, object] | None,
) -> None:
    """`model.keras` and `metrics.json` (the metrics of each split and, under `RECORD_KEYS`,
    everything the card says, so that `reexport` can rebuild the card from it): what a run folder
    keeps of a finished run, and what an export version holds beside its SavedModel."""
    write_atomically(os.path.join(folder, KERAS_FILE), serving_model.save)  # a kill or a full disk leaves no half file
    record = {**metrics, "history": dict(history or {}), "training": dict(training or {})}
    record.update({"data": dict(data or {}), "preset": preset, "config": dict(config or {})})
    write_json(os.path.join(folder, METRICS_FILE), record)


def write_plots(
    folder: str,
    name: str,
    *,
    metrics: Mapping[str, Mapping],
    history: Mapping[str, list] | None,
    tasks: Mapping[str, list[str]] | None,
    training: Mapping[str, object] | None,
) -> None:
    """The training curves (with a history) and the confusion matrix of every task (with metrics)
    of an export version named `name`."""
    if history:
        plot_training_curves(
            os.path.join(folder, CURVES_FILE), history, tasks=None if tasks is None else list(tasks),
            kept_epoch=(training or {}).get("best epoch"),
        )
    split = plotted_split(metrics)
    if split:
        reports = {None: metrics[split]} if tasks is None else metrics[split]
        for task, report in reports.items():
            plot_confusion_matrix(
                os.path.join(folder, confusion_file(task)),
                report["confusion_matrix"],
                report["labels"],
                title=f"{name}: {split}" if task is None else f"{name}: {task}, {split}",
            )


def plotted_split(metrics: Mapping[str, object]) -> str | None:
    """The split whose confusion matrix an export draws: "test" when there is one, else "validation"."""
    return "test" if "test" in metrics else "validation" if "validation" in metrics else None


def write_model_card(folder: str, card: str) -> None:
    with open(os.path.join(folder, MODEL_CARD_FILE), "w", encoding="utf-8") as f:
        f.write(card)


def reexport(model_path: str, base_dir: str) -> str:
    """Exports a saved `model.keras` again as the next version under `base_dir`.

    When the `.keras` file lies in an export version folder, its `metrics.json` carries the
    metrics, history and model-card facts over to the new version.

    Args:
        model_path: a `.keras` file written by restext (the raw-string serving model, of one
            task or several).
        base_dir: the export folder.

    Returns:
        The path of the new version folder.
    """
    model = load_keras_model(model_path)
    if serving_tasks(model) is None:
        serving_labels(model)  # fails clearly for a model that is not a restext serving model
    record_path = os.path.join(os.path.dirname(os.path.abspath(model_path)), METRICS_FILE)
    record = read_json_file(record_path) if os.path.isfile(record_path) else {}
    metrics = {k: v for k, v in record.items() if k not in RECORD_KEYS and isinstance(v, dict)}
    return write_export(
        base_dir,
        model,
        metrics=metrics,
        history=record.get("history"),
        data={**record.get("data", {}), "re-exported from": model_path},
        preset=record.get("preset"),
        config=record.get("config"),
        training=record.get("training"),
    )


__all__ = ["reexport", "write_export", "write_record"]
