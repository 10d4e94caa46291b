import csv

import numpy as np
import pytest

from keras_restext.errors import ArgumentError
from keras_restext.explain.mistakes import ERRORS_COLUMNS, ConfidentMistakes, write_errors_csv

RNG = np.random.default_rng(0)


def test_the_most_confident_mistakes_come_first_across_chunks():
    probabilities = RNG.dirichlet(np.ones(3), size=200)
    true = RNG.integers(0, 3, size=200)
    mistakes = ConfidentMistakes(true, n=7)
    for start in range(0, 200, 32):  # streamed in chunks, as evaluate predicts
        mistakes.add(probabilities[start : start + 32])
    rows = mistakes.rows()
    predicted = probabilities.argmax(1)
    wrong = np.flatnonzero(predicted != true)
    expected = wrong[np.argsort(-probabilities[wrong, predicted[wrong]], kind="stable")][:7]
    assert [row["row"] for row in rows] == expected.tolist()
    confidence = [row["probability_predicted"] for row in rows]
    assert confidence == sorted(confidence, reverse=True)
    for row in rows:
        assert row["predicted_id"] != row["true_id"] == true[row["row"]]
        assert row["probability_true"] == pytest.approx(probabilities[row["row"], true[row["row"]]])


def test_ties_go_to_the_earlier_example_and_right_answers_never_count():
    mistakes = ConfidentMistakes([1, 1, 0, 1], n=5)
    mistakes.add(np.array([[0.8, 0.2], [0.8, 0.2], [0.9, 0.1], [0.3, 0.7]]))
    assert [row["row"] for row in mistakes.rows()] == [0, 1]


def test_the_csv_names_classes_and_texts(tmp_path):
    mistakes = ConfidentMistakes([0, 1], n=2)
    mistakes.add(np.array([[0.1, 0.9], [0.6, 0.4]]))
    path = write_errors_csv(str(tmp_path / "errors.csv"), mistakes.rows(), ["neg", "pos"], ["a, \"quoted\" text", "b"])
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == list(ERRORS_COLUMNS)
    assert rows[1] == ["1", "0", "neg", "pos", "0.900000", "0.100000", 'a, "quoted" text']
    assert rows[2][:4] == ["2", "1", "pos", "neg"]


def test_n_must_be_positive():
    with pytest.raises(ArgumentError):
        ConfidentMistakes([0], n=0)
