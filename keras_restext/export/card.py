"""The model card (`model_card.md`) of an export version: what the model is, what it was trained on,
how well it does, and how to call it."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from keras_restext.export.artifacts import CURVES_FILE, confusion_file


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
    class_features: Mapping[str, Sequence[tuple[str, float]]] | None = None,
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
        class_features: class → the words and n-grams that push hardest towards it, with their
            push (`keras_restext.export.class_features`); None: no such section.

    Returns:
        The card's Markdown text.
    """
    tasks = dict(labels) if isinstance(labels, Mapping) else None
    lines = _card_title(name, version, labels, tasks)
    shown_preset = None if not preset else f"`{preset}`, one shared trunk, one head per task" if tasks else f"`{preset}`"
    lines += card_run_sections(data=data, preset=shown_preset, parameters=parameters, config=config, training=training)
    lines += _metrics_section(metrics, tasks)
    lines += _class_features_section(class_features)
    lines += _how_to_call(name, version, tasks, config)
    return "\n".join(lines)


def _card_title(
    name: str, version: int | str, labels: Sequence[str], tasks: Mapping[str, Sequence[str]] | None
) -> list[str]:
    """The title, the export date and the classes (a table of tasks for several)."""
    today = datetime.date.today().isoformat()
    kind = "multi-task text classifier" if tasks else "text classifier"
    lines = [f"# {name} (version {version})", "", f"A keras_restext {kind}, exported on {today}.", ""]
    if not tasks:
        return lines + ["## Classes", "", ", ".join(f"`{label}`" for label in labels), ""]
    lines += ["## Tasks", "", "| task | classes | outputs |", "|---|---|---|"]
    for task, names in tasks.items():
        outputs = ", ".join(f"`{task}_{output}`" for output in ("probabilities", "label_id", "label"))
        lines.append(f"| {task} | {', '.join(f'`{label}`' for label in names)} | {outputs} |")
    return lines + [""]


def _metric_groups(tasks: Mapping[str, Sequence[str]] | None) -> list[tuple[str | None, str | None, str]]:
    """`(task, section title, confusion plot)` for each task; one untitled group for one task."""
    if not tasks:
        return [(None, None, confusion_file())]
    return [(task, task, confusion_file(task)) for task in tasks]


def _metrics_section(metrics: Mapping[str, Mapping] | None, tasks: Mapping[str, Sequence[str]] | None) -> list[str]:
    """The "Metrics" section: a table of the splits and one of the classes per split, for each task."""
    if not metrics:
        return ["## Metrics", "", "No evaluation was recorded for this version (no validation or test data).", ""]
    lines = ["## Metrics", ""]
    for task, title, confusion in _metric_groups(tasks):
        per_split = {split: reports[task] if task else reports for split, reports in metrics.items()
                     if not task or task in reports}  # fmt: skip
        if not per_split:
            continue
        lines += ([f"### {title}", ""] if title else []) + _metrics_table(per_split) + [""]
        for split, report in per_split.items():
            lines += [f"Per class ({split}):", ""] + _per_class_table(report) + [""]
        lines += [f"![confusion matrix]({confusion})", ""]
    return lines + [f"![training curves]({CURVES_FILE})", ""]


CARD_MAX_CLASSES = 50  # past it, the card shows the first classes' features only


def _class_features_section(features: Mapping[str, Sequence[tuple[str, float]]] | None) -> list[str]:
    """"What pushes towards each class": one short table per class, from the wide branch.

    Example:
    >>> print("\\n".join(_class_features_section({"pos": [("fine", 1.25)]})[4:]))
    ### pos
    <BLANKLINE>
    | word or n-gram | push |
    |---|---:|
    | fine | 1.250 |
    <BLANKLINE>
    """
    if not features:
        return []
    lines = [
        "## What pushes towards each class",
        "",
        "From the linear TF-IDF branch: a feature's weight for the class minus its mean over the classes, times its "
        "idf and the branch's scale (logit units). `restext explain` shows the words at work in one text.",
        "",
    ]
    for name, rows in list(features.items())[:CARD_MAX_CLASSES]:
        lines += [f"### {name}", "", "| word or n-gram | push |", "|---|---:|"]
        lines += [f"| {feature.replace('|', '&#124;')} | {push:.3f} |" for feature, push in rows] + [""]
    if len(features) > CARD_MAX_CLASSES:
        lines += [f"(the first {CARD_MAX_CLASSES} of {len(features)} classes)", ""]
    return lines


def _signature_outputs(tasks: Mapping[str, Sequence[str]] | None) -> tuple[str, str]:
    """Two lines of the card that name the signature's outputs."""
    if tasks:
        return (
            "for every task `<task>_probabilities` (float32 `[batch, classes]`, in the order of",
            "`labels_<task>.txt`), `<task>_label_id` (int64) and `<task>_label` (string).",
        )
    return (
        "`probabilities` (float32 `[batch, classes]`, in the order of `labels.txt`), `label_id` (int64)",
        "and `label` (string).",
    )


def _how_to_call(
    name: str, version: int | str, tasks: Mapping[str, Sequence[str]] | None, config: Mapping[str, object] | None
) -> list[str]:
    """The "How to call it" section: the signature, Python, the command line, TF Serving and Keras."""
    if ((config or {}).get("tokenizer") or {}).get("kind") == "wordpiece":  # its ops come with tensorflow_text
        python_intro = ["Python, with TensorFlow and TensorFlow Text installed:"]
        python_imports = ["import tensorflow_text  # registers the WordPiece ops"]
    else:
        python_intro, python_imports = ["Python, with only TensorFlow installed:"], []
    first = f"{next(iter(tasks))}_" if tasks else ""
    return [
        "## How to call it",
        "",
        "The `serving_default` signature takes raw texts, a 1-D `tf.string` tensor `text` (any batch",
        "size; longer texts are truncated to the model's maximum length), and returns",
        *_signature_outputs(tasks),
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


__all__ = ["card_run_sections", "model_card"]
