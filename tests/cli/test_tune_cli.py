"""`restext tune` on the command line, and `restext train --config best.json`."""

from __future__ import annotations

import functools
import json
import sys

import pytest

import keras_restext.training.tune as tune_module
from keras_restext.cli.config_file import with_config_file
from keras_restext.cli.main import build_parser, main
from keras_restext.cli.tune import INSTALL, duration
from keras_restext.training import TrainConfig
from tests.cli.test_imports import RUN_CLI, _python
from tests.training.helpers import write_tsv


@pytest.fixture
def tiny_search(monkeypatch):
    """`restext tune` searches restext_small for at most 2 epochs (the CLI reads `tune` when it runs)."""
    monkeypatch.setattr(tune_module, "tune", functools.partial(tune_module.tune, presets=("restext_small",), max_epochs=2))


def test_tune_then_train_its_best_json_again(tiny_search, tmp_path, capsys):
    train = str(write_tsv(tmp_path / "train.tsv", 200))
    test = str(write_tsv(tmp_path / "test.tsv", 60, seed=1))
    run = tmp_path / "run"
    assert main(["tune", "--train", train, "--test", test, "--trials", "2", "--output", str(run), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("restext: trial ")]
    assert [line.split(":")[1] for line in lines] == [" trial 0", " trial 1"]
    assert all("learning_rate" in line and line.rstrip().endswith(tuple("0123456789")) for line in lines)
    assert "test accuracy" in out.splitlines()[-1]
    final = json.loads((run / "final" / "metrics.json").read_text())

    again = tmp_path / "again"
    assert main(["train", "--config", str(run / "best.json"), "--output", str(again), "--verbose", "0"]) == 0
    record = json.loads((again / "metrics.json").read_text())
    assert record["config"] == final["config"] and record["preset"] == final["preset"]
    assert record["history"]["loss"] == pytest.approx(final["history"]["loss"], rel=1e-4)  # the same run
    assert record["test"]["accuracy"] == final["test"]["accuracy"]


def test_config_values_are_defaults_that_flags_override(tmp_path):
    config_file = tmp_path / "best.json"
    config_file.write_text(json.dumps({
        "train": "a.tsv", "seed": 3, "preset": "dpcnn", "epochs": 2, "text_column": "sentence",
        "model_overrides": {"deep_loss_weight": 1.0, "drop_path": 0.2}, "tokenizer_overrides": {"ngrams": 3},
    }))  # fmt: skip
    args = build_parser().parse_args(["train", "--seed", "0", "--config", str(config_file), "--deep-loss-weight", "0.5"])
    assert (args.train, args.seed, args.preset, args.epochs) == ("a.tsv", 0, "dpcnn", 2)  # --seed 0 wins
    flags = TrainConfig.from_options(model_overrides={"deep_loss_weight": 0.5}, text_column="title")
    config = with_config_file(flags, args)
    assert config.model.overrides == {"deep_loss_weight": 0.5, "drop_path": 0.2}
    assert config.tokenizer.overrides == {"ngrams": 3} and config.data.text_column == "title"
    assert with_config_file(TrainConfig(), args).data.text_column == "sentence"


def test_a_config_file_that_is_not_train_options_is_refused(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"train": "a.tsv", "epoch": 3}))
    assert main(["train", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"restext: error: --config {bad}: Unknown training option(s) 'epoch'") and "\n" not in err
    bad.write_text("[1, 2]")
    with pytest.raises(SystemExit) as exit:
        main(["train", "--config", str(bad)])
    assert exit.value.code == 2 and "expected one JSON object" in capsys.readouterr().err


def test_without_optuna_tune_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "optuna", None)  # `import optuna` raises ImportError
    train = str(write_tsv(tmp_path / "train.tsv", 20))
    assert main(["tune", "--train", train, "--trials", "1", "--output", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err.strip() == f"restext: error: {INSTALL}"
    assert "pip install 'keras_restext[tune]'" in INSTALL


@pytest.mark.parametrize(
    "flags, message",
    [
        ([], "Give the search a --budget (seconds) or --trials, or both"),
        (["--trials", "1", "--validation", "v.tsv", "--validation-fraction", "0.2"], "give --validation or"),
        (["--trials", "1", "--label-column", "topic=label"], "restext tune trains one task"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(flags, message, tmp_path, capsys):
    train = str(write_tsv(tmp_path / "train.tsv", 20))
    assert main(["tune", "--train", train, "--output", str(tmp_path / "run"), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("restext: error: ") and message in err and err.count("\n") == 1
    assert main(["tune", "--train", str(tmp_path / "missing.tsv"), "--trials", "1"]) == 2
    assert capsys.readouterr().err.startswith(f"restext: error: {tmp_path / 'missing.tsv'}")


def test_budget_takes_seconds_minutes_and_hours(capsys):
    assert [duration(value) for value in ("45", "90s", "20m", "1.5h")] == [45.0, 90.0, 1200.0, 5400.0]
    for value in ("0", "-1m", "20x", "m", "inf"):
        with pytest.raises(SystemExit) as exit:
            main(["tune", "--train", "a.tsv", "--budget", value])
        assert exit.value.code == 2
    assert "expected a duration > 0" in capsys.readouterr().err


def test_tune_help_imports_no_tensorflow():
    result = _python("-c", RUN_CLI, "tune", "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--budget" in result.stdout
    assert json.loads(result.stdout.strip().splitlines()[-1])["heavy"] == []
