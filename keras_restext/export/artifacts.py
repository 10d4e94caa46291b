"""What is written beside an exported SavedModel: labels, metrics, a model card and plots.

An export version folder (TF Serving's layout, `savedmodels/NAME/<version>/`) holds:

    saved_model.pb, variables/, assets/   the serving SavedModel (raw strings in)
    model.keras                           the same model, trainable, for Keras
    labels.txt                            class names, one a line, in output order
    metrics.json                          validation/test metrics and the training history
    model_card.md                         data, preset, parameters, metrics, how to call it
    training_curves.png, confusion_matrix.png
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
import shutil
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from keras_restext.files import process_alive, write_bytes_atomically

LABELS_FILE = "labels.txt"
METRICS_FILE = "metrics.json"
MODEL_CARD_FILE = "model_card.md"
KERAS_FILE = "model.keras"
CURVES_FILE = "training_curves.png"
CONFUSION_FILE = "confusion_matrix.png"

_VERSION = re.compile(r"^\d+$")
_TEMPORARY = re.compile(r"^\.tmp-\d+-(\d+)$")  # `.tmp-<version>-<pid>`, a version being written


class ExportError(OSError):
    """An export that could not be written (a read-only or full disk, a file where the folder
    should be, ...); the message names the path. Nothing of a half-written version is left."""


def list_versions(base_dir: str) -> list[int]:
    """The integer version folders under `base_dir`, ascending (temporary folders ignored)."""
    if not os.path.isdir(base_dir):
        return []
    names = [n for n in os.listdir(base_dir) if _VERSION.match(n) and os.path.isdir(os.path.join(base_dir, n))]
    return sorted(int(n) for n in names)


def next_version(base_dir: str) -> int:
    """One more than the highest version under `base_dir`, 1 for a new model.

    Example:
    >>> next_version("/nonexistent/savedmodels/sst2")
    1
    """
    versions = list_versions(base_dir)
    return versions[-1] + 1 if versions else 1


def write_version_atomically(base_dir: str, write: Callable[[str, int], None]) -> str:
    """Writes a new version folder under `base_dir` so that it appears complete or not at all.

    `write(folder, version)` fills a temporary folder `base_dir/.tmp-<version>-<pid>`, which is then renamed
    to `base_dir/<version>`. A crash leaves only the hidden temporary folder (which TF Serving
    ignores); if another process took the version meanwhile, the next free one is used.

    Args:
        base_dir: the model's folder, e.g. `savedmodels/sst2`; created if missing.
        write: a function that writes every file of the version into the folder it is given
            (the version number is passed for reference, e.g. in a model card).

    Returns:
        The path of the new version folder.
    """
    if os.path.exists(base_dir) and not os.path.isdir(base_dir):
        raise ExportError(f"cannot export to {base_dir}: it is a file, not a folder")
    try:
        os.makedirs(base_dir, exist_ok=True)
    except OSError as error:
        raise ExportError(f"cannot export to {base_dir}: {error.strerror or error}") from error
    remove_dead_exports(base_dir)
    version = next_version(base_dir)
    tmp = os.path.join(base_dir, f".tmp-{version}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        os.makedirs(tmp)
        write(tmp, version)
        for _ in range(100):
            target = os.path.join(base_dir, str(version))
            try:
                os.rename(tmp, target)  # atomic on one file system; fails if the target exists
                return target
            except OSError:
                if not os.path.exists(target):
                    raise
                version = max(version + 1, next_version(base_dir))
        raise ExportError(f"cannot export to {base_dir}: no free version folder")
    except OSError as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(error, ExportError):
            raise
        raise ExportError(f"cannot export to {base_dir}: {error.strerror or error}") from error
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_dead_exports(base_dir: str) -> list[str]:
    """Removes the temporary folders (`.tmp-<version>-<pid>`) of exports whose process is gone
    (killed mid-export); returns their paths. Those of live processes are left alone."""
    removed = []
    for name in os.listdir(base_dir):
        match = _TEMPORARY.match(name)
        if match and not process_alive(int(match.group(1))):
            shutil.rmtree(os.path.join(base_dir, name), ignore_errors=True)
            removed.append(os.path.join(base_dir, name))
    return removed


def write_labels(path: str, labels: Sequence[str]) -> None:
    """Writes class names, one a line (the output order of `probabilities`)."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(f"{name}\n" for name in labels)


def read_labels(path: str) -> list[str]:
    """Reads a `labels.txt` written by `write_labels`."""
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.rstrip("\n")]


def _json_ready(value):
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf
    return value


def write_json(path: str, payload: Mapping) -> None:
    """Writes a dict as indented JSON (numpy scalars converted, NaN written as null), whole or not at all."""
    write_bytes_atomically(path, (json.dumps(_json_ready(payload), indent=2) + "\n").encode("utf-8"))


def _figure(width: float, height: float):
    # A bare Figure on the Agg canvas: no pyplot global state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def plot_training_curves(
    path: str,
    history: Mapping[str, Sequence[float]],
    *,
    tasks: Sequence[str] | None = None,
    kept_epoch: int | None = None,
) -> None:
    """Draws loss and accuracy per epoch (training and validation) into a PNG.

    Args:
        path: the PNG to write.
        history: metric name → one value per epoch, e.g. `{"loss": [...], "val_loss": [...]}`;
            an `epoch` column (0-based) gives the x axis.
        tasks: for a model of several tasks, the tasks whose `<task>_accuracy` (and
            `val_<task>_accuracy`) to draw, one line each, in the accuracy panel.
        kept_epoch: the 1-based epoch whose weights the model keeps (the best one with validation
            data, else the last), marked on every panel.
    """
    training_curves_figure(history, tasks=tasks, kept_epoch=kept_epoch).savefig(path)


def training_curves_figure(
    history: Mapping[str, Sequence[float]], *, tasks: Sequence[str] | None = None, kept_epoch: int | None = None
):
    """The matplotlib `Figure` that `plot_training_curves` saves (same arguments)."""
    from matplotlib.ticker import MaxNLocator

    figure = _figure(10, 4)
    accuracies = [f"{task}_accuracy" for task in tasks] if tasks else ["accuracy"]
    panels = {"loss": ["loss"], "accuracy": [name for name in accuracies if name in history or f"val_{name}" in history]}
    panels = {title: names for title, names in panels.items() if title == "loss" or names}
    count = next((len(v) for k, v in history.items() if k != "epoch"), 0)
    epochs = [int(e) + 1 for e in history.get("epoch", range(count))]
    for i, (title, names) in enumerate(panels.items(), 1):
        axes = figure.add_subplot(1, len(panels), i)
        for name in names:
            prefix = f"{name.removesuffix('_accuracy')}: " if tasks and title == "accuracy" else ""
            for key, label in ((name, "training"), (f"val_{name}", "validation")):
                if key in history and len(history[key]):
                    axes.plot(epochs, history[key], marker="o", label=prefix + label)
        if kept_epoch is not None:
            axes.axvline(kept_epoch, color="gray", linestyle="--", label=f"kept: epoch {kept_epoch}")
        axes.set_xlabel("epoch")
        if 0 < len(epochs) <= 12:  # one tick per epoch (MaxNLocator puts fractions on a single epoch)
            axes.set_xticks(epochs)
            axes.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
        else:
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(title)
        axes.grid(alpha=0.3)
        if axes.lines:
            axes.legend()
    figure.tight_layout()
    return figure


def plot_confusion_matrix(
    path: str, matrix: Sequence[Sequence[int]], labels: Sequence[str], *, title: str = ""
) -> None:
    """Draws a confusion matrix (rows: true class, columns: predicted class) with counts into a PNG."""
    matrix = np.asarray(matrix, dtype=np.int64)
    size = min(max(4.0, 0.5 * len(labels) + 2.5), 20.0)
    figure = _figure(size + 1, size)
    axes = figure.add_subplot(1, 1, 1)
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    ticks = np.arange(len(labels))
    axes.set_xticks(ticks, labels=list(labels), rotation=90 if len(labels) > 6 else 0)
    axes.set_yticks(ticks, labels=list(labels))
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title or "confusion matrix")
    if len(labels) <= 30:
        threshold = matrix.max() / 2 if matrix.size else 0
        for (row, col), count in np.ndenumerate(matrix):
            axes.text(col, row, str(count), ha="center", va="center", fontsize=8,
                      color="white" if count > threshold else "black")
    figure.tight_layout()
    figure.savefig(path)


def _metrics_table(metrics: Mapping[str, Mapping]) -> list[str]:
    lines = ["| split | examples | accuracy | macro-F1 |", "|---|---:|---:|---:|"]
    for split, report in metrics.items():
        lines.append(f"| {split} | {report['examples']} | {report['accuracy']:.4f} | {report['macro_f1']:.4f} |")
    return lines


def _per_class_table(report: Mapping) -> list[str]:
    lines = ["| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for name, row in report["per_class"].items():
        lines.append(f"| {name} | {row['precision']:.4f} | {row['recall']:.4f} | {row['f1']:.4f} | {row['support']} |")
    return lines


def _card_value(value) -> str:
    """A config value as the card shows it; sequences as tuples, as the presets write them, so that
    a re-export (whose config went through JSON, which has only lists) reads the same.

    Example:
    >>> _card_value([32, [64, 128]]), _card_value((3, 5)), _card_value("word")
    ('(32, (64, 128))', '(3, 5)', "'word'")
    """
    def as_tuples(v):
        return tuple(as_tuples(item) for item in v) if isinstance(v, (list, tuple)) else v

    return repr(as_tuples(value))


def card_run_sections(
    *,
    data: Mapping[str, object] | None,
    preset: str | None,
    parameters: int | None,
    config: Mapping[str, object] | None,
    training: Mapping[str, object] | None,
) -> list[str]:
    """The "Data", "Model" and "Training" sections of a model card, as Markdown lines."""
    lines = []
    if data:
        lines += ["## Data", ""] + [f"- {k}: {v}" for k, v in data.items()] + [""]
    lines += ["## Model", ""]
    if preset:
        lines.append(f"- preset: {preset}")
    if parameters is not None:
        lines.append(f"- parameters: {parameters:,}")
    for part, values in (config or {}).items():
        if isinstance(values, Mapping):
            shown = ", ".join(f"{k}={_card_value(v)}" for k, v in values.items() if k != "vocabulary")
            lines.append(f"- {part}: {shown}")
        else:
            lines.append(f"- {part}: {_card_value(values)}")
    if training:
        lines += ["", "## Training", ""] + [f"- {k}: {v}" for k, v in training.items()]
    lines.append("")
    return lines


def model_card(
    *,
    name: str,
    version: int | str,
    labels: Sequence[str] | Mapping[str, Sequence[str]],
    metrics: Mapping[str, Mapping] | None = None,
    data: Mapping[str, object] | None = None,
    preset: str | None = None,
    config: Mapping[str, object] | None = None,
    parameters: int | None = None,
    training: Mapping[str, object] | None = None,
) -> str:
    """The Markdown model card of one export, of one task or several.

    Args:
        name: the model's name (the export folder's name, e.g. "sst2").
        version: the export version.
        labels: class names in output order; for several tasks a dict task → class names.
        metrics: split name → a `classification_report` dict (e.g. "validation", "test"); for
            several tasks split → task → report.
        data: what it was trained on, e.g. `{"train": "sst2/train.tsv (6920 rows)"}`.
        preset: the preset name.
        config: the resolved tokenizer/model/training configuration.
        parameters: the number of weights.
        training: facts of the run: epochs run, best epoch, wall time, ...

    Returns:
        The card's Markdown text.
    """
    today = datetime.date.today().isoformat()
    tasks = dict(labels) if isinstance(labels, Mapping) else None
    tokenizer = (config or {}).get("tokenizer") or {}
    if tokenizer.get("kind") == "wordpiece":  # its ops come with tensorflow_text
        python_intro = ["Python, with TensorFlow and TensorFlow Text installed:"]
        python_imports = ["import tensorflow_text  # registers the WordPiece ops"]
    else:
        python_intro, python_imports = ["Python, with only TensorFlow installed:"], []
    kind = "multi-task text classifier" if tasks else "text classifier"
    lines = [f"# {name} (version {version})", "", f"A keras_restext {kind}, exported on {today}.", ""]
    if tasks:
        lines += ["## Tasks", "", "| task | classes | outputs |", "|---|---|---|"]
        for task, names in tasks.items():
            outputs = ", ".join(f"`{task}_{output}`" for output in ("probabilities", "label_id", "label"))
            lines.append(f"| {task} | {', '.join(f'`{label}`' for label in names)} | {outputs} |")
        lines.append("")
    else:
        lines += ["## Classes", "", ", ".join(f"`{label}`" for label in labels), ""]
    shown_preset = None if not preset else f"`{preset}`, one shared trunk, one head per task" if tasks else f"`{preset}`"
    lines += card_run_sections(data=data, preset=shown_preset, parameters=parameters, config=config, training=training)
    if not metrics:
        lines += ["## Metrics", "", "No evaluation was recorded for this version (no validation or test data).", ""]
    else:
        lines += ["## Metrics", ""]
        for task, title, confusion in _metric_groups(tasks):
            per_split = {split: reports[task] if task else reports for split, reports in metrics.items()
                         if not task or task in reports}  # fmt: skip
            if not per_split:
                continue
            lines += ([f"### {title}", ""] if title else []) + _metrics_table(per_split) + [""]
            for split, report in per_split.items():
                lines += [f"Per class ({split}):", ""] + _per_class_table(report) + [""]
            lines += [f"![confusion matrix]({confusion})", ""]
        lines += [f"![training curves]({CURVES_FILE})", ""]
    first = f"{next(iter(tasks))}_" if tasks else ""
    labels_file = "`labels_<task>.txt`" if tasks else "`labels.txt`"
    outputs = (
        "for every task `<task>_probabilities` (float32 `[batch, classes]`, in the order of",
        f"{labels_file}), `<task>_label_id` (int64) and `<task>_label` (string).",
    ) if tasks else (
        "`probabilities` (float32 `[batch, classes]`, in the order of `labels.txt`), `label_id` (int64)",
        "and `label` (string).",
    )  # fmt: skip
    lines += [
        "## How to call it",
        "",
        "The `serving_default` signature takes raw texts, a 1-D `tf.string` tensor `text` (any batch",
        "size; longer texts are truncated to the model's maximum length), and returns",
        *outputs,
        "",
        *python_intro,
        "",
        "```python",
        "import tensorflow as tf",
        *python_imports,
        "",
        f'model = tf.saved_model.load("savedmodels/{name}/{version}")',
        'outputs = model.signatures["serving_default"](text=tf.constant(["some text to classify"]))',
        f'print(outputs["{first}label"].numpy(), outputs["{first}probabilities"].numpy())',
        "```",
        "",
        "The command line:",
        "",
        "```sh",
        f'restext predict --model savedmodels/{name} "some text to classify"',
        f"saved_model_cli show --dir savedmodels/{name}/{version} --all",
        f"saved_model_cli run --dir savedmodels/{name}/{version} --tag_set serve --signature_def serving_default \\",
        "  --input_exprs 'text=[\"some text to classify\"]'",
        "```",
        "",
        "TF Serving (REST), with `--model_base_path` pointing at the absolute path of",
        f"`savedmodels/{name}`:",
        "",
        "```sh",
        f"curl -d '{{\"instances\": [\"some text to classify\"]}}' http://localhost:8501/v1/models/{name}:predict",
        "```",
        "",
        "Keras: `keras.saving.load_model(\"model.keras\", safe_mode=True)` after `import keras_restext.export`",
        "takes the same raw strings; its token-id classifier, to fine-tune on a `tf.data` pipeline, is",
        "`model.get_layer(\"resnet_classifier\")`.",
        "",
    ]
    return "\n".join(lines)


def confusion_file(task: str | None = None) -> str:
    """The confusion matrix plot of a task (`confusion_matrix_<task>.png`), or of the only one."""
    return CONFUSION_FILE if task is None else f"confusion_matrix_{task}.png"


def task_labels_file(task: str | None = None) -> str:
    """The class names file of a task (`labels_<task>.txt`), or of the only one (`labels.txt`)."""
    return LABELS_FILE if task is None else f"labels_{task}.txt"


def _metric_groups(tasks: Mapping[str, Sequence[str]] | None) -> list[tuple[str | None, str | None, str]]:
    """`(task, section title, confusion plot)` for each task; one untitled group for one task."""
    if not tasks:
        return [(None, None, confusion_file())]
    return [(task, task, confusion_file(task)) for task in tasks]


__all__ = [
    "CONFUSION_FILE",
    "ExportError",
    "remove_dead_exports",
    "confusion_file",
    "task_labels_file",
    "CURVES_FILE",
    "KERAS_FILE",
    "LABELS_FILE",
    "METRICS_FILE",
    "MODEL_CARD_FILE",
    "list_versions",
    "model_card",
    "next_version",
    "plot_confusion_matrix",
    "plot_training_curves",
    "read_labels",
    "write_json",
    "write_labels",
    "write_version_atomically",
]
