import numpy as np
import pytest

from keras_restext.training.metrics import classification_report, confusion_matrix, format_report


def test_confusion_matrix_counts_true_rows_predicted_columns():
    matrix = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_report_matches_hand_computed_scores():
    # class a: tp=1 fp=1 fn=1; class b: tp=1 fp=1 fn=0; class c: tp=2 fp=0 fn=1
    report = classification_report([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], ["a", "b", "c"])
    assert report["accuracy"] == pytest.approx(4 / 6)
    f1 = {"a": 0.5, "b": 2 * 0.5 * 1 / 1.5, "c": 2 * 1 * (2 / 3) / (1 + 2 / 3)}
    for name, expected in f1.items():
        assert report["per_class"][name]["f1"] == pytest.approx(expected)
    assert report["per_class"]["c"]["precision"] == 1.0
    assert report["per_class"]["c"]["recall"] == pytest.approx(2 / 3)
    assert report["per_class"]["c"]["support"] == 3
    assert report["macro_f1"] == pytest.approx(np.mean(list(f1.values())))
    assert report["examples"] == 6


def test_a_class_never_predicted_scores_zero_not_nan():
    report = classification_report([0, 1, 1], [1, 1, 1], ["neg", "pos"])
    assert report["per_class"]["neg"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert report["macro_f1"] == pytest.approx((0 + 0.8) / 2)


def test_bad_ids_are_explained():
    with pytest.raises(ValueError, match=r"class ids in \[0, 2\)"):
        confusion_matrix([0, 2], [0, 1], 2)
    with pytest.raises(ValueError, match="same length"):
        confusion_matrix([0, 1], [0], 2)


def test_format_report_is_a_table():
    text = format_report(classification_report([0, 1], [0, 0], ["neg", "pos"]), title="test")
    lines = text.splitlines()
    assert lines[0] == "test"
    assert lines[1].startswith("accuracy 0.5000")
    assert "confusion matrix" in text
