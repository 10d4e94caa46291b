import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from keras_restext.cli.main import main
from keras_restext.export import load_keras_model
from tests.training.helpers import predict_in_fresh_python, write_tsv

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["predict"], ["export"], ["presets"]])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: restext" in capsys.readouterr().out


def test_presets_table(capsys):
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("auto ") and "classes" in lines[0]  # the default, then the presets
    assert lines[1].startswith("restext_base ")
    assert any(line.startswith("vdcnn_29 ") for line in lines)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`restext train` once for the module: tiny preset, 1 epoch, a few hundred rows."""
    folder = tmp_path_factory.mktemp("cli")
    files = {
        "train": write_tsv(folder / "train.tsv", 400, seed=0),
        "dev": write_tsv(folder / "dev.tsv", 60, seed=1),
        "test": write_tsv(folder / "test.tsv", 60, seed=2),
    }
    code = main([
        "train", "--train", str(files["train"]), "--validation", str(files["dev"]), "--test", str(files["test"]),
        "--preset", "restext_small", "--epochs", "1", "--learning-rate", "0.01", "--seed", "1", "--verbose", "0",
        "--output", str(folder / "run"), "--export", str(folder / "savedmodels" / "tiny"),
    ])  # fmt: skip
    assert code == 0
    return folder, files


TEXTS = ["great superb witty film", "", "boring, tedious and clumsy", "word7 " * 20_000, "ünïcödé 🎬 text"]


def test_train_exports_a_savedmodel_that_plain_tensorflow_serves(trained):
    folder, _ = trained
    version = folder / "savedmodels" / "tiny" / "1"
    expected = {
        "saved_model.pb", "variables", "model.keras", "labels.txt", "metrics.json",
        "model_card.md", "training_curves.png", "confusion_matrix.png",
    }  # fmt: skip
    assert expected <= set(os.listdir(version))
    assert not [n for n in os.listdir(version.parent) if n.startswith(".tmp")]

    fresh = predict_in_fresh_python(str(version), TEXTS)
    assert fresh["restext_imported"] == []
    in_memory = load_keras_model(str(version / "model.keras"))(tf.constant(TEXTS))["probabilities"].numpy()
    np.testing.assert_allclose(fresh["probabilities"], in_memory, atol=1e-5)
    assert fresh["label"][0] == "positive" and fresh["label"][2] == "negative"

    metrics = json.loads((version / "metrics.json").read_text())
    assert metrics["test"]["examples"] == 60 and metrics["preset"] == "restext_small"
    assert "## Metrics" in (version / "model_card.md").read_text()


def test_predict(trained, capsys, monkeypatch):
    folder, _ = trained
    model = str(folder / "savedmodels" / "tiny")
    assert main(["predict", "--model", model, "great superb witty film", "--top-k", "2"]) == 0
    label, probability, second, _, text = capsys.readouterr().out.rstrip("\n").split("\t")
    assert (label, second, text) == ("positive", "negative", "great superb witty film")
    assert 0.5 < float(probability) <= 1.0

    stdin = io.TextIOWrapper(io.BytesIO(b"boring tedious clumsy\n\n  \ngreat superb\n"), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    assert main(["predict", "--model", str(folder / "savedmodels" / "tiny" / "1" / "model.keras"), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in records] == ["boring tedious clumsy", "great superb"]  # blank lines are not texts
    assert records[0]["label"] == "negative" and records[1]["label"] == "positive"
    assert all(0.0 <= r["probability"] <= 1.0 for r in records)


def test_predict_reads_a_file_and_names_a_line_that_is_not_utf8(trained, capsys, tmp_path):
    folder, _ = trained
    model = str(folder / "savedmodels" / "tiny")
    texts = tmp_path / "texts.txt"
    texts.write_bytes(b"great superb\n\nboring tedious\n")
    assert main(["predict", "--model", model, "--file", str(texts)]) == 0
    assert [line.split("\t")[-1] for line in capsys.readouterr().out.splitlines()] == ["great superb", "boring tedious"]
    texts.write_bytes(b"great superb\nbad \xff byte\n")
    assert main(["predict", "--model", model, "--file", str(texts)]) == 2
    assert capsys.readouterr().err.strip() == f"restext: error: {texts}:2: a line that is not valid UTF-8; expected UTF-8 text"


def test_evaluate(trained, capsys):
    folder, files = trained
    model = str(folder / "savedmodels" / "tiny")
    assert main(["evaluate", "--model", model, "--data", str(files["test"]), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    recorded = json.loads((folder / "savedmodels" / "tiny" / "1" / "metrics.json").read_text())["test"]
    assert report["accuracy"] == pytest.approx(recorded["accuracy"])
    assert report["confusion_matrix"] == recorded["confusion_matrix"]
    assert set(report["per_class"]) == {"negative", "positive"}
    assert main(["evaluate", "--model", model, "--data", str(files["test"])]) == 0
    assert "macro-F1" in capsys.readouterr().out


def test_export_again(trained, capsys):
    folder, _ = trained
    base = folder / "reexported"
    keras_file = folder / "savedmodels" / "tiny" / "1" / "model.keras"
    assert main(["export", "--model", str(keras_file), "--export", str(base)]) == 0
    assert capsys.readouterr().out.strip() == f"restext: exported {base / '1'}"
    before = json.loads((folder / "savedmodels" / "tiny" / "1" / "metrics.json").read_text())
    after = json.loads((base / "1" / "metrics.json").read_text())
    assert after["test"] == before["test"]
    texts = tf.constant(TEXTS[:3])
    again = tf.saved_model.load(str(base / "1")).signatures["serving_default"](text=texts)
    original = tf.saved_model.load(str(folder / "savedmodels" / "tiny" / "1")).signatures["serving_default"](text=texts)
    np.testing.assert_allclose(again["probabilities"].numpy(), original["probabilities"].numpy(), atol=1e-6)


def test_export_again_from_an_export_folder_uses_its_keras_model(trained, capsys, tmp_path):
    folder, _ = trained
    assert main(["export", "--model", str(folder / "savedmodels" / "tiny"), "--export", str(tmp_path / "again")]) == 0
    assert capsys.readouterr().out.strip() == f"restext: exported {tmp_path / 'again' / '1'}"
    bare = tmp_path / "bare"  # a SavedModel that some other tool wrote: nothing to re-export from
    shutil.copytree(folder / "savedmodels" / "tiny" / "1", bare)
    (bare / "model.keras").unlink()
    assert main(["export", "--model", str(bare), "--export", str(tmp_path / "none")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith(f"restext: error: {bare}: a SavedModel without model.keras")


def _bad_inputs(tmp: Path, files: dict, model: str) -> dict:
    malformed = tmp / "malformed.csv"
    malformed.write_text('text,label\n"a fine film",positive\n"a dull film",negative,extra\n')
    unknown = tmp / "unknown.tsv"
    unknown.write_text("sentence\tlabel\ngreat film\tpositive\nodd film\tsurprised\n")
    png = tmp / "model.keras"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    control = tmp / "control.jsonl"
    control.write_text('{"text": "a fine film", "label": "pos"}\n{"text": "a dull\tfilm", "label": "neg"}\n')
    return {
        "missing file": (["train", "--train", str(tmp / "nope.tsv")], f"{tmp / 'nope.tsv'}: no such file"),
        "missing column": (
            ["train", "--train", str(files["train"]), "--text-column", "body"],
            f"{files['train']}:1: no column 'body'",
        ),
        "malformed row": (["train", "--train", str(malformed)], f"{malformed}:3: row has 3 field(s)"),
        "unknown label": (
            ["evaluate", "--model", model, "--data", str(unknown)],
            f"{unknown}:3: label 'surprised' was never seen",
        ),
        "malformed row, the flag to skip it": (
            ["train", "--train", str(malformed)], "quote fields that contain ',' or line breaks (or --on-bad-row skip)",
        ),
        "not a .keras file": (
            ["evaluate", "--model", str(png), "--data", str(unknown)],
            f"{png} is not a Keras model: a .keras file is a zip archive, this one starts with b'\\x89PNG",
        ),
        "raw control character in JSON": (
            ["train", "--train", str(control)],
            f"{control}:2: invalid JSON (a raw control character U+0009 inside a string at character 17: escape it "
            "(\\u0009), or close the string before it: an unterminated string (a missing closing quote)",
        ),
    }


BAD_INPUTS = ["missing file", "missing column", "malformed row", "unknown label", "malformed row, the flag to skip it",
              "not a .keras file", "raw control character in JSON"]  # fmt: skip


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_one_line_and_exit_code_2(case, trained, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default run folder, runs/, must not be created by a failed run anyway
    folder, files = trained
    argv, expected = _bad_inputs(tmp_path, files, str(folder / "savedmodels" / "tiny"))[case]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    if case == "malformed row, the flag to skip it":
        assert lines[0].endswith(expected), captured.err
    else:
        assert lines[0].startswith(f"restext: error: {expected}"), captured.err
    assert not (tmp_path / "runs").exists()


def test_on_bad_row_skip_trains_on_the_other_rows(tmp_path, capsys, caplog):
    data = tmp_path / "train.tsv"
    rows = write_tsv(tmp_path / "rows.tsv", 60).read_text().splitlines()
    data.write_text("\n".join([*rows[:20], "a row without its label", *rows[20:]]) + "\n")
    argv = ["train", "--train", str(data), "--preset", "restext_small", "--epochs", "1", "--verbose", "0",
            "--output", str(tmp_path / "run")]  # fmt: skip
    assert main(argv) == 2
    assert main([*argv, "--on-bad-row", "skip"]) == 0
    assert "restext: 60 train examples" in capsys.readouterr().out
    warnings = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert warnings == [f"{data}: skipped 1 row(s): 1 wrong number of fields"], warnings  # said once, not once a pass


def test_a_file_that_is_not_utf8_is_reported_once(tmp_path, caplog):
    data = tmp_path / "latin1.tsv"
    data.write_bytes(b"sentence\tlabel\n" + b"".join(b"caf\xe9 film %d\t%d\n" % (i, i % 2) for i in range(40)))
    argv = ["train", "--train", str(data), "--preset", "restext_small", "--epochs", "2", "--verbose", "0",
            "--output", str(tmp_path / "run")]  # fmt: skip
    assert main(argv) == 0
    warnings = [r.getMessage() for r in caplog.records if "not valid UTF-8" in r.getMessage()]
    assert warnings == [f"{data}: 40 line(s) or file(s) were not valid UTF-8; bad bytes replaced with U+FFFD"]


def test_label_names_name_the_classes_the_model_predicts(tmp_path, capsys):
    data = write_tsv(tmp_path / "train.tsv", 120)
    raw = tmp_path / "raw.tsv"  # the same rows with labels 0/1, as SST-2 has them
    raw.write_text(data.read_text().replace("\tnegative", "\t0").replace("\tpositive", "\t1"))
    export = tmp_path / "savedmodels" / "named"
    assert main(["train", "--train", str(raw), "--test", str(raw), "--preset", "restext_small", "--epochs", "1",
                 "--verbose", "0", "--output", str(tmp_path / "run"), "--export", str(export),
                 "--label-names", "0=negative,1=positive"]) == 0  # fmt: skip
    assert (export / "1" / "labels.txt").read_text().split() == ["negative", "positive"]
    capsys.readouterr()
    assert main(["predict", "--model", str(export), "a great film"]) == 0
    assert capsys.readouterr().out.split("\t")[0] in ("negative", "positive")
    assert main(["evaluate", "--model", str(export), "--data", str(raw), "--label-names", "0=negative,1=positive",
                 "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["examples"] == 120
    with pytest.raises(SystemExit):
        main(["train", "--train", str(raw), "--label-names", "0=negative,1"])
    assert "--label-names: expected LABEL=NAME pairs separated by commas, got '1'" in capsys.readouterr().err


def test_bad_input_from_the_shell_has_no_traceback(trained, tmp_path):
    folder, files = trained
    argv, expected = _bad_inputs(tmp_path, files, str(folder / "savedmodels" / "tiny"))["unknown label"]
    result = subprocess.run(
        [sys.executable, "-m", "keras_restext.cli.main", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    # Exactly one line: TensorFlow's C++ start-up lines are kept out too (keras_restext.cli.quiet_import).
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"restext: error: {expected}")


def test_usage_errors_exit_with_2(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train"]) == 2  # --train (or --task for several tasks) is required
    assert "give --train (one task), or --task" in capsys.readouterr().err
    assert main(["train", "--train", "x.tsv", "--preset", "nope"]) == 2
    assert "Allowed presets" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # argparse's own usage error
        main(["train", "--train", "x.tsv", "--validation-fraction", "1"])
    assert info.value.code == 2
    assert "--validation-fraction: expected a number in [0, 1), received '1'" in capsys.readouterr().err


def test_a_data_error_raised_inside_tf_data_keeps_its_line():
    from keras_restext.cli.main import _data_error_line

    message = (
        "{{function_node __wrapped__IteratorGetNext}} DataError: big.csv:1502: row has 3 field(s); "
        "expected 2 fields as in the header\nTraceback (most recent call last): ..."
    )
    assert _data_error_line(message) == "big.csv:1502: row has 3 field(s); expected 2 fields as in the header"
    assert _data_error_line("some other TensorFlow failure") is None


def test_deep_loss_weight_reaches_the_run_settings(tmp_path, capsys):
    data = write_tsv(tmp_path / "train.tsv", 80)
    export = tmp_path / "savedmodels" / "deep"
    argv = ["train", "--train", str(data), "--epochs", "1", "--max-length", "16", "--verbose", "0",
            "--output", str(tmp_path / "run"), "--export", str(export)]  # fmt: skip
    assert main([*argv, "--deep-loss-weight", "0.5"]) == 0
    run = json.loads((tmp_path / "run" / "run.json").read_text())  # the settings the model trained with
    assert run["resolved"]["model"]["deep_loss_weight"] == 0.5
    assert (export / "1" / "saved_model.pb").exists()
    # Without a wide branch the deep logits are the model's own: the model's ValueError, one line, exit code 2.
    assert main([*argv, "--preset", "restext_small", "--deep-loss-weight", "1", "--output", str(tmp_path / "small")]) == 2
    assert "--deep-loss-weight needs a wide branch" in capsys.readouterr().err  # the flag, not `deep_loss_weight`
    with pytest.raises(SystemExit) as info:
        main([*argv, "--deep-loss-weight", "-1"])
    assert info.value.code == 2
    assert "--deep-loss-weight: expected a number >= 0, received '-1'" in capsys.readouterr().err


@pytest.mark.parametrize("flag, value", [("--deep-loss-weight", "inf"), ("--deep-loss-weight", "nan"),
                                         ("--learning-rate", "inf"), ("--validation-fraction", "nan")])
def test_float_flags_refuse_infinity_and_nan(tmp_path, capsys, flag, value):
    # float() parses both; no setting means them, and a NaN loss weight would train to NaN weights.
    with pytest.raises(SystemExit) as info:
        main(["train", "--train", str(write_tsv(tmp_path / "train.tsv", 8)), flag, value])
    assert info.value.code == 2
    assert f"{flag}: expected a" in capsys.readouterr().err
