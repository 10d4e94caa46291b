"""Classification metrics: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix.

They are computed once, on the whole evaluation set, from integer class ids: TensorFlow's
`tf.math.confusion_matrix` counts, and the scores are exact ratios of those counts (0/0 counts as
0, scikit-learn's `zero_division=0`). `keras.metrics.F1Score`, `Precision` and `Recall` were not
used for the report: they add an epsilon to every ratio and accumulate in float32, so their scores
are close to these but not equal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Counts `[true class, predicted class]` pairs.

    Args:
        y_true: int array-like `[n]` of true class ids in `[0, num_classes)`.
        y_pred: int array-like `[n]` of predicted class ids in `[0, num_classes)`.
        num_classes: int, the number of classes K.

    Returns:
        An int64 array `[K, K]`: rows are true classes, columns predicted classes.

    Example:
    >>> confusion_matrix([0, 1, 1], [0, 1, 0], 2).tolist()
    [[1, 0], [1, 1]]
    """
    y_true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"`y_true` and `y_pred` must have the same length. Received: {y_true.shape[0]} and {y_pred.shape[0]}"
        )
    for name, ids in (("y_true", y_true), ("y_pred", y_pred)):
        if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
            raise ValueError(
                f"`{name}` must hold class ids in [0, {num_classes}). Received ids from {ids.min()} to {ids.max()}"
            )
    return tf.math.confusion_matrix(y_true, y_pred, num_classes=num_classes, dtype=tf.int64).numpy()


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # 0/0 counts as 0, the convention of scikit-learn's `zero_division=0`.
    return np.divide(numerator, denominator, out=np.zeros_like(numerator, dtype=np.float64), where=denominator > 0)


def classification_report(y_true, y_pred, labels: Sequence[str]) -> dict:
    """All metrics of one evaluation, as a JSON-ready dict.

    Args:
        y_true: int array-like `[n]` of true class ids.
        y_pred: int array-like `[n]` of predicted class ids.
        labels: the class names, in class-id order.

    Returns:
        A dict with `examples`, `accuracy`, `macro_f1` (the unweighted mean over classes of F1,
        classes absent from both `y_true` and `y_pred` included as 0), `per_class` (name →
        `precision`, `recall`, `f1`, `support`), `labels` and `confusion_matrix` (nested lists,
        rows = true classes).

    Example:
    >>> report = classification_report([0, 1, 1, 0], [0, 1, 0, 0], ["neg", "pos"])
    >>> report["accuracy"], round(report["macro_f1"], 4)
    (0.75, 0.7333)
    """
    labels = [str(name) for name in labels]
    matrix = confusion_matrix(y_true, y_pred, len(labels))
    true_positives = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    precision = _safe_divide(true_positives, predicted.astype(np.float64))
    recall = _safe_divide(true_positives, support.astype(np.float64))
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    total = int(matrix.sum())
    return {
        "examples": total,
        "accuracy": float(true_positives.sum() / total) if total else 0.0,
        "macro_f1": float(f1.mean()) if len(labels) else 0.0,
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(labels)
        },
        "labels": labels,
        "confusion_matrix": matrix.tolist(),
    }


def evaluate_texts(
    predict: Callable[[list[str]], np.ndarray | Mapping[str, np.ndarray]],
    texts: Sequence[str],
    labels: Sequence[str] | Mapping[str, Sequence[str]],
    names: Sequence[str] | Mapping[str, Sequence[str]],
) -> dict:
    """The `classification_report` of a model on labelled raw texts: what `train` reports on its
    validation and test data and `restext evaluate` prints.

    Args:
        predict: texts → probabilities `[n, classes]` (e.g. `Predictor.predict`); for several
            tasks texts → a dict task → probabilities.
        texts: the texts.
        labels: each text's class name; for several tasks a dict task → class names, "" where a
            text has no label for that task.
        names: the class names in output order (a dict task → names for several tasks).

    Returns:
        A report; for several tasks a dict task → report, over the texts labelled for the task
        (tasks without any are left out).

    Example:
    >>> evaluate_texts(lambda t: np.array([[0.9, 0.1]] * len(t)), ["a", "b"], ["neg", "pos"], ["neg", "pos"])["accuracy"]
    0.5
    """
    probabilities = predict(list(texts))
    if not isinstance(names, Mapping):
        index = {name: i for i, name in enumerate(names)}
        return classification_report([index[label] for label in labels], np.argmax(probabilities, -1), list(names))
    reports = {}
    for task, task_names in names.items():
        index = {name: i for i, name in enumerate(task_names)}
        keep = [i for i, label in enumerate(labels[task]) if label != ""]
        if keep:
            y_pred = np.argmax(probabilities[task], -1)[keep]
            reports[task] = classification_report([index[labels[task][i]] for i in keep], y_pred, list(task_names))
    return reports


def format_report(report: dict, *, title: str | None = None) -> str:
    """A plain-text table of a `classification_report` dict, for terminals and logs.

    Example:
    >>> print(format_report(classification_report([0, 1], [0, 1], ["neg", "pos"])).splitlines()[0])
    accuracy 1.0000   macro-F1 1.0000   examples 2
    """
    lines = [] if title is None else [title]
    lines.append(
        f"accuracy {report['accuracy']:.4f}   macro-F1 {report['macro_f1']:.4f}   examples {report['examples']}"
    )
    width = max([len("class")] + [len(name) for name in report["labels"]])
    lines.append(f"{'class':<{width}}  precision  recall      f1  support")
    for name, row in report["per_class"].items():
        lines.append(
            f"{name:<{width}}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:6.4f}  {row['support']:7d}"
        )
    lines.append("confusion matrix (rows: true, columns: predicted):")
    cell = max([len(str(v)) for row in report["confusion_matrix"] for v in row] + [1])
    for name, row in zip(report["labels"], report["confusion_matrix"]):
        lines.append(f"{name:<{width}}  " + " ".join(f"{v:>{cell}d}" for v in row))
    return "\n".join(lines)


__all__ = ["classification_report", "confusion_matrix", "format_report"]
