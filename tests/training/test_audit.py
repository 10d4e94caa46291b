"""`audit`: cross-fitting + confident learning finds planted label flips; the folds, the ranking and
the refusals."""

from __future__ import annotations

import numpy as np
import pytest

from keras_restext.data import read_dataset
from keras_restext.errors import ArgumentError
from keras_restext.training.audit import (
    COLUMNS,
    audit,
    fold_indices,
    rank_suspects,
    read_rows,
    write_suspects,
)

VOCABULARIES = {"cooking": [f"bake{i}" for i in range(30)], "sport": [f"goal{i}" for i in range(30)]}


def planted_flips(rows: int, share: float = 0.1, seed: int = 0) -> tuple[list[str], list[str], set[int]]:
    """Two classes of distinct vocabularies, alternating, with `share` of the labels flipped at
    random: `(texts, given labels, the flipped rows)`."""
    rng = np.random.default_rng(seed)
    names = list(VOCABULARIES)
    truth = [names[i % 2] for i in range(rows)]
    texts = [" ".join(rng.choice(VOCABULARIES[label], 8)) for label in truth]
    flipped = set(rng.choice(rows, round(share * rows), replace=False).tolist())
    given = [names[1 - names.index(label)] if i in flipped else label for i, label in enumerate(truth)]
    return texts, given, flipped


def test_the_planted_flips_are_the_top_suspects():
    texts, given, flipped = planted_flips(120)
    lines = []
    result = audit((texts, given), folds=3, preset="restext_base", epochs=3, train_options={"batch_size": 8},
                   log=lines.append)  # fmt: skip
    assert lines[0] == "restext: audit: 3 folds of restext_base (3 epochs each) on 120 texts"
    assert lines[1].startswith("restext: audit: about ") and "fold 3/3 done" in lines[-2]
    top = [suspect.row for suspect in result.suspects[: len(flipped)]]
    assert len(flipped.intersection(top)) >= 0.8 * len(flipped), (sorted(flipped), top)
    for suspect in result.suspects:
        assert suspect.text == texts[suspect.row] and suspect.given_label == given[suspect.row]
        assert (suspect.file, suspect.line) == ("<memory>", suspect.row)  # in-memory rows: their index
        if suspect.row in flipped:  # the label it should have had
            assert suspect.suggested_label != suspect.given_label
    scores = [suspect.score for suspect in result.suspects]
    assert scores == sorted(scores) and [s.rank for s in result.suspects] == list(range(1, len(scores) + 1))
    assert result.probabilities.shape == (120, 2)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert result.class_names == ["cooking", "sport"]


def test_confident_disagreements_rank_first():
    """No training: out-of-fold probabilities that contradict two labels confidently, one mildly."""
    rows = read_rows((["a", "b", "c", "d", "e", "f"] * 5, ["x", "y"] * 15), None, {})
    given = np.array([0, 1] * 15)
    probabilities = np.where(given[:, None] == np.arange(2), 0.9, 0.1)
    probabilities[[3, 10]] = [[0.98, 0.02], [0.03, 0.97]]  # given y, x: confidently the other class
    probabilities[20] = [0.4, 0.6]  # given x: leaning to y
    suspects, quality = rank_suspects(rows, probabilities, given, ["x", "y"], "self_confidence")
    assert [s.row for s in suspects[:2]] == [3, 10] and [s.suggested_label for s in suspects[:2]] == ["x", "y"]
    assert quality[3] == pytest.approx(0.02) and quality.argmin() == 3


def test_folds_are_a_seeded_stratified_partition():
    labels = np.array([0] * 40 + [1] * 20)
    folds = fold_indices(labels, 4, seed=3)
    assert sorted(np.concatenate(folds).tolist()) == list(range(60))
    assert [np.bincount(labels[f]).tolist() for f in folds] == [[10, 5]] * 4
    assert all(np.array_equal(a, b) for a, b in zip(folds, fold_indices(labels, 4, seed=3)))
    assert not all(np.array_equal(a, b) for a, b in zip(folds, fold_indices(labels, 4, seed=4)))


@pytest.mark.parametrize(
    "folds, expected",
    [(1, "`folds` must be an int >= 2. Received: folds=1"),
     (7, "`folds` must be at most the number of training examples (6). Received: folds=7")],
)  # fmt: skip
def test_folds_outside_two_to_the_examples_are_refused(folds, expected):
    with pytest.raises(ArgumentError, match=None) as error:
        audit((["a", "b", "c", "d", "e", "f"], ["x", "y"] * 3), folds=folds)
    assert str(error.value) == expected and error.value.argument == "folds"


def test_multi_label_data_and_a_single_class_are_refused(tmp_path):
    path = tmp_path / "tags.tsv"
    path.write_text("text\tlabel\na b\tx|y\nc d\tx\ne f\ty\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match="multi-label data is not supported"):
        audit(str(path), folds=2, label_delimiter="|")
    with pytest.raises(ArgumentError, match=r"at least 2 classes to audit. Received: the classes \['x'\]"):
        audit((["a", "b", "c"], ["x"] * 3), folds=2)


def test_suspects_csv_keeps_each_row_s_file_and_line(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text('sentence\tlabel\n"a\nb"\tx\nc d\ty\ne f\tx\ng h\ty\n', encoding="utf-8")  # row 1: 2 lines
    rows = read_rows(str(path), None, {}) * 5
    assert [(row.path, row.line) for row in rows[:4]] == [(str(path), line) for line in (2, 4, 5, 6)]
    given = np.array([0, 1] * 10)
    probabilities = np.where(given[:, None] == np.arange(2), 0.9, 0.1)
    probabilities[0] = [0.02, 0.98]  # "a\nb", given x: confidently y
    suspects, _ = rank_suspects(rows, probabilities, given, ["x", "y"], "normalized_margin")
    found = [(s.row, s.file, s.line, s.given_label, s.suggested_label) for s in suspects]
    assert found == [(0, str(path), 2, "x", "y")]
    written = write_suspects(suspects, tmp_path / "out")
    with open(written, encoding="utf-8") as file:
        assert file.readline().strip().split(",") == list(COLUMNS)
    texts, labels = read_dataset(written, text_column="text", label_column="given_label").texts_and_labels()
    assert (texts, labels) == (["a\nb"], ["x"])
