"""The files of an export version beside its SavedModel: their names, the class names and JSON.

An export version folder (TF Serving's layout, `savedmodels/NAME/<version>/`, see
`keras_restext.export.versions`) holds:

    saved_model.pb, variables/, assets/   the serving SavedModel (raw strings in)
    model.keras                           the same model, trainable, for Keras
    labels.txt                            class names, one a line, in output order
    metrics.json                          validation/test metrics and the training history
    model_card.md                         data, preset, parameters, metrics, how to call it
    training_curves.png, confusion_matrix.png

The plots are drawn by `keras_restext.export.plots`, the card by `keras_restext.export.card`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence

import numpy as np

from keras_restext.data.labels import LABELS_FILE, write_labels
from keras_restext.errors import DataError
from keras_restext.files import write_bytes_atomically

METRICS_FILE = "metrics.json"
MODEL_CARD_FILE = "model_card.md"
KERAS_FILE = "model.keras"
CURVES_FILE = "training_curves.png"
CONFUSION_FILE = "confusion_matrix.png"
_NAMES = "one class name a line in UTF-8, as restext wrote it"


def confusion_file(task: str | None = None) -> str:
    """The confusion matrix plot of a task (`confusion_matrix_<task>.png`), or of the only one."""
    return CONFUSION_FILE if task is None else f"confusion_matrix_{task}.png"


def task_labels_file(task: str | None = None) -> str:
    """The class names file of a task (`labels_<task>.txt`), or of the only one (`labels.txt`)."""
    return LABELS_FILE if task is None else f"labels_{task}.txt"


def write_label_files(folder: str, labels: Sequence[str] | Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Writes the class names of a model into `folder`: `labels.txt`, or for several tasks (a dict
    task → class names) `labels_<task>.txt` for every task.

    Returns:
        File name → path of every file written.
    """
    by_task = labels if isinstance(labels, Mapping) else {None: labels}
    written = {}
    for task, names in by_task.items():
        written[task_labels_file(task)] = path = os.path.join(folder, task_labels_file(task))
        write_labels(path, names)
    return written


def read_labels(path: str) -> list[str]:
    """Reads a `labels.txt` written by `write_labels` (`keras_restext.data.labels`): the class
    names, one a line (any line ending), blank lines skipped.

    Raises:
        DataError: a line that is not UTF-8, or no name at all; naming the file (and the line).
    """
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError("a line that is not valid UTF-8", path=path, line=line, expected=_NAMES) from None
    names = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line]
    if not names:
        raise DataError("no class names", path=path, expected=_NAMES)
    return names


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


__all__ = [
    "CONFUSION_FILE",
    "CURVES_FILE",
    "KERAS_FILE",
    "LABELS_FILE",
    "METRICS_FILE",
    "MODEL_CARD_FILE",
    "confusion_file",
    "read_labels",
    "task_labels_file",
    "write_json",
    "write_label_files",
]
