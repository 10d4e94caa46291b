"""`restext audit` on the command line: suspects.csv with files and lines, the top ones printed,
the missing extra and bad settings as one line and exit 2."""

from __future__ import annotations

import csv
import sys

import pytest

from keras_restext.cli import audit as audit_command
from keras_restext.cli.audit import INSTALL
from keras_restext.cli.main import main
from keras_restext.training.audit import RANKINGS
from tests.training.test_audit import planted_flips


@pytest.fixture
def noisy_tsv(tmp_path):
    """A TSV of two classes of distinct vocabularies, 10% of the labels flipped; its flipped rows."""
    texts, given, flipped = planted_flips(80, seed=1)
    path = tmp_path / "train.tsv"
    path.write_text("sentence\tlabel\n" + "".join(f"{t}\t{l}\n" for t, l in zip(texts, given)), encoding="utf-8")
    return path, texts, given, flipped


def test_audit_writes_suspects_csv_with_files_and_lines(noisy_tsv, tmp_path, capsys):
    path, texts, given, _ = noisy_tsv
    out = tmp_path / "audit"
    argv = ["audit", "--train", str(path), "--folds", "2", "--preset", "restext_small", "--epochs", "1",
            "--output", str(out), "--top", "3"]  # fmt: skip
    assert main(argv) == 0
    with open(out / "suspects.csv", newline="", encoding="utf-8") as file:
        suspects = list(csv.DictReader(file))
    assert suspects, "no suspect at all"
    assert list(suspects[0]) == ["rank", "row", "file", "line", "given_label", "suggested_label", "score", "text"]
    file_lines = path.read_text(encoding="utf-8").splitlines()
    for suspect in suspects:
        row = int(suspect["row"])
        assert suspect["file"] == str(path) and int(suspect["line"]) == row + 2  # the header is line 1
        assert file_lines[int(suspect["line"]) - 1] == f"{suspect['text']}\t{suspect['given_label']}"
        assert (suspect["text"], suspect["given_label"]) == (texts[row], given[row])
    out_lines = capsys.readouterr().out.splitlines()
    shown = min(3, len(suspects))
    assert out_lines[-shown - 1].startswith(f"restext: audit: {len(suspects)} suspects in {out / 'suspects.csv'}")
    first = suspects[0]
    where = f"{path}:{first['line']}"
    assert out_lines[-shown].startswith(f"   1. {where}  {first['given_label']} -> {first['suggested_label']}")


def test_without_cleanlab_audit_says_how_to_install_it(monkeypatch, noisy_tsv, capsys):
    monkeypatch.setitem(sys.modules, "cleanlab", None)  # `import cleanlab` raises ImportError
    assert main(["audit", "--train", str(noisy_tsv[0])]) == 2
    assert capsys.readouterr().err == f"restext: error: {INSTALL}\n"
    assert "pip install 'keras_restext[audit]'" in INSTALL


@pytest.mark.parametrize(
    "flags, expected",
    [(["--folds", "1"], "--folds must be an int >= 2. Received: --folds 1"),
     (["--folds", "81"], "--folds must be at most the number of training examples (80). Received: --folds 81"),
     (["--preset", "nope"], "Unknown preset 'nope'. Allowed presets: ")],
)  # fmt: skip
def test_bad_settings_are_one_line_and_exit_2(noisy_tsv, flags, expected, capsys):
    assert main(["audit", "--train", str(noisy_tsv[0]), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"restext: error: {expected}") and err.count("\n") == 1


def test_missing_training_data_is_one_line(tmp_path, capsys):
    assert main(["audit", "--train", str(tmp_path / "missing.tsv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("restext: error: ") and "missing.tsv" in err and err.count("\n") == 1


def test_the_command_offers_the_library_s_rankings():
    assert audit_command.RANKINGS == RANKINGS
