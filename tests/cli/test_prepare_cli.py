"""`restext prepare`, then `restext train` on the prepared folder."""

import json

import pytest

from keras_restext.cli.main import main
from tests.data.helpers import head_lines


@pytest.fixture
def mr_slice(shared_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    head_lines(shared_data / "mr" / "train.csv", tmp_path / "train.csv", 301)
    head_lines(shared_data / "mr" / "test.csv", tmp_path / "test.csv", 101)
    return tmp_path


def test_prepare_then_train_on_the_prepared_folder(mr_slice, capsys):
    assert main(["prepare", "--train", "train.csv", "--output", "prepared", "--shards", "3", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    manifest = json.loads((mr_slice / "prepared" / "manifest.json").read_text())
    assert f"prepared 300 examples (negative {manifest['labels']['counts']['negative']}" in out
    assert len(manifest["shards"]) == 3
    argv = ["train", "--train", "prepared", "--test", "test.csv", "--preset", "restext_small", "--epochs", "1",
            "--verbose", "0", "--output", "run"]  # fmt: skip
    assert main(argv) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_prepare_with_a_preset_stores_token_ids(mr_slice, capsys):
    argv = ["prepare", "--train", "train.csv", "--output", "ids", "--shards", "2", "--preset", "restext_small",
            "--max-length", "32"]  # fmt: skip
    assert main(argv) == 0
    manifest = json.loads((mr_slice / "ids" / "manifest.json").read_text())
    assert manifest["token_ids"]["config"]["max_length"] == 32


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--output", "out"], "--output 'out' is not empty: prepare writes into a new or empty folder"),
        (["--output", "new", "--preset", "restext_small", "--tokenizer", "word"], "--preset and --tokenizer exclude"),
        (["--output", "new", "--max-length", "9"], "--max-length applies to the token ids of --preset or --tokenizer"),
    ],
)
def test_bad_settings_are_one_line_errors(mr_slice, capsys, argv, expected):
    (mr_slice / "out").mkdir()
    (mr_slice / "out" / "keep.txt").write_text("mine")
    assert main(["prepare", "--train", "train.csv", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"restext: error: {expected}") and err.count("\n") == 1
