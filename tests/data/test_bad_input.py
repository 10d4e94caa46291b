"""Every bad-input case on generated files: a clear DataError (file, line, what was expected), or a
documented handling that is counted, never silent."""

import logging

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data import DataError, LabelVocabulary, WordTokenizer, build_pipeline, read_dataset
from tests.data.helpers import write


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(DataError, match="no such file or directory; expected an existing file") as info:
        read_dataset(path)
    assert info.value.path == str(path)


@pytest.mark.parametrize("name", ["empty.csv", "empty.tsv", "empty.jsonl"])
def test_empty_file(tmp_path, name):
    path = write(tmp_path / name, b"")
    with pytest.raises(DataError, match=r"empty\.\w+: the file is empty"):
        read_dataset(path)


def test_blank_file_and_header_only_file(tmp_path):
    with pytest.raises(DataError, match="the file is empty"):
        read_dataset(write(tmp_path / "blank.csv", "\n\n"))
    with pytest.raises(DataError, match=r"header\.csv:2: the file has a header but no rows") as info:
        read_dataset(write(tmp_path / "header.csv", "text,label\n"))
    assert info.value.line == 2


def test_missing_column(tmp_path):
    path = write(tmp_path / "cols.csv", "text,label\nhi,x\n")
    with pytest.raises(DataError, match=r"cols\.csv:1: no column 'category' in the header \['text', 'label'\]"):
        read_dataset(path, label_column="category")
    with pytest.raises(DataError, match="label_column=5 is out of range"):
        read_dataset(path, label_column=5)
    no_label = write(tmp_path / "nolabel.csv", "id,text,year\n1,hi,2020\n")
    with pytest.raises(DataError, match=r"cannot tell which column holds the label in the header"):
        read_dataset(no_label)


def test_wrong_number_of_fields_errors_with_line(tmp_path):
    path = write(tmp_path / "fields.csv", "text,label\ngood,pos\nbad, really,neg\nok,pos\n")
    with pytest.raises(DataError) as info:
        read_dataset(path)
    err = info.value
    assert (err.path, err.line) == (str(path), 3)
    assert str(err).startswith(f"{path}:3: row has 3 field(s)")
    assert "expected 2 fields as in the header; quote fields that contain ','" in str(err)


def test_wrong_number_of_fields_skipped_and_counted(tmp_path, caplog):
    path = write(tmp_path / "fields.csv", "text,label\ngood,pos\nbad, really,neg\nok,pos\n\n")
    data = read_dataset(path, on_bad_row="skip")
    with caplog.at_level(logging.WARNING, logger="keras_restext.data"):
        assert data.texts_and_labels() == (["good", "ok"], ["pos", "pos"])
    assert data.skipped == 2
    assert data.skipped_reasons == {"wrong number of fields": 1, "blank line": 1}
    assert "skipped 2 row(s)" in caplog.text  # reported, not silent
    assert "skipped 2 row(s)" in data.report()
    # Counted per pass: a second pass (epoch) does not double the count.
    assert sum(1 for _ in data.dataset) == 2 and data.skipped == 2


def test_unclosed_quote_is_reported_where_the_row_starts(tmp_path):
    path = write(tmp_path / "quote.csv", 'text,label\n"never closed,pos\nnext,neg\n')
    with pytest.raises(DataError, match=r"quote\.csv:2: row has 1 field\(s\) spanning several lines \(an unclosed quote\?\)"):
        read_dataset(path)


def test_empty_label(tmp_path):
    path = write(tmp_path / "labels.tsv", "sentence\tlabel\nfine\t1\nno label\t \n")
    with pytest.raises(DataError, match=r"labels\.tsv:3: empty label in column 'label' \(1\); expected a label in every row"):
        read_dataset(path)
    data = read_dataset(path, on_bad_row="skip")
    assert data.texts_and_labels() == (["fine"], ["1"])
    assert data.skipped_reasons == {"empty label": 1}


def test_label_never_seen_in_training(tmp_path):
    train = read_dataset(write(tmp_path / "train.csv", "text,label\na,pos\nb,neg\n"))
    test = read_dataset(write(tmp_path / "test.csv", "text,label\nc,pos\nd,neutral\ne,mixed\n"))
    labels = LabelVocabulary.from_data(train)
    with pytest.raises(DataError) as info:
        labels.check(test)
    assert (info.value.path, info.value.line) == (str(tmp_path / "test.csv"), 3)
    assert "label 'neutral' was never seen in the training data (2 rows in all have unseen labels)" in str(info.value)
    assert "expected one of the 2 training labels: neg, pos" in str(info.value)
    # Skipping the check does not hide it: encoding fails and says how to find the row.
    tokenizer = WordTokenizer().adapt(train)
    with pytest.raises(tf.errors.InvalidArgumentError, match="LabelVocabulary.check"):
        list(build_pipeline(test, tokenizer, labels, batch_size=4))


def test_non_utf8_bytes_are_replaced_and_counted(tmp_path):
    path = write(tmp_path / "bytes.csv", b"text,label\ncaf\xe9 au lait,pos\nplain,neg\n")
    data = read_dataset(path)
    texts, _ = data.texts_and_labels()
    assert texts[0] == "caf\ufffd au lait" and data.decode_errors == 1
    with pytest.raises(DataError, match=r"bytes\.csv:2: bytes that are not valid utf-8: b'\\xe9'"):
        read_dataset(path, encoding_errors="strict")
    assert read_dataset(path, encoding="latin-1").texts_and_labels()[0][0] == "café au lait"


def test_empty_text_is_allowed_padded_and_predicted(tmp_path):
    path = write(tmp_path / "empty_text.csv", 'text,label\n"",pos\nsome words,neg\n')
    data = read_dataset(path)
    assert data.texts_and_labels() == (["", "some words"], ["pos", "neg"])
    tokenizer = WordTokenizer().adapt(data)
    ids, targets = next(iter(build_pipeline(data, tokenizer, LabelVocabulary.from_data(data), batch_size=2)))
    assert ids.numpy()[0].tolist() == [0, 0] and targets.shape == (2, 2)
    only_empty = tokenizer(tf.constant([""]))
    assert only_empty.shape == (1, 1) and int(only_empty[0, 0]) == 0
    model = keras.Sequential(
        [
            keras.layers.Embedding(tokenizer.vocabulary_size(), 4),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    assert np.isfinite(model.predict(only_empty, verbose=0)).all()


def test_jsonl_bad_lines(tmp_path):
    path = write(tmp_path / "bad.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": \n[1, 2]\n{"text": "c"}\n')
    with pytest.raises(DataError, match=r"bad\.jsonl:2: invalid JSON \(Expecting value at character 25"):
        read_dataset(path)
    data = read_dataset(path, on_bad_row="skip")
    assert data.texts_and_labels() == (["a"], ["x"])
    assert data.skipped_reasons == {"invalid JSON": 1, "not a JSON object": 1, "missing key": 1}
    missing = write(tmp_path / "missing.jsonl", '{"text": "a", "label": "x"}\n{"body": "b", "label": "y"}\n')
    with pytest.raises(DataError, match=r"missing\.jsonl:2: no key 'text' in the object \(keys: \['body', 'label'\]\)"):
        read_dataset(missing)


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="the directory has no sub-folders; expected one sub-folder per class"):
        read_dataset(tmp_path)
    (tmp_path / "pos").mkdir()
    with pytest.raises(DataError, match="the class sub-folders hold no files"):
        read_dataset(tmp_path)
