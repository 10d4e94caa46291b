import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext import ResTextClassifier
from keras_restext.data import DataError
from keras_restext.training import TrainConfig, train
from tests.training.helpers import clean_log, write_csv, write_tsv
from tests.training.test_backup import write_fake_backup

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_files(tmp_path):
    return {
        "train": write_tsv(tmp_path / "train.tsv", 300, seed=0),
        "validation": write_tsv(tmp_path / "dev.tsv", 60, seed=1),
        "test": write_tsv(tmp_path / "test.tsv", 60, seed=2),
    }


def test_train_evaluates_and_exports(tmp_path, small_files):
    result = train(
        train=str(small_files["train"]),
        validation=str(small_files["validation"]),
        test=str(small_files["test"]),
        preset="restext_small",
        epochs=2,
        learning_rate=5e-3,
        output=str(tmp_path / "run"),
        export=str(tmp_path / "savedmodels" / "synthetic"),
        verbose=0,
        log=None,
    )
    assert result.labels.names == ["negative", "positive"]
    assert set(result.metrics) == {"validation", "test"}
    assert result.metrics["test"]["examples"] == 60
    assert result.metrics["test"]["accuracy"] > 0.8  # the cue words are easy
    assert result.epochs_run == 2 and result.initial_epoch == 0 and result.best_epoch in (1, 2)
    assert result.export_path == str(tmp_path / "savedmodels" / "synthetic" / "1")
    assert not (tmp_path / "run" / "backup").exists()  # removed once fit completed
    assert (tmp_path / "run" / "history.csv").is_file()
    assert list((tmp_path / "run" / "logs").rglob("events.out.tfevents.*"))

    # The SavedModel computes what the in-memory model computes, on raw strings.
    texts = ["great superb film", "", "dull " * 20000, "word1 word2 boring"]
    expected = result.serving_model(tf.constant(texts))["probabilities"].numpy()
    loaded = tf.saved_model.load(result.export_path).signatures["serving_default"]
    outputs = loaded(text=tf.constant(texts))
    np.testing.assert_allclose(outputs["probabilities"].numpy(), expected, atol=1e-5)
    assert outputs["label"].numpy().tolist()[0] == b"positive"
    # train's classifier is the task model: raw strings in, the export's probabilities out.
    assert isinstance(result.classifier, ResTextClassifier)
    assert result.classifier.preprocessor.labels == ["negative", "positive"]
    np.testing.assert_allclose(result.classifier.predict(texts, verbose=0), expected, atol=1e-5)
    metrics = json.loads(Path(result.export_path, "metrics.json").read_text())
    assert metrics["test"]["accuracy"] == pytest.approx(result.metrics["test"]["accuracy"])
    assert len(metrics["history"]["loss"]) == 2


def test_validation_fraction_holds_out_a_stratified_share(tmp_path):
    result = train(
        TrainConfig.from_options(train=str(write_csv(tmp_path / "train.csv", 200)), preset="restext_small", epochs=1, verbose=0),
        validation_fraction=0.1,
        output=str(tmp_path / "run"),
        log=None,
    )
    assert result.metrics["validation"]["examples"] == 20
    assert (tmp_path / "run" / "model.keras").is_file()  # no --export: the model is still saved


def test_without_validation_every_example_trains_and_the_last_epoch_is_kept(tmp_path):
    last_epoch = {}

    class LastWeights(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            last_epoch["weights"] = [w.copy() for w in self.model.get_weights()]

    result = train(
        train=str(write_csv(tmp_path / "train.csv", 200)), preset="restext_small", epochs=2, patience=1,
        learning_rate=0.05, output=str(tmp_path / "run"), verbose=0, tensorboard=False, log=None,
        callbacks=[LastWeights()],
    )  # fmt: skip
    assert "validation" not in result.metrics and "val_accuracy" not in result.history
    assert result.epochs_run == result.best_epoch == 2  # no early stopping, nothing restored
    for kept, last in zip(result.classifier.get_weights(), last_epoch["weights"], strict=True):
        np.testing.assert_array_equal(kept, last)
    assert not (tmp_path / "run" / "best.weights.h5").exists()
    with pytest.raises(ValueError, match=r"`validation_fraction` must be in \[0, 1\). Received: validation_fraction=1"):
        TrainConfig.from_options(train="x.csv", preset="restext_base", validation_fraction=1).resolved()


def test_unseen_test_label_is_reported_before_training(tmp_path, small_files):
    test = tmp_path / "test.tsv"
    test.write_text("sentence\tlabel\nfine\tpositive\nodd\tsurprised\n")
    with pytest.raises(DataError) as info:
        train(train=str(small_files["train"]), test=str(test), preset="restext_small", output=str(tmp_path), log=None)
    assert info.value.path == str(test) and info.value.line == 3


def test_bad_settings_are_explained(small_files):
    with pytest.raises(ValueError, match="Allowed presets"):
        TrainConfig.from_options(train=str(small_files["train"]), preset="nope").resolved()
    with pytest.raises(ValueError, match="`epochs` must be an int >= 1"):
        TrainConfig.from_options(train=str(small_files["train"]), preset="restext_base", epochs=0).resolved()


def test_a_tokenizer_that_the_trunk_does_not_read_is_refused_before_training(tmp_path, small_files):
    with pytest.raises(ValueError, match=r"`word_ngrams=2` makes the trunk read the words of a WordTokenizer\(ngrams=2\)"):
        train(train=str(small_files["train"]), preset="restext_base", tokenizer_overrides={"ngrams": 3},
              output=str(tmp_path / "run"), log=None, verbose=0, tensorboard=False)  # fmt: skip
    assert not list((tmp_path / "run").glob("**/*.weights.h5"))
    assert not (tmp_path / "run").exists()  # refused before the run folder is made


def test_steps_per_execution_changes_speed_not_results(tmp_path, small_files):
    def history(steps_per_execution: int) -> dict:
        result = train(
            train=str(small_files["train"]), validation=str(small_files["validation"]), preset="restext_small",
            epochs=2, steps_per_execution=steps_per_execution, output=str(tmp_path / f"run{steps_per_execution}"),
            model_overrides={"head_dropout": 0.0},  # dropout draws its masks in another order
            verbose=0, log=None, tensorboard=False,
        )  # fmt: skip
        return result.history

    one, many = history(1), history(4)  # 300 examples / 32 = 10 steps: 4 + 4 + a partial call of 2
    for key in ("loss", "val_loss", "val_accuracy"):
        # The first epoch is step for step the same; after it Keras' iteration of the data differs a
        # little (the second epoch's loss by about 0.3%).
        np.testing.assert_allclose(many[key][0], one[key][0], rtol=1e-5)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(many[key], one[key], rtol=0.03)
    with pytest.raises(ValueError, match="`steps_per_execution` must be an int >= 1. Received: steps_per_execution=0"):
        TrainConfig.from_options(train=str(small_files["train"]), preset="restext_base", steps_per_execution=0).resolved()


def test_a_backup_of_another_run_is_not_resumed(tmp_path, small_files):
    run = tmp_path / "run"
    write_fake_backup(run / "backup", epoch=1)
    (run / "run.json").write_text('{"train": "something else"}')
    with pytest.raises(ValueError, match="holds the backup of a different run"):
        train(train=str(small_files["train"]), preset="restext_small", output=str(run), verbose=0, log=None)


@pytest.mark.slow
def test_a_killed_run_resumes_after_its_last_finished_epoch(tmp_path):
    # Epochs of a few seconds, so that the kill lands after epoch 1 and well before the last one.
    train_file = write_tsv(tmp_path / "train.tsv", 2000, seed=0, words=50)
    dev_file = write_tsv(tmp_path / "dev.tsv", 100, seed=1, words=50)
    output = tmp_path / "run"
    command = [
        sys.executable, "-m", "keras_restext.cli.main", "train",
        "--train", str(train_file), "--validation", str(dev_file),
        "--preset", "restext_small", "--epochs", "3", "--patience", "3",
        "--output", str(output), "--verbose", "2",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    metadata = output / "backup" / "state.json"

    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    def written(path):  # the file exists once Keras opens it; kill only after its JSON is complete
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    first = subprocess.Popen(command, cwd=tmp_path, env=env, **pipes)
    deadline = time.time() + 120
    while written(metadata) is None and first.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)  # as hard as a preempted machine: no clean-up runs
    first_log = clean_log(first.communicate(timeout=30)[0])
    assert first.returncode == -signal.SIGKILL, first_log
    finished = json.loads(metadata.read_text())["epoch"]
    assert 1 <= finished < 3, first_log
    assert "Epoch 1/3" in first_log

    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    log = clean_log(second.stdout + second.stderr)
    assert second.returncode == 0, log
    assert f"resuming from the backup in {output / 'backup'} after epoch {finished}" in log
    assert "Epoch 1/3" not in log  # it did not start over
    assert f"Epoch {finished + 1}/3" in log and "Epoch 3/3" in log
    assert not (output / "backup").exists()  # fit completed: the backup is gone
    history = (output / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == ["0", "1", "2"]  # one row per epoch, across both runs


def test_in_memory_data(tmp_path):
    from tests.training.helpers import texts_and_labels

    train_pair, test_pair = texts_and_labels(200, seed=0), texts_and_labels(40, seed=1)
    result = train(
        train=train_pair, test=test_pair, preset="restext_small", epochs=1, learning_rate=1e-2, verbose=0,
        output=str(tmp_path / "run"), export=str(tmp_path / "export"), log=None, tensorboard=False,
    )  # fmt: skip
    assert result.metrics["test"]["examples"] == 40
    card = Path(result.export_path, "model_card.md").read_text()
    assert "- train: in-memory data (200 examples)" in card and "word" not in card.split("## Model")[0]
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["train"].startswith("sha256:")


def test_the_wide_branch_weighs_tokens_by_the_training_texts_idf(tmp_path, small_files):
    result = train(
        train=str(small_files["train"]),
        preset="restext_small",
        model_overrides={"wide_scale": 2.0},
        epochs=1,
        output=str(tmp_path / "run"),
        verbose=0,
        log=None,
    )
    texts = [line.split("\t")[0] for line in small_files["train"].read_text().splitlines()[1:]]
    ids = result.tokenizer(texts).numpy()
    idf = np.asarray(result.classifier.get_layer("probabilities_wide_logits").idf)
    distinct = [set(row[row > 0].tolist()) for row in ids]
    for token in np.unique(ids[ids > 0])[:20]:
        df = sum(token in row for row in distinct)
        assert idf[token] == pytest.approx(np.log((1 + len(texts)) / (1 + df)) + 1, rel=1e-5)
    assert idf[0] == 0


@pytest.mark.parametrize("words, chosen", [(8, "restext_base"), (120, "dpcnn")])
def test_train_defaults_to_auto_and_records_its_choice(tmp_path, words, chosen):
    """`train` without a preset picks one from the data (here the texts' lengths), says so in one
    line, and records the choice in metrics.json, the model card and the export."""
    train_file = write_tsv(tmp_path / "train.tsv", 64, seed=0, words=words)
    logged = []
    result = train(
        train=str(train_file), epochs=1, max_length=160, output=str(tmp_path / "run"),
        export=str(tmp_path / "savedmodels" / "auto"), verbose=0, log=logged.append,
        tokenizer_overrides={"max_tokens": 2000},
    )  # fmt: skip
    lines = [line for line in logged if line.startswith("restext: auto: ")]
    assert len(lines) == 1 and lines[0].startswith(f"restext: auto: {chosen}")
    assert result.config["model"].get("deep_loss_weight", 0.0) == (1.0 if chosen == "dpcnn" else 0.0)
    for folder in (tmp_path / "run", Path(result.export_path)):
        record = json.loads((folder / "metrics.json").read_text())
        assert record["preset"] == chosen
        assert record["training"]["preset chosen by auto"].startswith(chosen)
    assert "preset chosen by auto" in (Path(result.export_path) / "model_card.md").read_text()
