"""Outputs that grow with the number of classes stay readable (issue 50): `restext evaluate` on a
10,000-class model printed the whole 10,000 x 10,000 confusion matrix (200 MB, 4.3 GB of memory).

Past `MATRIX_MAX_CLASSES` classes the text shows the top confusions, the JSON every confusion
counted sparsely; a run's `metrics.json` keeps the dense matrix. A synthetic model and report stand
in for a trained 10,000-class model.
"""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

import keras_restext.export
from keras_restext.cli.main import main
from keras_restext.training.metrics import (
    MATRIX_MAX_CLASSES,
    TOP_CONFUSIONS,
    classification_report,
    confusion_matrix,
    format_report,
)

CLASSES = 10_000
EXAMPLES = 20_000


def _ids(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted ids: 70% right, the rest mostly one confusion per class, a few frequent ones."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(CLASSES, size=EXAMPLES)
    y_pred = np.where(rng.random(EXAMPLES) < 0.7, y_true, (y_true + 1) % CLASSES)
    y_true[:50], y_pred[:50] = 3, 4  # the most frequent confusion: 3 -> 4, 50 times or more
    return y_true, y_pred


def test_a_many_class_report_counts_confusions_sparsely_in_bounded_memory():
    y_true, y_pred = _ids()
    labels = [f"class{i}" for i in range(CLASSES)]
    tracemalloc.start()
    report = classification_report(y_true, y_pred, labels, full_matrix=False)
    text = format_report(report, title="many", every_confusion="the report of --json")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6, peak  # the dense matrix alone: 800 MB, as Python lists 4 GB
    assert "confusion_matrix" not in report
    assert sum(cell["count"] for cell in report["confusions"]) == int((y_true != y_pred).sum())
    assert report["confusions"][0] == {"true": "class3", "predicted": "class4", "count": report["confusions"][0]["count"]}
    assert report["confusions"][0]["count"] >= 50

    lines = text.splitlines()
    assert len(lines) == 3 + CLASSES + 1 + TOP_CONFUSIONS and len(text) < 1e6  # was 200 MB
    assert lines[3 + CLASSES].startswith(f"top {TOP_CONFUSIONS} of {len(report['confusions'])} confusions")
    assert "every one is in the report of --json" in lines[3 + CLASSES]
    assert lines[4 + CLASSES].split() == ["class3", "->", "class4:", str(report["confusions"][0]["count"])]


def test_the_scores_are_those_of_the_dense_matrix():
    y_true, y_pred = _ids()
    labels = [f"class{i}" for i in range(CLASSES)]
    sparse = classification_report(y_true, y_pred, labels, full_matrix=False)
    small = (y_true < 300) & (y_pred < 300)  # a dense matrix that fits: the same scores, the same cells
    dense = classification_report(y_true[small], y_pred[small], labels[:300])
    matrix = np.asarray(dense["confusion_matrix"])
    np.testing.assert_array_equal(matrix, confusion_matrix(y_true[small], y_pred[small], 300))
    again = classification_report(y_true[small], y_pred[small], labels[:300], full_matrix=False)
    assert {k: again[k] for k in ("accuracy", "macro_f1", "per_class")} == {
        k: dense[k] for k in ("accuracy", "macro_f1", "per_class")
    }
    for cell in again["confusions"]:
        assert matrix[labels.index(cell["true"]), labels.index(cell["predicted"])] == cell["count"]
    assert sum(cell["count"] for cell in again["confusions"]) == matrix.sum() - np.trace(matrix)
    assert sparse["examples"] == EXAMPLES


def test_a_dense_report_of_many_classes_prints_its_top_confusions_too():
    # A training run keeps the dense matrix (metrics.json, the plot); its printed report does not show it.
    labels = [f"c{i}" for i in range(MATRIX_MAX_CLASSES + 1)]
    y_true = np.arange(len(labels)).repeat(3)
    y_pred = y_true.copy()
    y_pred[::3] = (y_pred[::3] + 1) % len(labels)
    y_pred[:3] = 5  # c0 -> c5, 3 times: the most frequent
    report = classification_report(y_true, y_pred, labels)
    assert len(report["confusion_matrix"]) == len(labels)
    lines = format_report(report).splitlines()
    assert "confusion matrix (rows: true, columns: predicted):" not in lines
    top = lines.index(next(line for line in lines if line.startswith("top ")))
    assert "every one is in metrics.json" in lines[top] and lines[top + 1].split() == ["c0", "->", "c5:", "3"]
    # At the threshold and below, the matrix as before.
    few = classification_report(y_true[:60] % MATRIX_MAX_CLASSES, y_pred[:60] % MATRIX_MAX_CLASSES, labels[:-1])
    assert "confusion matrix (rows: true, columns: predicted):" in format_report(few)


class _ManyClassPredictor:
    """A stand-in for a loaded 10,000-class model: predicts class `(i + 1) % K` for text `t{i}` with
    an odd i, class i otherwise."""

    multi_task = False
    path = "many-classes-model"
    labels = [f"class{i}" for i in range(CLASSES)]

    def __init__(self):
        self.largest_call = 0

    def predict(self, texts, *, batch_size=256):
        self.largest_call = max(self.largest_call, len(texts))
        ids = [int(text[1:]) for text in texts]
        out = np.zeros((len(texts), CLASSES), np.float32)
        out[np.arange(len(texts)), [(i + i % 2) % CLASSES for i in ids]] = 1.0
        return out


@pytest.fixture
def many_classes(tmp_path, monkeypatch):
    predictor = _ManyClassPredictor()
    monkeypatch.setattr(keras_restext.export, "load_predictor", lambda path: predictor)
    data = tmp_path / "test.tsv"
    data.write_text("text\tlabel\n" + "".join(f"t{i}\tclass{i % CLASSES}\n" for i in range(EXAMPLES)))
    return predictor, data


def test_evaluate_prints_the_top_confusions_and_json_holds_every_one(many_classes, capsys):
    predictor, data = many_classes
    assert main(["evaluate", "--model", "m", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert len(out) < 1e6 and "confusion matrix (rows" not in out
    assert f"top {TOP_CONFUSIONS} of {CLASSES // 2} confusions" in out  # text t{i}, i odd: class i -> class i + 1
    assert any(line.split() == ["class1", "->", "class2:", "2"] for line in out.splitlines())
    assert predictor.largest_call <= 4 * 256  # the probabilities of one chunk at a time, not [20,000 x 10,000]

    assert main(["evaluate", "--model", "m", "--data", str(data), "--json"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)
    assert len(out) < 5e6 and "confusion_matrix" not in report  # was 301 MB
    assert len(report["confusions"]) == CLASSES // 2 and report["accuracy"] == 0.5
    assert {cell["count"] for cell in report["confusions"]} == {2}
