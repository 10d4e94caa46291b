"""The C++ (`tf.data`) readers: the same examples in the same order as the Python readers, on
slices of the shared sets and on awkward files; the Python reader kept where they would differ;
remote paths through `tf.io.gfile` (`ram://`); a file list each worker reads its share of."""

import bz2
import gzip
import shutil
from pathlib import Path

import pytest
import tensorflow as tf

from keras_restext.data import read_dataset
from keras_restext.data.errors import DataError
from tests.data.helpers import head_lines, write

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def examples(dataset: tf.data.Dataset) -> list[tuple[bytes, bytes]]:
    return [(text, label) for text, label in dataset.as_numpy_iterator()]


def assert_same_as_python(path, **options) -> None:
    """`read_dataset(path)` trains on tf.data's readers, and they read what the Python reader reads."""
    native = read_dataset(path, **options)
    python = read_dataset(path, native=False, **options)
    assert native.reader == "tf.data" and python.reader == "python"
    assert examples(native.dataset) == examples(python.dataset)
    assert native.texts_and_labels() == python.texts_and_labels()
    assert (native.skipped_reasons, native.decode_errors) == (python.skipped_reasons, python.decode_errors)


@pytest.mark.parametrize("name", ["mr/train.csv", "trec/train.tsv", "sst2/train.tsv"])
def test_shared_sets_read_the_same(tmp_path, name):
    path = head_lines(SHARED / name, tmp_path / name.replace("/", "-"), 400)
    assert_same_as_python(path)


def test_shared_folder_with_a_non_utf8_file_reads_the_same(tmp_path):
    root = tmp_path / "news"
    for group in ("alt.atheism", "sci.space"):
        source = SHARED / "20news" / "train" / group
        for name in sorted(p.name for p in source.iterdir())[:15]:
            shutil.copy(source / name, (root / group).mkdir(parents=True, exist_ok=True) or root / group / name)
    write(root / "sci.space" / "latin1.txt", "Caf\xe9 au lait in orbit".encode("latin-1"))
    assert_same_as_python(root)
    data = read_dataset(root)
    assert data.decode_errors == 1 and "Caf\ufffd au lait in orbit" in data.texts_and_labels()[0]
    assert [t for t, _ in examples(data.dataset)] == [t.encode() for t in data.texts_and_labels()[0]]


def test_quoting_line_breaks_crlf_bom_bad_bytes_and_several_text_columns(tmp_path):
    content = (
        b'\xef\xbb\xbftitle,body,label\r\n"a ""quoted"" title","body with, comma",pos\r\n'
        b'"two\nlines",caf\xe9 bad byte,neg\r\nplain,text,pos\r\n'
    )
    path = write(tmp_path / "awkward.csv", content)
    assert_same_as_python(path, text_column=["title", "body"])
    data = read_dataset(path, text_column=["title", "body"])
    assert examples(data.dataset)[1] == ("two\nlines caf\ufffd bad byte".encode(), b"neg")
    assert data.decode_errors == 1


def test_skipped_rows_are_skipped_in_graph_too(tmp_path):
    content = "text,label\ngood,pos\n\nbad, really,neg\nno label, \nok,pos\n   \nlast,neg\n"
    path = write(tmp_path / "bad.csv", content)
    assert_same_as_python(path, on_bad_row="skip")
    assert read_dataset(path, on_bad_row="skip").skipped_reasons == {
        "blank line": 2, "wrong number of fields": 1, "empty label": 1,
    }  # fmt: skip


def test_gzip_is_read_by_tf_data_bz2_by_python(tmp_path):
    rows = "text,label\n" + "".join(f"row {i},{i % 2}\n" for i in range(50))
    assert_same_as_python(write(tmp_path / "rows.csv.gz", gzip.compress(rows.encode())))
    packed = read_dataset(write(tmp_path / "rows.csv.bz2", bz2.compress(rows.encode())))
    assert packed.reader == "python" and len(packed.texts_and_labels()[0]) == 50


def test_what_csv_reads_differently_keeps_the_python_reader(tmp_path):
    # Python's csv keeps a quote inside an unquoted field; CsvDataset and decode_csv refuse it.
    path = write(tmp_path / "quote.csv", 'text,label\nsay a"b,pos\nfine,neg\n')
    data = read_dataset(path)
    assert data.reader == "python"
    assert data.texts_and_labels() == (['say a"b', "fine"], ["pos", "neg"])


def test_a_bad_row_past_the_first_check_still_fails_with_its_line(tmp_path):
    rows = "text,label\n" + "".join(f"row {i},pos\n" for i in range(30)) + "broken,row,here\n"
    data = read_dataset(write(tmp_path / "late.csv", rows), check_rows=5)
    assert data.reader == "python"  # the first pass found the bad row: its error comes when it is read
    with pytest.raises(DataError, match=r"late\.csv:32: row has 3 field\(s\)"):
        data.texts_and_labels()


def test_ram_filesystem_paths_and_globs_read_through_gfile():
    folder = "ram://native-test/data"
    tf.io.gfile.makedirs(folder)
    for part in range(2):
        with tf.io.gfile.GFile(f"{folder}/part-{part}.csv", "w") as f:
            f.write("text,label\n" + "".join(f"part{part} row {i},{i % 2}\n" for i in range(5)))
    data = read_dataset(f"{folder}/part-*.csv")
    assert data.reader == "tf.data"
    assert data.files == (f"{folder}/part-0.csv", f"{folder}/part-1.csv")
    assert len(examples(data.dataset)) == 10 and data.texts_and_labels()[0][5] == "part1 row 0"


def test_each_worker_reads_every_nth_file(tmp_path):
    for part in range(4):
        write(tmp_path / f"part-{part}.tsv", "sentence\tlabel\n" + "".join(f"p{part} r{i}\t{i % 2}\n" for i in range(3)))
    data = read_dataset(str(tmp_path / "part-*.tsv")).with_label_names({"0": "neg", "1": "pos"})
    shards = [data.for_worker(2, index) for index in range(2)]
    read = [{text.split()[0] for text, _ in examples(shard.dataset)} for shard in shards]
    assert read == [{b"p0", b"p2"}, {b"p1", b"p3"}]
    assert {label for _, label in examples(shards[0].dataset)} == {b"neg", b"pos"}  # the renaming kept
    with pytest.raises(ValueError, match="cannot be sharded by file over 5 workers"):
        data.for_worker(5, 0)
