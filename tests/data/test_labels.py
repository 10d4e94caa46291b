import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data import DataError, LabelVocabulary, read_dataset
from tests.data.helpers import write


def test_stable_sorted_order_for_strings_and_integers():
    assert LabelVocabulary.from_data(["pos", "neg", "pos", "mixed"]).names == ["mixed", "neg", "pos"]
    assert LabelVocabulary.from_data(["10", "2", "1", "2"]).names == ["1", "2", "10"]  # numerically
    assert LabelVocabulary.from_data(["b", "a"]) == LabelVocabulary.from_data(["a", "b", "a"])


def test_from_shared_data(shared_data):
    mr = LabelVocabulary.from_data(read_dataset(shared_data / "mr" / "train.csv", limit=300))
    assert mr.names == ["negative", "positive"] and len(mr) == 2
    sst2 = LabelVocabulary.from_data(read_dataset(shared_data / "sst2" / "dev.tsv", limit=300))
    assert sst2.names == ["0", "1"]


def test_source_declared_names_keep_their_order(tmp_path):
    for label in ("zeta", "alpha", "empty_class"):
        (tmp_path / label).mkdir()
    write(tmp_path / "zeta" / "1.txt", "z")
    write(tmp_path / "alpha" / "1.txt", "a")
    labels = LabelVocabulary.from_data(read_dataset(tmp_path))
    assert labels.names == ["alpha", "empty_class", "zeta"]  # every class folder, sorted like Keras


def test_one_hot_encoding_inside_tf_data():
    labels = LabelVocabulary(["neg", "pos"])
    ds = tf.data.Dataset.from_tensor_slices(["pos", "neg", " pos "]).batch(3).map(labels.encode)
    assert next(iter(ds)).numpy().tolist() == [[0, 1], [1, 0], [0, 1]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in the label vocabulary"):
        labels.encode(tf.constant(["neutral"]))


def test_any_label_name_encodes_keras_special_tokens_included():
    labels = LabelVocabulary(["[UNK]", "[MASK]", "0", "pos"])
    encoded = labels.encode(tf.constant(["pos", "[UNK]", " 0 ", "[MASK]"])).numpy()
    np.testing.assert_array_equal(encoded, np.eye(4)[[3, 0, 2, 1]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in the label vocabulary"):
        labels.encode(tf.constant(["pos", ""]))  # an empty label is no class either


def test_multi_label_multi_hot():
    data = read_dataset((["a", "b", "c"], ["sports|politics", "politics", "tech | sports|"]), label_delimiter="|")
    labels = LabelVocabulary.from_data(data)
    assert labels.multi_label and labels.delimiter == "|"
    assert labels.names == ["politics", "sports", "tech"]
    encoded = labels.encode(tf.constant(["sports|politics", "tech", "tech | sports|", ""]))
    assert encoded.numpy().tolist() == [[1, 1, 0], [0, 0, 1], [0, 1, 1], [0, 0, 0]]
    assert labels.decode(np.array([[0.9, 0.1, 0.7]])) == [["politics", "tech"]]
    with pytest.raises(tf.errors.InvalidArgumentError):
        labels.encode(tf.constant(["sports|weather"]))


def test_save_and_load(tmp_path):
    labels = LabelVocabulary(["négatif", "positif"])
    path = labels.save(tmp_path / "export")
    assert path.endswith("labels.txt")
    assert (tmp_path / "export" / "labels.txt").read_text(encoding="utf-8") == "négatif\npositif\n"
    assert LabelVocabulary.load(tmp_path / "export") == labels
    multi = LabelVocabulary(["a", "b"], multi_label=True, delimiter=";")
    multi.save(tmp_path / "multi" / "labels.txt")
    assert LabelVocabulary.load(tmp_path / "multi" / "labels.txt") == multi
    assert LabelVocabulary.from_config(multi.get_config()) == multi
    with pytest.raises(DataError, match="no such file"):
        LabelVocabulary.load(tmp_path / "nowhere")


def test_check_passes_on_known_labels_and_decode():
    labels = LabelVocabulary(["neg", "pos"])
    labels.check(read_dataset((["x", "y"], ["pos", "neg"])))
    assert labels.decode([[0.2, 0.8], [0.6, 0.4]]) == ["pos", "neg"]
    assert labels.index("pos") == 1


def test_invalid_vocabularies():
    with pytest.raises(ValueError, match="at least one label"):
        LabelVocabulary([])
    with pytest.raises(ValueError, match="duplicates"):
        LabelVocabulary(["a", "a"])
    with pytest.raises(ValueError, match="needs a `delimiter`"):
        LabelVocabulary(["a"], multi_label=True)
