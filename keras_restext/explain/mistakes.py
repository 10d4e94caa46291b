"""The mistakes worth reading: the test examples a model gets wrong with the most confidence.

`ConfidentMistakes` watches the probabilities of a stream of predictions (chunk by chunk, as
`restext evaluate` makes them) and keeps the `n` misclassified examples whose predicted class had
the highest probability, so memory grows with `n`, not with the data. Ties go to the earlier example.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence

import numpy as np

from keras_restext.checks import check_int

ERRORS_FILE = "errors.csv"
ERRORS_COLUMNS = ("rank", "row", "true", "predicted", "probability_predicted", "probability_true", "text")


class ConfidentMistakes:
    """The `n` most confident mistakes among predictions made in order.

    Args:
        true_ids: the true class id of every example, in the order they are predicted.
        n: how many mistakes to keep.

    Example:
    >>> mistakes = ConfidentMistakes([0, 1, 0], n=1)
    >>> mistakes.add(np.array([[0.2, 0.8], [0.9, 0.1], [0.6, 0.4]]))
    >>> [row["row"] for row in mistakes.rows()]
    [1]
    """

    def __init__(self, true_ids: Sequence[int], n: int):
        self.true_ids = np.asarray(true_ids, np.int64)
        self.n = check_int("errors", n)
        self._seen = 0
        self._kept: list[tuple[float, int, int, float]] = []  # (-confidence, row, predicted, p_true)

    def add(self, probabilities: np.ndarray) -> None:
        """Takes the probabilities `[batch, classes]` of the next examples."""
        probabilities = np.asarray(probabilities)
        rows = np.arange(self._seen, self._seen + len(probabilities))
        self._seen += len(probabilities)
        predicted = np.argmax(probabilities, axis=-1)
        true = self.true_ids[rows]
        for i in np.flatnonzero(predicted != true):
            confidence = float(probabilities[i, predicted[i]])
            self._kept.append((-confidence, int(rows[i]), int(predicted[i]), float(probabilities[i, true[i]])))
        self._kept = sorted(self._kept)[: self.n]

    def wrap(self, predict: Callable[[list[str]], np.ndarray]) -> Callable[[list[str]], np.ndarray]:
        """`predict` that also hands its probabilities to `add`."""

        def watched(texts: list[str]) -> np.ndarray:
            probabilities = predict(texts)
            self.add(probabilities)
            return probabilities

        return watched

    def rows(self) -> list[dict]:
        """The kept mistakes, most confident first: `row` (0-based example index), `true_id`,
        `predicted_id`, `probability_predicted`, `probability_true`."""
        return [
            {"row": row, "true_id": int(self.true_ids[row]), "predicted_id": predicted,
             "probability_predicted": -negative, "probability_true": p_true}
            for negative, row, predicted, p_true in self._kept
        ]  # fmt: skip


def write_errors_csv(path: str, rows: Sequence[dict], labels: Sequence[str], texts: Sequence[str]) -> str:
    """Writes `ConfidentMistakes.rows()` as a CSV file (`ERRORS_COLUMNS`) with class names and texts."""
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(ERRORS_COLUMNS)
        for rank, row in enumerate(rows, 1):
            writer.writerow([
                rank, row["row"], labels[row["true_id"]], labels[row["predicted_id"]],
                f"{row['probability_predicted']:.6f}", f"{row['probability_true']:.6f}", texts[row["row"]],
            ])  # fmt: skip
    return path


__all__ = ["ERRORS_COLUMNS", "ERRORS_FILE", "ConfidentMistakes", "write_errors_csv"]
