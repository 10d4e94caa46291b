"""Every source on small slices of ../shared/data and on generated files."""

import json

import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data import DataError, TextData, infer_format, read_dataset
from tests.data.helpers import head_lines, write

TREC_CLASSES = {"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"}


def _pairs(data: TextData):
    return [(t.decode(), l.decode()) for t, l in data.dataset.as_numpy_iterator()]


# -- the shared benchmark data, read with no options -------------------------------------------


def test_mr_csv_with_header(shared_data):
    data = read_dataset(shared_data / "mr" / "train.csv", limit=200)
    texts, labels = data.texts_and_labels()
    assert data.format == "csv" and len(texts) == 200
    assert texts[0].startswith("even if you're an elvis person")
    assert set(labels) == {"negative", "positive"}
    assert _pairs(data) == list(zip(texts, labels))  # tf.data and Python iteration agree
    assert data.skipped == 0


def test_trec_tsv_without_header_finds_the_label_column(shared_data, tmp_path):
    # No header, LABEL<TAB>question: the label is the column with fewer distinct values.
    path = head_lines(shared_data / "trec" / "train.tsv", tmp_path / "trec.tsv", 200)
    texts, labels = read_dataset(path).texts_and_labels()
    assert len(texts) == 200
    assert set(labels) <= TREC_CLASSES and len(set(labels)) >= 4
    assert texts[0] == "How did serfdom develop in and then leave Russia ?"
    # The same file with the columns given explicitly.
    explicit = read_dataset(path, header=False, text_column=1, label_column=0).texts_and_labels()
    assert explicit == (texts, labels)


def test_sst2_tsv_with_header(shared_data):
    data = read_dataset(shared_data / "sst2" / "dev.tsv", limit=100)
    texts, labels = data.texts_and_labels()
    assert data.format == "tsv" and len(texts) == 100
    assert set(labels) == {"0", "1"}
    assert not any(t == "sentence" for t in texts)  # the header is not a row


def test_20news_folder(shared_data):
    data = read_dataset(shared_data / "20news" / "test", limit=60)
    texts, labels = data.texts_and_labels()
    assert data.format == "folder" and len(texts) == 60
    assert len(data.label_names) == 20 and data.label_names == sorted(data.label_names)
    assert set(labels) <= set(data.label_names) and len(set(labels)) > 5  # files are shuffled across classes
    assert all(t.strip() for t in texts)


def test_folder_with_non_utf8_posts(shared_data, tmp_path):
    """A 20news-style folder built from real posts, plus posts whose bytes are not UTF-8."""
    source = shared_data / "20news" / "train"
    root = tmp_path / "news"
    for label in ("sci.space", "rec.autos"):
        for post in sorted((source / label).iterdir())[:3]:
            write(root / label / post.name, post.read_bytes())
    write(root / "sci.space" / "latin1", "Subject: K\xe4fer\n\nThe VW K\xe4fer is a car.".encode("latin-1"))
    write(root / "rec.autos" / "broken", b"Subject: broken\n\nbad bytes \xff\xfe here")
    write(root / ".DS_Store", b"\x00")  # outside the class folders: skipped and counted
    data = read_dataset(root)
    texts, labels = data.texts_and_labels()
    assert data.label_names == ["rec.autos", "sci.space"]
    assert len(texts) == 8 and labels.count("sci.space") == 4
    assert data.decode_errors == 2
    assert any("K\ufffdfer" in t for t in texts) and any("\ufffd\ufffd" in t for t in texts)
    assert data.skipped == 1 and data.skipped_reasons == {"file outside the class folders": 1}
    with pytest.raises(DataError, match=r"rec\.autos/broken:3: bytes that are not valid utf-8: b'\\xff'") as info:
        read_dataset(root, encoding_errors="strict", shuffle_files=False).texts_and_labels()
    assert info.value.line == 3


def test_folder_order_is_seeded(tmp_path):
    for label in ("a", "b"):
        for i in range(5):
            write(tmp_path / label / f"{i}.txt", f"{label} {i}")
    first = read_dataset(tmp_path, seed=1).texts_and_labels()
    assert first == read_dataset(tmp_path, seed=1).texts_and_labels()
    assert first != read_dataset(tmp_path, seed=2).texts_and_labels()
    ordered = read_dataset(tmp_path, shuffle_files=False).texts_and_labels()[0]
    assert ordered == [f"{l} {i}" for l in "ab" for i in range(5)]


# -- CSV / TSV features --------------------------------------------------------------------------


def test_csv_quotes_embedded_delimiters_newlines_and_several_text_columns(tmp_path):
    path = write(
        tmp_path / "news.csv",
        'title,body,label\n"Hello, world","two\nlines, one field",pos\nTitle,"say ""hi""",neg\n',
    )
    data = read_dataset(path, text_column=["title", "body"])
    rows = list(data.iter_rows())
    assert [r.text for r in rows] == ["Hello, world two\nlines, one field", 'Title say "hi"']
    assert [r.line for r in rows] == [2, 4]  # a row's line is where it starts
    assert _pairs(data) == [(r.text, r.label) for r in rows]


def test_csv_columns_by_index_and_header_false(tmp_path):
    path = write(tmp_path / "x.csv", "pos,good film,2020\nneg,bad film,2021\n")
    texts, labels = read_dataset(path, header=False, text_column=1, label_column=0).texts_and_labels()
    assert texts == ["good film", "bad film"] and labels == ["pos", "neg"]
    with pytest.raises(DataError, match="no header"):
        read_dataset(path, header=False, text_column="text", label_column=0)
    with pytest.raises(DataError, match="cannot tell which column holds the label"):
        read_dataset(path)  # three columns, no header, nothing named


def test_csv_header_is_detected_case_insensitively_and_columns_found_by_name(tmp_path):
    path = write(tmp_path / "x.csv", "id,Review,Sentiment\n1,fine,pos\n2,dull,neg\n")
    assert read_dataset(path).texts_and_labels() == (["fine", "dull"], ["pos", "neg"])


def test_glob_reads_several_files_in_sorted_order(tmp_path):
    write(tmp_path / "part-2.csv", "text,label\nc,z\n")
    write(tmp_path / "part-1.csv", "text,label\na,x\nb,y\n")
    data = read_dataset(str(tmp_path / "part-*.csv"))
    assert data.texts_and_labels() == (["a", "b", "c"], ["x", "y", "z"])
    assert [r.path.endswith(n) for r, n in zip(data.iter_rows(), ["part-1.csv"] * 2 + ["part-2.csv"])] == [True] * 3
    with pytest.raises(DataError, match="no file matches"):
        read_dataset(str(tmp_path / "nothing-*.csv"))


def test_tsv_quoting_none_keeps_quote_characters(tmp_path):
    path = write(tmp_path / "q.tsv", 'label\ttext\npos\t"quoted" start\nneg\tplain\n')
    assert read_dataset(path, quoting="none").texts_and_labels()[0] == ['"quoted" start', "plain"]


def test_format_inference_and_override(tmp_path):
    assert infer_format("a.csv") == "csv" and infer_format("a.tab") == "tsv" and infer_format("a.json") == "jsonl"
    assert infer_format("tfds:imdb_reviews") == "tfds" and infer_format(str(tmp_path)) == "folder"
    path = write(tmp_path / "data.txt", "text\tlabel\nhello\tgreeting\n")
    with pytest.raises(DataError, match="cannot infer the format"):
        read_dataset(path)
    assert read_dataset(path, format="tsv").texts_and_labels() == (["hello"], ["greeting"])
    with pytest.raises(ValueError, match="`format` must be one of"):
        read_dataset(path, format="parquet")
    with pytest.raises(ValueError, match=r"Unknown option\(s\) \['colour'\] for format='tsv'"):
        read_dataset(path, format="tsv", colour="red")


def test_streams_rows_instead_of_loading_the_file(tmp_path):
    """Only the first `check_rows` rows are read up front: a bad row further down surfaces while
    streaming, as a DataError in Python and as an InvalidArgumentError in tf.data."""
    rows = "".join(f"text {i},label{i % 2}\n" for i in range(50))
    path = write(tmp_path / "late.csv", "text,label\n" + rows + "one,too,many\n")
    data = read_dataset(path, check_rows=10, chunk_size=8)
    assert len(list(data.dataset.take(5))) == 5
    with pytest.raises(DataError, match=r"late\.csv:52: row has 3 field"):
        data.texts_and_labels()
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"late\.csv:52: row has 3 field"):
        list(data.dataset)


# -- JSON Lines --------------------------------------------------------------------------------


def test_jsonl_with_default_and_configured_keys(tmp_path):
    lines = [{"text": "good", "label": "pos", "title": "T1"}, {"text": "bad", "label": 0, "title": "T2"}]
    path = write(tmp_path / "a.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    assert read_dataset(path).texts_and_labels() == (["good", "bad"], ["pos", "0"])
    data = read_dataset(path, text_key=["title", "text"], label_key="label")
    assert data.texts_and_labels() == (["T1 good", "T2 bad"], ["pos", "0"])


def test_jsonl_multi_label_lists_and_json_arrays(tmp_path):
    path = write(tmp_path / "m.jsonl", '{"text": "a", "tags": ["x", "y"]}\n{"text": "b", "tags": "z"}\n')
    data = read_dataset(path, label_column="tags", label_delimiter="|")
    assert data.texts_and_labels() == (["a", "b"], ["x|y", "z"])
    array = write(tmp_path / "arr.json", json.dumps([{"sentence": "s1", "label": 1}]))
    assert read_dataset(array).texts_and_labels() == (["s1"], ["1"])


# -- TFDS (mocked: nothing downloads here) ------------------------------------------------------


@pytest.fixture
def mock_tfds():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=8):
        yield


@pytest.mark.usefixtures("mock_tfds")
def test_tfds_imdb_reviews_with_class_names():
    data = read_dataset("tfds:imdb_reviews")
    texts, labels = data.texts_and_labels()
    assert data.format == "tfds" and len(texts) == 8
    assert data.label_names == ["neg", "pos"] and set(labels) <= {"neg", "pos"}


@pytest.mark.usefixtures("mock_tfds")
def test_tfds_glue_sst2_split_and_ag_news_text_keys():
    texts, labels = read_dataset("tfds:glue/sst2:validation", limit=3).texts_and_labels()
    assert len(texts) == 3 and set(labels) <= {"negative", "positive"}
    data = read_dataset("tfds:ag_news_subset:test", text_column=["title", "description"])
    assert data.label_names == ["World", "Sports", "Business", "Sci/Tech"]
    title = data.dataset.map(lambda t, l: t).take(1).get_single_element().numpy().decode()
    assert " " in title  # title and description joined


def test_tfds_errors_are_data_errors(mock_tfds):
    with pytest.raises(DataError, match="cannot load the TFDS dataset 'no_such_dataset_xyz'"):
        read_dataset("tfds:no_such_dataset_xyz")
    with pytest.raises(DataError, match="no feature 'stars'"):
        read_dataset("tfds:imdb_reviews", label_key="stars")


# -- in memory ------------------------------------------------------------------------------------


def test_in_memory_lists_arrays_and_datasets():
    assert read_dataset((["great", "awful"], [1, 0])).texts_and_labels() == (["great", "awful"], ["1", "0"])
    texts = np.array([b"caf\xc3\xa9", b"x"], dtype=object)
    assert read_dataset(texts, labels=np.array(["a", "b"])).texts_and_labels() == (["café", "x"], ["a", "b"])
    ds = tf.data.Dataset.from_tensor_slices((["t1", "t2"], [3, 4]))
    assert read_dataset(ds).texts_and_labels() == (["t1", "t2"], ["3", "4"])
    multi = read_dataset((["a"], [["x", "y"]]), label_delimiter=",")
    assert multi.texts_and_labels() == (["a"], ["x,y"])


def test_in_memory_errors():
    with pytest.raises(DataError, match="2 texts but 1 labels"):
        read_dataset((["a", "b"], ["x"]))
    with pytest.raises(DataError, match=r"<memory>:1: empty label at index 1"):
        read_dataset((["a", "b"], ["x", " "]))
