"""Classification metrics: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix.

They are computed once, on the whole evaluation set, from integer class ids: TensorFlow's
`tf.math.confusion_matrix` counts, and the scores are exact ratios of those counts (0/0 counts as
0, scikit-learn's `zero_division=0`). `keras.metrics.F1Score`, `Precision` and `Recall` were not
used for the report: they add an epsilon to every ratio and accumulate in float32, so their scores
are close to these but not equal.

Outputs that grow with the number of classes stay readable: past `MATRIX_MAX_CLASSES` classes a
text report shows the `TOP_CONFUSIONS` most frequent confusions instead of the matrix, and a report
made with `full_matrix=False` (`restext evaluate`) counts the confusions sparsely, in memory that
grows with the examples, not with the classes squared (10,000 classes: 800 MB as a dense matrix).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf

from keras_restext.errors import ArgumentError

MATRIX_MAX_CLASSES = 20  # more classes: a text report lists the top confusions instead of the matrix
TOP_CONFUSIONS = 20  # the confusions such a report lists


def _class_ids(y_true, y_pred, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Both id arrays as int64 `[n]`, checked: the same length, ids in `[0, num_classes)`."""
    y_true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"`y_true` and `y_pred` must have the same length. Received: {y_true.shape[0]} and {y_pred.shape[0]}"
        )
    for name, ids in (("y_true", y_true), ("y_pred", y_pred)):
        if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
            raise ArgumentError(
                f"`{name}` must hold class ids in [0, {num_classes}). Received ids from {ids.min()} to {ids.max()}",
                argument=name,
            )
    return y_true, y_pred


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
    y_true, y_pred = _class_ids(y_true, y_pred, num_classes)
    return tf.math.confusion_matrix(y_true, y_pred, num_classes=num_classes, dtype=tf.int64).numpy()


def confusions(y_true, y_pred, labels: Sequence[str]) -> list[dict]:
    """Every confusion, counted sparsely: the cells of the confusion matrix off its diagonal that
    are not 0, most frequent first (ties by class id). Memory grows with the examples, not with
    the classes squared.

    Returns:
        `[{"true": name, "predicted": name, "count": n}, ...]`.

    Example:
    >>> confusions([0, 0, 1, 2, 2], [1, 1, 0, 2, 1], ["a", "b", "c"])
    [{'true': 'a', 'predicted': 'b', 'count': 2}, {'true': 'b', 'predicted': 'a', 'count': 1}, {'true': 'c', 'predicted': 'b', 'count': 1}]
    """
    y_true, y_pred = _class_ids(y_true, y_pred, len(labels))
    wrong = y_true != y_pred
    cells, counts = np.unique(y_true[wrong] * len(labels) + y_pred[wrong], return_counts=True)
    order = np.lexsort((cells, -counts))
    return [
        {"true": labels[cell // len(labels)], "predicted": labels[cell % len(labels)], "count": int(count)}
        for cell, count in zip(cells[order].tolist(), counts[order].tolist())
    ]


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # 0/0 counts as 0, the convention of scikit-learn's `zero_division=0`.
    return np.divide(numerator, denominator, out=np.zeros_like(numerator, dtype=np.float64), where=denominator > 0)


def classification_report(y_true, y_pred, labels: Sequence[str], *, full_matrix: bool = True) -> dict:
    """All metrics of one evaluation, as a JSON-ready dict.

    Args:
        y_true: int array-like `[n]` of true class ids.
        y_pred: int array-like `[n]` of predicted class ids.
        labels: the class names, in class-id order.
        full_matrix: always hold the dense `confusion_matrix` (what a run's `metrics.json` and its
            plot need). False: past `MATRIX_MAX_CLASSES` classes, hold `confusions` (every
            confusion, sparse) instead, so that memory does not grow with the classes squared.

    Returns:
        A dict with `examples`, `accuracy`, `macro_f1` (the unweighted mean over classes of F1,
        classes absent from both `y_true` and `y_pred` included as 0), `per_class` (name →
        `precision`, `recall`, `f1`, `support`), `labels` and `confusion_matrix` (nested lists,
        rows = true classes) or, see `full_matrix`, `confusions` (see `confusions`).

    Example:
    >>> report = classification_report([0, 1, 1, 0], [0, 1, 0, 0], ["neg", "pos"])
    >>> report["accuracy"], round(report["macro_f1"], 4)
    (0.75, 0.7333)
    """
    labels = [str(name) for name in labels]
    y_true, y_pred = _class_ids(y_true, y_pred, len(labels))
    # The matrix's row sums, column sums and diagonal, counted without the matrix.
    support = np.bincount(y_true, minlength=len(labels))
    predicted = np.bincount(y_pred, minlength=len(labels))
    true_positives = np.bincount(y_true[y_true == y_pred], minlength=len(labels)).astype(np.float64)
    precision = _safe_divide(true_positives, predicted.astype(np.float64))
    recall = _safe_divide(true_positives, support.astype(np.float64))
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    total = int(y_true.size)
    report = {
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
    }
    if full_matrix or len(labels) <= MATRIX_MAX_CLASSES:
        report["confusion_matrix"] = confusion_matrix(y_true, y_pred, len(labels)).tolist()
    else:
        report["confusions"] = confusions(y_true, y_pred, labels)
    return report


def _predicted_ids(predict: Callable, texts: list[str], chunk_size: int | None):
    """The argmax of `predict` over `texts` (a dict task → ids for several tasks), `chunk_size`
    texts at a time: only one chunk's probabilities are held at once."""
    step = chunk_size or max(len(texts), 1)
    chunks = []
    for start in range(0, max(len(texts), 1), step):  # an empty list is predicted once, as it is
        out = predict(texts[start : start + step])
        chunks.append({t: np.argmax(p, -1) for t, p in out.items()} if isinstance(out, Mapping) else np.argmax(out, -1))
    if isinstance(chunks[0], Mapping):
        return {task: np.concatenate([chunk[task] for chunk in chunks]) for task in chunks[0]}
    return np.concatenate(chunks)


def evaluate_texts(
    predict: Callable[[list[str]], np.ndarray | Mapping[str, np.ndarray]],
    texts: Sequence[str],
    labels: Sequence[str] | Mapping[str, Sequence[str]],
    names: Sequence[str] | Mapping[str, Sequence[str]],
    *,
    full_matrix: bool = True,
    chunk_size: int | None = None,
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
        full_matrix: see `classification_report`.
        chunk_size: texts per `predict` call (None: all at once); a multiple of the predictor's
            batch size keeps its batches, and so its probabilities, the same.

    Returns:
        A report; for several tasks a dict task → report, over the texts labelled for the task
        (tasks without any are left out).

    Example:
    >>> evaluate_texts(lambda t: np.array([[0.9, 0.1]] * len(t)), ["a", "b"], ["neg", "pos"], ["neg", "pos"])["accuracy"]
    0.5
    """
    predicted = _predicted_ids(predict, list(texts), chunk_size)
    if not isinstance(names, Mapping):
        index = {name: i for i, name in enumerate(names)}
        return classification_report([index[label] for label in labels], predicted, list(names), full_matrix=full_matrix)
    reports = {}
    for task, task_names in names.items():
        index = {name: i for i, name in enumerate(task_names)}
        keep = [i for i, label in enumerate(labels[task]) if label != ""]
        if keep:
            reports[task] = classification_report(
                [index[labels[task][i]] for i in keep], predicted[task][keep], list(task_names), full_matrix=full_matrix
            )
    return reports


def format_report(report: dict, *, title: str | None = None, every_confusion: str = "metrics.json") -> str:
    """A plain-text table of a `classification_report` dict, for terminals and logs. Past
    `MATRIX_MAX_CLASSES` classes the `TOP_CONFUSIONS` most frequent confusions (true -> predicted:
    count) stand in for the confusion matrix; `every_confusion` says where all of them are.

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
    if len(report["labels"]) > MATRIX_MAX_CLASSES:
        return "\n".join(lines + _top_confusions(report, every_confusion))
    lines.append("confusion matrix (rows: true, columns: predicted):")
    cell = max([len(str(v)) for row in report["confusion_matrix"] for v in row] + [1])
    for name, row in zip(report["labels"], report["confusion_matrix"]):
        lines.append(f"{name:<{width}}  " + " ".join(f"{v:>{cell}d}" for v in row))
    return "\n".join(lines)


def _top_confusions(report: dict, every_confusion: str) -> list[str]:
    """The lines of the most frequent confusions, from `confusions` or a dense matrix."""
    found = report.get("confusions")
    if found is None:
        matrix, labels = np.asarray(report["confusion_matrix"], dtype=np.int64), report["labels"]
        rows, columns = np.nonzero(matrix - np.diag(np.diag(matrix)))
        found = [{"true": labels[r], "predicted": labels[c], "count": int(matrix[r, c])} for r, c in zip(rows, columns)]
        found.sort(key=lambda cell: -cell["count"])  # stable: ties stay in class-id order
    top = found[:TOP_CONFUSIONS]
    lines = [f"top {len(top)} of {len(found)} confusions (true -> predicted: count; {len(report['labels'])} classes, "
             f"more than {MATRIX_MAX_CLASSES} for a matrix here: every one is in {every_confusion}):"]  # fmt: skip
    width = max([len(cell["true"]) for cell in top] + [1])
    return lines + [f"{cell['true']:<{width}} -> {cell['predicted']}: {cell['count']}" for cell in top]


__all__ = [
    "MATRIX_MAX_CLASSES", "TOP_CONFUSIONS", "classification_report", "confusion_matrix", "confusions", "evaluate_texts",
    "format_report",
]  # fmt: skip
