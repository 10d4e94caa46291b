from collections import Counter

import pytest

from keras_restext.data import read_dataset, split_validation, train_validation
from tests.data.helpers import head_lines, write


def test_stratified_seeded_split_of_trec(shared_data, tmp_path):
    path = head_lines(shared_data / "trec" / "train.tsv", tmp_path / "trec.tsv", 400)
    data = read_dataset(path)
    train, validation = split_validation(data, 0.2, seed=0)
    rows, train_rows, val_rows = list(data.iter_rows()), list(train.iter_rows()), list(validation.iter_rows())
    assert len(train_rows) + len(val_rows) == 400
    assert {r.line for r in train_rows}.isdisjoint({r.line for r in val_rows})
    assert sorted(train_rows + val_rows, key=lambda r: r.line) == rows  # rows keep their file and line
    counts, val_counts = Counter(r.label for r in rows), Counter(r.label for r in val_rows)
    for label, n in counts.items():
        assert val_counts[label] == round(0.2 * n) or (n < 2 and val_counts[label] == 0)
    assert [r.line for r in val_rows] == sorted(r.line for r in val_rows)  # the file's order is kept
    assert val_rows[0].path == str(path) and "validation split" in validation.path
    # Same seed → same split; another seed → another split.
    assert split_validation(data, 0.2, seed=0)[1].texts_and_labels() == validation.texts_and_labels()
    assert split_validation(data, 0.2, seed=1)[1].texts_and_labels() != validation.texts_and_labels()


def test_unstratified_split_and_rare_labels():
    data = read_dataset(([f"t{i}" for i in range(21)], ["a"] * 20 + ["rare"]))
    train, validation = split_validation(data, 0.25, seed=3, stratify=False)
    assert len(validation.texts_and_labels()[0]) == 5 and len(train.texts_and_labels()[0]) == 16
    train, validation = split_validation(data, 0.25, seed=3)
    assert "rare" in train.texts_and_labels()[1]  # a label seen once stays in training
    assert train.dataset.cardinality() == 16  # tf.data agrees with Python iteration


def test_split_errors_and_counts_carried(tmp_path):
    path = write(tmp_path / "s.csv", "text,label\na,x\nb,x\n,,\nc,y\nd,y\n")
    data = read_dataset(path, on_bad_row="skip")
    train, validation = split_validation(data, 0.5)
    assert validation.skipped == 1 and train.skipped_reasons == {"wrong number of fields": 1}
    with pytest.raises(ValueError, match="between 0 and 1"):
        split_validation(data, 1.0)
    with pytest.raises(ValueError, match="is empty"):
        split_validation(read_dataset((["a", "b"], ["x", "y"])), 0.1)


def test_explicit_validation_file(shared_data):
    train, validation = train_validation(shared_data / "sst2" / "train.tsv", shared_data / "sst2" / "dev.tsv", limit=50)
    assert "train.tsv" in train.path and "dev.tsv" in validation.path
    assert len(validation.texts_and_labels()[0]) == 50
    train, validation = train_validation(shared_data / "sst2" / "dev.tsv", limit=100, fraction=0.1)
    assert len(validation.texts_and_labels()[0]) == 10
