"""Bad input, round two (issue 50): nothing silently cut, merged or mixed; every failure one line.

Each class of failure has its test, over the cases an adversary would try next: every control
character (not only NUL), every wide encoding and compression, every way a column or a label can be
ambiguous, every kind of non-text value, every reader for blank texts.
"""

import bz2
import codecs
import gzip
import json
import logging
import lzma
import math
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data import DataError, LabelVocabulary, make_tokenizer, read_dataset
from keras_restext.errors import ArgumentError
from tests.data.helpers import write

# -- 1. Text is text: control characters are spaces in training and in serving, never a cut ----------

CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\x85", "\x9f"]
WORDS = ["a lyrical terrible awful boring film", "a lyrics good fine film", "ical ics"]
TOKENIZERS = {
    "word": dict(kind="word", max_length=16),
    "word_cased_kept_punctuation": dict(kind="word", lowercase=False, punctuation="keep", max_length=16),
    "char": dict(kind="char", max_length=64),
    "char_cased": dict(kind="char", lowercase=False, max_length=64),
    "char_vdcnn": dict(kind="char", alphabet="vdcnn", max_length=64),
    "wordpiece": dict(kind="wordpiece", vocab_size=60, max_length=16),
}


def _tokenizer(name: str):
    config = dict(TOKENIZERS[name])
    return make_tokenizer(config.pop("kind"), **config).adapt(WORDS)


@pytest.mark.parametrize("name", sorted(TOKENIZERS))
@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_control_character_is_a_space_never_a_cut(name, control):
    tokenizer = _tokenizer(name)
    texts = [f"a lyr{control}ical terrible", f"a lyr{control}ics good", "a lyr ical terrible"]
    ids = tokenizer(tf.constant(texts)).numpy().tolist()
    assert ids[0] != ids[1]  # today, NUL: both were the ids of "a lyr"
    assert ids[0] == ids[2]  # the control character is a space, in every tokenizer kind


def test_bytes_mode_keeps_every_byte():
    tokenizer = make_tokenizer("char", mode="bytes", max_length=16)
    ids = tokenizer(tf.constant(["a\x00b", "a\x00c"])).numpy().tolist()
    assert ids == [[ord("a") + 2, 2, ord("b") + 2], [ord("a") + 2, 2, ord("c") + 2]]


def test_tab_newline_and_return_stay_white_space():
    tokenizer = _tokenizer("char_cased")
    ids = tokenizer(tf.constant(["a\tb\nc\rd"])).numpy()[0].tolist()
    assert ids[1] == ids[3] == ids[5] == 1  # out of the vocabulary: kept, not spaces (" " is in it)


@pytest.fixture(scope="module")
def nul_serving_model():
    from keras_restext import build_resnet_classifier
    from keras_restext.serving import build_serving_model

    keras.utils.set_random_seed(0)
    tokenizer = make_tokenizer("word", max_length=16).adapt(WORDS)
    classifier = build_resnet_classifier(2, tokenizer.vocabulary_size(), preset="restext_small", head_dropout=0.0)
    return build_serving_model(tokenizer, classifier, ["negative", "positive"])


NUL_TEXTS = [
    "a lyr\x00ical terrible awful boring", "a lyr\x00ics good fine", "a lyr ical terrible awful boring", "a lyr",
]  # fmt: skip


def test_the_saved_model_reads_past_a_nul_as_training_does(tmp_path, nul_serving_model):
    from keras_restext.serving import export_saved_model

    path = export_saved_model(nul_serving_model, str(tmp_path / "1"))
    served = tf.saved_model.load(path).signatures["serving_default"](text=tf.constant(NUL_TEXTS))["probabilities"]
    served = served.numpy()
    trained = nul_serving_model(tf.constant(NUL_TEXTS))["probabilities"].numpy()
    np.testing.assert_allclose(served, trained, atol=1e-5)  # parity: training side and serving side
    np.testing.assert_allclose(served[0], served[2], atol=1e-6)  # NUL = a space
    assert not np.allclose(served[0], served[1], atol=1e-4)  # two texts that share "a lyr" differ
    assert not np.allclose(served[0], served[3], atol=1e-4)  # and neither is read as "a lyr"


@pytest.mark.parametrize("name", ["word", "char"])
def test_the_litert_tokenizers_and_spec_follow_the_same_rule(name):
    from keras_restext.export.litert_tokenizers import convertible_tokenizer
    from keras_restext.export.tokenization import tokenization_spec

    tokenizer = _tokenizer(name)
    texts = tf.constant([f"a lyr{c}ical terrible" for c in CONTROLS] + ["a lyr ical terrible"])
    np.testing.assert_array_equal(convertible_tokenizer(tokenizer)(texts).numpy(), tokenizer(texts).numpy())
    assert "Replace every control character with a space: U+0000-U+0008" in tokenization_spec(tokenizer)


# -- 2. The encoding is detected (BOM) or refused in one line; compressed files are read ----------

ROWS = [("crème brûlée, très bien", "pos"), ("日本語 awful", "neg"), ("a \"quoted\", film", "pos")]
CSV = "text,label\n" + "".join(f'"{t.replace(chr(34), chr(34) * 2)}",{label}\n' for t, label in ROWS)
TSV = "sentence\tlabel\n" + "".join(f"{t}\t{label}\n" for t, label in ROWS)
JSONL = "".join(json.dumps({"text": t, "label": label}, ensure_ascii=False) + "\n" for t, label in ROWS)
WIDE = ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]
BOM = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-le": codecs.BOM_UTF32_LE,
       "utf-32-be": codecs.BOM_UTF32_BE}  # fmt: skip
FILES = {"csv": CSV, "tsv": TSV, "jsonl": JSONL}
EXPECTED = ([t for t, _ in ROWS], [label for _, label in ROWS])


@pytest.mark.parametrize("suffix", sorted(FILES))
@pytest.mark.parametrize("encoding", WIDE)
@pytest.mark.parametrize("on_bad_row", ["error", "skip"])
def test_utf16_and_utf32_with_a_bom_are_read(tmp_path, suffix, encoding, on_bad_row):
    path = write(tmp_path / f"data.{suffix}", BOM[encoding] + FILES[suffix].encode(encoding))
    data = read_dataset(path, on_bad_row=on_bad_row)
    assert data.texts_and_labels() == EXPECTED  # today: "row has 3 fields", or, with skip, garbage rows
    assert data.skipped == 0 and data.decode_errors == 0


@pytest.mark.parametrize("encoding", WIDE)
def test_wide_text_without_a_bom_is_one_line_naming_the_encoding(tmp_path, encoding):
    path = write(tmp_path / "data.csv", CSV.encode(encoding))
    with pytest.raises(DataError, match=f"looks like {encoding.upper()} text without a byte-order mark") as info:
        read_dataset(path, on_bad_row="skip")
    assert "iconv -f" in str(info.value) and info.value.path == str(path)
    assert read_dataset(path, encoding=encoding).texts_and_labels() == EXPECTED  # the library can say which


def test_bad_utf16_bytes_are_replaced_and_counted_or_named(tmp_path):
    broken = "text,label\n".encode("utf-16-le") + b"\x00\xd8" + "ok,pos\nfine,neg\n".encode("utf-16-le")
    path = write(tmp_path / "broken.csv", codecs.BOM_UTF16_LE + broken)  # a lone surrogate on line 2
    data = read_dataset(path)
    assert data.texts_and_labels() == (["\ufffdok", "fine"], ["pos", "neg"]) and data.decode_errors == 1
    with pytest.raises(DataError, match=r"broken\.csv:2: bytes that are not valid utf-16-le"):
        read_dataset(path, encoding_errors="strict")


@pytest.mark.parametrize("kind, compress", [("gzip", gzip.compress), ("bzip2", bz2.compress), ("xz", lzma.compress)])
@pytest.mark.parametrize("suffix", sorted(FILES))
def test_compressed_files_are_read(tmp_path, kind, compress, suffix):
    path = write(tmp_path / f"data.{suffix}", compress(FILES[suffix].encode("utf-8")))
    assert read_dataset(path).texts_and_labels() == EXPECTED


def test_an_archive_or_damaged_compressed_data_is_one_line(tmp_path):
    rows = "".join(f"film {i * 7919 % 10007},{i % 3}\n" for i in range(2000))  # compresses little: a cut loses rows
    whole = gzip.compress(("text,label\n" + rows).encode())
    cut = write(tmp_path / "cut.csv", whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"cut\.csv: the gzip data is damaged or cut short .*; expected a whole gzip"):
        read_dataset(cut).texts_and_labels()
    with zipfile.ZipFile(tmp_path / "data.csv", "w") as archive:
        archive.writestr("data.csv", CSV)
    with pytest.raises(DataError, match=r"data\.csv: the file is a zip archive; expected a text file: decompress it"):
        read_dataset(tmp_path / "data.csv")


def test_a_folder_reads_boms_and_compressed_documents(tmp_path):
    write(tmp_path / "root" / "pos" / "a.txt", codecs.BOM_UTF16_LE + "très bien".encode("utf-16-le"))
    write(tmp_path / "root" / "pos" / "b.txt", codecs.BOM_UTF8 + "good".encode())
    write(tmp_path / "root" / "neg" / "c.txt", gzip.compress("awful".encode()))
    data = read_dataset(tmp_path / "root", shuffle_files=False)
    assert data.texts_and_labels() == (["awful", "très bien", "good"], ["neg", "pos", "pos"])
    write(tmp_path / "wide" / "pos" / "a.txt", "no mark at all".encode("utf-16-le"))
    with pytest.raises(DataError, match=r"a\.txt: the file looks like UTF-16-LE text without a byte-order mark"):
        read_dataset(tmp_path / "wide").texts_and_labels()


def test_a_json_array_in_utf16(tmp_path):
    array = json.dumps([{"text": t, "label": label} for t, label in ROWS], ensure_ascii=False)
    path = write(tmp_path / "data.json", codecs.BOM_UTF16_LE + array.encode("utf-16-le"))
    assert read_dataset(path).texts_and_labels() == EXPECTED


# -- 3. A column a user names (or the reader finds by name) is one column -------------------------


@pytest.mark.parametrize(
    "header, options, problem",
    [
        ("text,label,label", {}, r"the label column 'label' is ambiguous: the header has columns 'label' \(1\) and "
                                 r"'label' \(2\); expected unique column names, or label_column= a 0-based index"),
        ("text,Label,label ", {}, r"the label column 'label' is ambiguous: the header has columns 'Label' \(1\) and "
                                  r"'label ' \(2\)"),
        ("text,text,label", {}, r"the text column 'text' is ambiguous: the header has columns 'text' \(0\) and "
                                r"'text' \(1\); expected unique column names, or text_column= a 0-based index"),
        ("body,body,y", {"text_column": "body"}, r"text_column='body' is ambiguous"),
        ("a,cat,Cat", {"text_column": "a", "label_column": "CAT"}, r"label_column='CAT' is ambiguous"),
        ("title,body,label", {"text_column": ["title", "title"]}, r"text_column=\['title', 'title'\] names column "
                                                                  r"'title' \(0\) twice"),
    ],
)  # fmt: skip
def test_an_ambiguous_column_is_one_line_naming_the_columns(tmp_path, header, options, problem):
    path = write(tmp_path / "cols.csv", f"{header}\nx,y,z\n")
    with pytest.raises(DataError, match=r"cols\.csv:1: " + problem):
        read_dataset(path, **options)


def test_an_exact_name_or_an_index_is_not_ambiguous(tmp_path):
    path = write(tmp_path / "cols.csv", "text,Label,label\nfilm,a,b\n")
    assert read_dataset(path, label_column="label").texts_and_labels() == (["film"], ["b"])
    assert read_dataset(path, label_column=1).texts_and_labels() == (["film"], ["a"])


def test_a_json_key_given_twice_is_a_bad_row(tmp_path):
    lines = [
        '{"text": "a", "label": "x"}', '{"text": "b", "label": "x", "label": "y"}',
        '{"text": "c", "text": "d", "label": "z"}', '{"text": "e", "id": 1, "id": 2, "label": "x"}',
    ]  # fmt: skip
    path = write(tmp_path / "twice.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"twice\.jsonl:2: the object has the key 'label' more than once"):
        read_dataset(path)
    data = read_dataset(path, on_bad_row="skip")
    assert data.texts_and_labels() == (["a", "e"], ["x", "x"])  # a repeated key no one reads is no problem
    assert data.skipped_reasons == {"key given twice": 2}


# -- 4. A JSON value that is not text is a bad row, not its Python repr ----------------------------


@pytest.mark.parametrize(
    "value, kind",
    [({"a": 1}, "an object"), ([1, 2], "a list"), (["a", "b"], "a list"), (3.5, "a number"), (7, "a number"),
     (True, "a boolean")],
)  # fmt: skip
def test_a_json_text_that_is_not_a_string_is_one_line(tmp_path, value, kind):
    lines = [{"text": "fine", "label": "x"}, {"text": value, "label": "y"}, {"text": "ok", "label": "x"}]
    path = write(tmp_path / "values.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(DataError, match=rf"values\.jsonl:2: the text in key 'text' is {kind} \(") as info:
        read_dataset(path)
    assert "expected a string (or null: an empty text) (or on_bad_row='skip')" in str(info.value)
    data = read_dataset(path, on_bad_row="skip")
    assert data.texts_and_labels() == (["fine", "ok"], ["x", "x"]) and data.skipped_reasons == {"text not a string": 1}


def test_a_null_text_is_still_an_empty_text_and_an_object_label_a_bad_row(tmp_path):
    path = write(tmp_path / "null.jsonl", '{"text": null, "label": "x"}\n{"text": "a", "label": "y"}\n')
    assert read_dataset(path).texts_and_labels() == (["", "a"], ["x", "y"])
    path = write(tmp_path / "label.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": {"name": "y"}}\n')
    with pytest.raises(DataError, match=r"label\.jsonl:2: the label in key 'label' is an object \({'name': 'y'}\)"):
        read_dataset(path)


def test_in_memory_values_follow_the_same_rules():
    with pytest.raises(DataError, match=r"<memory>:1: the text at index 1 is an object"):
        read_dataset((["fine", {"a": 1}, "ok"], ["x", "y", "x"]))
    with pytest.raises(DataError, match=r"<memory>:1: the label at index 1 is an object"):
        read_dataset((["fine", "bad", "ok"], ["x", {"a": 1}, "x"]))
    # A NaN label (a missing value in pandas) is an empty label, not the class "nan".
    with pytest.raises(DataError, match=r"<memory>:1: empty label at index 1"):
        read_dataset((["fine", "odd", "ok"], [1.0, math.nan, 0.0]))


# -- 5. A text column blank in every row is one line naming the file; no crash --------------------


@pytest.mark.parametrize("blank", ["", "   ", "\t", "\x00\x01"], ids=["empty", "spaces", "tab", "controls"])
def test_a_blank_text_column_is_one_line_naming_the_file(tmp_path, blank):
    rows = "".join(f'"{blank}",{i % 2}\n' for i in range(40))
    path = write(tmp_path / "blank.csv", "text,label\n" + rows)
    with pytest.raises(DataError, match=r"blank\.csv: the text is empty or only white space in all 40 rows "
                                        r"\(column 'text' \(0\)\); expected texts to learn from"):  # fmt: skip
        read_dataset(path)


def test_every_reader_checks_for_blank_texts_as_it_streams(tmp_path):
    path = write(tmp_path / "blank.jsonl", "".join('{"text": " ", "label": "x"}\n' for _ in range(30)))
    data = read_dataset(path, check_rows=5)  # longer than the rows checked at once: found as it streams
    with pytest.raises(DataError, match=r"blank\.jsonl: the text is empty or only white space in all 30 rows"):
        LabelVocabulary.from_data(data)
    with pytest.raises(tf.errors.InvalidArgumentError, match="the text is empty or only white space"):
        list(data.dataset)
    write(tmp_path / "root" / "pos" / "a.txt", " ")
    write(tmp_path / "root" / "neg" / "b.txt", "")
    with pytest.raises(DataError, match=r"root: the text is empty or only white space in all 2 rows \(the files"):
        read_dataset(tmp_path / "root").texts_and_labels()
    with pytest.raises(DataError, match=r"<memory>: the text is empty or only white space in all 2 rows"):
        read_dataset((["", " "], ["x", "y"]))
    # One text is enough: blank texts among others are allowed (and padded).
    assert read_dataset((["", "a film"], ["x", "y"])).texts_and_labels()[0] == ["", "a film"]


@pytest.mark.parametrize("kind", ["word", "char", "wordpiece"])
def test_adapt_on_texts_without_a_token_is_one_line(kind):
    tokenizer = make_tokenizer(kind)
    blank = ["", ""] if kind == "char" else ["", "  ", "\x00"]  # a space is a character
    with pytest.raises(DataError, match=r"no \w+ in any text: every text is empty, white space or control"):
        tokenizer.adapt(blank)  # today: "keys and values cannot be empty tensors" (wordpiece: StopIteration)
    if kind != "wordpiece":
        with pytest.raises(ArgumentError, match=r"`min_count` leaves no \w+: none is seen 5 times or more") as info:
            make_tokenizer(kind, min_count=5).adapt(["a film", "b"])
        assert info.value.argument == "min_count"


def test_a_batch_of_texts_without_a_token_does_not_crash_the_pipeline():
    # The last tokenization batch (1024 texts) holds only empty texts: unbatching its [n, 0] ids
    # crashed the process (a segmentation fault) on every tokenizer. Run apart: a crash is a failure.
    code = """
import tensorflow as tf
from keras_restext.data import LabelVocabulary, build_pipeline, make_tokenizer, read_dataset
data = read_dataset((["a film"] + [""] * 1100, ["x", "y"] * 550 + ["x"]))
tokenizer = make_tokenizer("char", alphabet="vdcnn")
for options in ({}, {"bucket": True}, {"static_shapes": True}):
    batches = list(build_pipeline(data, tokenizer, LabelVocabulary.from_data(data), batch_size=256, **options))
    assert sum(int(ids.shape[0]) for ids, _ in batches) == (1024 if options.get("static_shapes") else 1101), options
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]


# -- 6. Labels: no renaming merges, invents or blanks a class --------------------------------------

TREC = "".join(f"{label}\tquestion {i} about {label.lower()}\n" for i, label in enumerate(["DESC", "ENTY", "HUM"] * 4))


@pytest.fixture()
def trec(tmp_path):
    return write(tmp_path / "trec.tsv", TREC)


@pytest.mark.parametrize(
    "names, problem",
    [
        ({"DESC": "ENTY"}, "renames 'DESC' to 'ENTY', which is another label of .*trec.tsv \\(not renamed\\): their "
                           "classes would merge"),
        ({"DESC": "x", "NUM": "y"}, "names the label 'NUM', which .*trec.tsv does not have \\(its labels: DESC, ENTY, "
                                    "HUM\\)"),
    ],
)  # fmt: skip
def test_a_renaming_that_merges_or_invents_a_class_is_one_line(trec, names, problem):
    data = read_dataset(trec).with_label_names(names)
    with pytest.raises(ArgumentError, match="`label_names` " + problem) as info:
        LabelVocabulary.from_data(data)
    assert info.value.argument == "label_names"


def test_a_renaming_that_swaps_or_names_every_class_is_fine(trec):
    swapped = read_dataset(trec).with_label_names({"DESC": "ENTY", "ENTY": "DESC"})
    assert LabelVocabulary.from_data(swapped).names == ["DESC", "ENTY", "HUM"]
    assert swapped.texts_and_labels()[1][:3] == ["ENTY", "DESC", "HUM"]
    assert [label.decode() for _, label in swapped.dataset.take(3).as_numpy_iterator()] == ["ENTY", "DESC", "HUM"]


@pytest.mark.parametrize(
    "names, problem",
    [
        ({"0": "a", "1": "a "}, "gives the labels '0' and '1' the same name 'a': their classes would merge"),
        ({"0": " "}, "gives the label '0' an empty name"),
        ({"0": "neg\tative"}, r"gives the label '0' the name 'neg\\tative', which has a control character \(U\+0009\)"),
        ({"0": "neg", " 0": "pos"}, "names the label '0' twice"),
    ],
)  # fmt: skip
def test_a_renaming_that_collides_or_blanks_is_one_line_at_once(names, problem):
    with pytest.raises(ArgumentError, match="`label_names` " + problem):
        read_dataset((["a", "b"], ["0", "1"])).with_label_names(names)


def test_zero_renamed_to_one_blames_the_argument_not_the_file(tmp_path):
    from keras_restext.cli.main import main

    path = write(tmp_path / "sst2.tsv", "sentence\tlabel\n" + "".join(f"film {i}\t{i % 2}\n" for i in range(20)))
    with pytest.raises(ArgumentError, match="`label_names` renames '0' to '1', which is another label"):
        LabelVocabulary.from_data(read_dataset(path).with_label_names({"0": "1"}))
    assert main(["train", "--train", str(path), "--label-names", "0=1", "--output", str(tmp_path / "run")]) == 2


def test_a_folder_s_classes_are_checked_when_renamed(tmp_path):
    write(tmp_path / "root" / "pos" / "a.txt", "good")
    write(tmp_path / "root" / "neg" / "b.txt", "bad")
    data = read_dataset(tmp_path / "root")
    with pytest.raises(ArgumentError, match="names the label 'positive', which .*root does not have"):
        data.with_label_names({"positive": "good"})
    with pytest.raises(ArgumentError, match="renames 'pos' to 'neg'"):
        data.with_label_names({"pos": "neg"})
    assert data.with_label_names({"pos": "positive"}).label_names == ["neg", "positive"]


def test_multi_label_fields_are_renamed_part_by_part():
    data = read_dataset((["a", "b"], ["0|1", "1"]), label_delimiter="|").with_label_names({"0": "neg", "1": "pos"})
    assert data.texts_and_labels()[1] == ["neg|pos", "pos"]
    assert [label.decode() for _, label in data.dataset.as_numpy_iterator()] == ["neg|pos", "pos"]
    assert LabelVocabulary.from_data(data).names == ["neg", "pos"]


@pytest.mark.parametrize("label", ["pos\\u0007", "pos\\u0000x", "a\\tb", "x\\u2028y"])
def test_a_label_with_a_control_character_is_one_line_with_its_row(tmp_path, label):
    path = write(tmp_path / "labels.jsonl", '{"text": "a", "label": "neg"}\n{"text": "b", "label": "' + label + '"}\n')
    with pytest.raises(DataError, match=r"labels\.jsonl:2: label .* has a control character \(U\+[0-9A-F]{4}\)"):
        LabelVocabulary.from_data(read_dataset(path))


# -- 7. --on-bad-row skip is suggested only where skipping would help ------------------------------


def test_skip_is_suggested_for_a_broken_row_not_for_a_broken_file(tmp_path, caplog):
    one_bad = write(tmp_path / "one.csv", "text,label\ngood,pos\nbad, really,neg\nok,pos\n")
    with pytest.raises(DataError, match=r"\(or on_bad_row='skip'\)$"):
        read_dataset(one_bad)
    # Every text has an unquoted comma: the file's quoting is wrong, not a row.
    unquoted = write(tmp_path / "unquoted.csv", "text,label\n" + "".join(f"film {i}, really,pos\n" for i in range(9)))
    with pytest.raises(DataError, match=r"unquoted\.csv:2: row has 3 field\(s\)") as info:
        read_dataset(unquoted)
    assert "on_bad_row" not in str(info.value) and "quote fields that contain ','" in str(info.value)
    # And skipping them is refused: it would leave nothing of the file but a count of skipped rows.
    with caplog.at_level(logging.WARNING, logger="keras_restext.data"):
        with pytest.raises(DataError, match=r"unquoted\.csv:2: row has 3 field\(s\).*; so are the 8 other rows of "
                                            r"the first 9: nothing is left to read when skipping them"):  # fmt: skip
            read_dataset(unquoted, on_bad_row="skip")
    assert "skipped" not in caplog.text  # the error is the one line


def test_an_empty_label_column_is_no_case_for_skipping(tmp_path):
    path = write(tmp_path / "nolabels.tsv", "sentence\tlabel\n" + "".join(f"film {i}\t \n" for i in range(5)))
    with pytest.raises(DataError, match=r"nolabels\.tsv:2: empty label in column 'label' \(1\); expected a label in "
                                        r"every row$"):  # fmt: skip
        read_dataset(path)
    with pytest.raises(DataError, match=r"<memory>:0: empty label at index 0; expected a label for every text$"):
        read_dataset((["a", "b", "c"], ["", "", "x"]))
    with pytest.raises(DataError, match=r"to skip and count such items\)$"):
        read_dataset((["a", "b", "c"], ["x", "", "y"]))


def test_skipping_rows_without_a_label_is_never_refused(tmp_path):
    # A multi-task file's column for one task may start further down: its rows before have no label.
    path = write(tmp_path / "sparse.tsv", "sentence\tlabel\n" + "a\t \n" * 5 + "b\tx\nc\ty\n")
    data = read_dataset(path, on_bad_row="skip", check_rows=5)
    assert data.texts_and_labels() == (["b", "c"], ["x", "y"]) and data.skipped_reasons == {"empty label": 5}
