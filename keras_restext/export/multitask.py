"""`write_multitask_export`: the export version of a multi-task serving model.

Like `write_export`, one atomically written version folder `base_dir/<version>/`, holding:

    saved_model.pb, variables/   `serving_default`: `text` → `<task>_probabilities`, `<task>_label_id`,
                                 `<task>_label` for every task
    model.keras                  the same model, for Keras
    tasks.json                   {"tasks": {task: [class names in output order]}}
    labels_<task>.txt            each task's class names, one a line
    metrics.json                 split → task → metrics, and the history and facts of the run
    model_card.md                tasks, data, model, metrics per task, how to call it
    training_curves.png          loss and the mean task accuracy per epoch
    confusion_matrix_<task>.png  one per task (test data, else validation)
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping

import keras

from keras_restext.export.artifacts import (
    CURVES_FILE,
    _metrics_table,
    _per_class_table,
    card_run_sections,
    plot_confusion_matrix,
    plot_training_curves,
    write_json,
    write_labels,
    write_version_atomically,
)
from keras_restext.export.exporter import plotted_split, write_model_and_record, write_model_card
from keras_restext.export.loading import TASKS_FILE
from keras_restext.export.serving import output_names, serving_tasks
from keras_restext.models import count_params

MEAN_ACCURACY = "mean_task_accuracy"


def write_multitask_export(
    base_dir: str,
    serving_model: keras.Model,
    *,
    metrics: Mapping[str, Mapping[str, Mapping]] | None = None,
    history: Mapping[str, list] | None = None,
    data: Mapping[str, object] | None = None,
    preset: str | None = None,
    config: Mapping[str, object] | None = None,
    training: Mapping[str, object] | None = None,
) -> str:
    """Writes the next version `base_dir/<version>/` of a multi-task serving model, atomically.

    Args:
        base_dir: the export folder, e.g. `savedmodels/mr_trec`.
        serving_model: a multi-task model from `build_serving_model` (labels given as a dict).
        metrics: split → task → `classification_report` dict.
        history: metric name → one value per epoch.
        data: task → what it was trained on (for the model card).
        preset, config, training: for the model card and `metrics.json`.

    Returns:
        The path of the new version folder.
    """
    tasks = serving_tasks(serving_model)
    if tasks is None:
        raise ValueError("`serving_model` is a single-task model: export it with `write_export`.")
    name = os.path.basename(os.path.normpath(base_dir))
    metrics = {split: dict(reports) for split, reports in (metrics or {}).items()}

    def write(folder: str, version: int) -> None:
        write_model_and_record(
            folder, serving_model,
            metrics=metrics, history=history, data=data, preset=preset, config=config, training=training,
        )
        write_json(os.path.join(folder, TASKS_FILE), {"tasks": tasks})
        for task, labels in tasks.items():
            write_labels(os.path.join(folder, f"labels_{task}.txt"), labels)
        if history:
            curves = {"epoch": history.get("epoch", [])}
            for key in ("loss", "val_loss"):
                if key in history:
                    curves[key] = history[key]
            for prefix in ("", "val_"):  # the mean task accuracy, drawn as "accuracy"
                if f"{prefix}{MEAN_ACCURACY}" in history:
                    curves[f"{prefix}accuracy"] = history[f"{prefix}{MEAN_ACCURACY}"]
            plot_training_curves(os.path.join(folder, CURVES_FILE), curves)
        split = plotted_split(metrics)
        if split:
            for task, report in metrics[split].items():
                plot_confusion_matrix(
                    os.path.join(folder, f"confusion_matrix_{task}.png"),
                    report["confusion_matrix"],
                    report["labels"],
                    title=f"{name}: {task}, {split}",
                )
        card = multitask_model_card(
            name=name,
            version=version,
            tasks=tasks,
            metrics=metrics,
            data=data,
            preset=preset,
            config=config,
            parameters=count_params(serving_model),
            training=training,
        )
        write_model_card(folder, card)

    return write_version_atomically(base_dir, write)


def multitask_model_card(
    *,
    name: str,
    version: int | str,
    tasks: Mapping[str, list[str]],
    metrics: Mapping[str, Mapping[str, Mapping]] | None = None,
    data: Mapping[str, object] | None = None,
    preset: str | None = None,
    config: Mapping[str, object] | None = None,
    parameters: int | None = None,
    training: Mapping[str, object] | None = None,
) -> str:
    """The Markdown model card of a multi-task export."""
    today = datetime.date.today().isoformat()
    lines = [f"# {name} (version {version})", "", f"A keras_restext multi-task text classifier, exported on {today}.", ""]
    lines += ["## Tasks", "", "| task | classes | outputs |", "|---|---|---|"]
    for task, labels in tasks.items():
        outputs = ", ".join(f"`{o}`" for o in output_names(task))
        lines.append(f"| {task} | {', '.join(f'`{label}`' for label in labels)} | {outputs} |")
    lines.append("")
    lines += card_run_sections(
        data=data,
        preset=f"`{preset}`, one shared trunk, one head per task" if preset else None,
        parameters=parameters,
        config=config,
        training=training,
    )
    if metrics:
        lines += ["## Metrics", ""]
        for task in tasks:
            per_split = {split: reports[task] for split, reports in metrics.items() if task in reports}
            if per_split:
                lines += [f"### {task}", ""] + _metrics_table(per_split) + [""]
                for split, report in per_split.items():
                    lines += [f"Per class ({split}):", ""] + _per_class_table(report) + [""]
        lines += [f"![training curves]({CURVES_FILE})", ""]
    first = next(iter(tasks))
    lines += [
        "## How to call it",
        "",
        "The `serving_default` signature takes raw texts, a 1-D `tf.string` tensor `text`, and returns for",
        "every task `<task>_probabilities` (float32 `[batch, classes]`, in the order of `labels_<task>.txt`),",
        "`<task>_label_id` (int64) and `<task>_label` (string). With only TensorFlow installed:",
        "",
        "```python",
        "import tensorflow as tf",
        "",
        f'model = tf.saved_model.load("savedmodels/{name}/{version}")',
        'outputs = model.signatures["serving_default"](text=tf.constant(["some text to classify"]))',
        f'print(outputs["{first}_label"].numpy(), outputs["{first}_probabilities"].numpy())',
        "```",
        "",
        f'`restext predict --model savedmodels/{name} "some text to classify"` prints each task\'s label.',
        "",
    ]
    return "\n".join(lines)


__all__ = ["multitask_model_card", "write_multitask_export"]
