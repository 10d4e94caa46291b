import pickle

from keras_restext.data import DataError


def test_message_is_one_line_with_path_line_and_expectation():
    err = DataError("row has 3 fields", path="train.csv", line=7, expected="2 fields, as in the header")
    assert str(err) == "train.csv:7: row has 3 fields; expected 2 fields, as in the header"
    assert (err.path, err.line) == ("train.csv", 7)
    assert isinstance(err, ValueError)


def test_message_without_line_or_path():
    assert str(DataError("the file is empty", path="a.csv")) == "a.csv: the file is empty"
    assert str(DataError("bad", expected="good")) == "bad; expected good"


def test_newlines_in_received_values_stay_on_one_line():
    err = DataError("field 'a\nb'", path="x.csv", line=2, expected="one\nline")
    assert "\n" not in str(err)


def test_pickles():
    err = pickle.loads(pickle.dumps(DataError("bad", path="p", line=3, expected="good")))
    assert str(err) == "p:3: bad; expected good" and err.line == 3
