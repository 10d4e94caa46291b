"""`tune`: a small search writes its reports, a killed search resumes its study, the budget holds,
and every point of the search space is a recipe `train()` builds."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState

from keras_restext.data import make_tokenizer
from keras_restext.models import resolve_model_config
from keras_restext.models.auto_preset import choose_preset
from keras_restext.models.backbone import check_word_ngrams
from keras_restext.training import TrainConfig, train
from keras_restext.training.tune import tune
from keras_restext.training.tune_space import SearchSpace
from keras_restext.training.tune_study import (
    KEPT_FILES,
    WORKER,
    PruneByEpoch,
    default_storage,
    fail_killed_trials,
    trial_line,
)
from tests.training.helpers import texts_and_labels, write_tsv

TINY = {"presets": ("restext_small",), "max_epochs": 2, "log": None}


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A 3-trial search of restext_small on 200 synthetic rows, with test data."""
    folder = tmp_path_factory.mktemp("tune")
    train = write_tsv(folder / "train.tsv", 200)
    test = write_tsv(folder / "test.tsv", 60, seed=1)
    result = tune(str(train), test=str(test), n_trials=3, output=str(folder / "run"), **TINY)
    return folder, result


def test_a_small_search_writes_its_reports(searched):
    folder, result = searched
    run = folder / "run"
    assert [trial.number for trial in result.study.trials] == [0, 1, 2]
    assert all(trial.state in (TrialState.COMPLETE, TrialState.PRUNED) for trial in result.study.trials)
    with open(run / "trials.csv") as file:
        rows = list(csv.DictReader(file))
    assert [row["number"] for row in rows] == ["0", "1", "2"] and "params_learning_rate" in rows[0]
    assert (run / "optimization_history.png").stat().st_size > 0
    assert (run / "param_importances.png").stat().st_size > 0
    for trial in result.study.trials:  # only the small files are kept
        assert set(os.listdir(run / "trials" / str(trial.number))) <= set(KEPT_FILES)
    best = json.loads((run / "best.json").read_text())
    assert best == json.loads(json.dumps(result.best_options))
    assert best["train"] == str(folder / "train.tsv") and best["preset"] == "restext_small"
    # No validation file: the final run trains on every row for the chosen recipe's epochs.
    assert best["epochs"] == result.best_trial.params["epochs"] == result.final.epochs_run
    assert result.best_trial is result.choice.trial
    assert result.final.sizes["train"] == 200 and "test" in result.final.metrics


def test_the_first_trial_is_the_default_recipe(searched):
    _, result = searched
    space = SearchSpace(presets=TINY["presets"], max_epochs=TINY["max_epochs"])
    # auto picks restext_base for these short texts, which this search leaves out: restext_small's recipe.
    assert result.study.trials[0].params == space.preset_params("restext_small")


def test_a_search_that_keeps_the_default_trains_the_model_train_trains(tmp_path):
    train_file = str(write_tsv(tmp_path / "train.tsv", 200))
    texts, _ = texts_and_labels(40, seed=3)
    result = tune(train_file, n_trials=1, output=str(tmp_path / "run"), **TINY)
    space = SearchSpace(presets=TINY["presets"], max_epochs=TINY["max_epochs"])
    alone = train(train=train_file, **space.options(space.preset_params("restext_small")), seed=0,
                  output=str(tmp_path / "alone"), tensorboard=False, verbose=0, log=None)  # fmt: skip
    assert result.best_trial.number == 0
    assert result.final.classifier.predict(texts, verbose=0).tolist() == alone.classifier.predict(texts, verbose=0).tolist()


def test_a_killed_search_resumes_the_same_study(tmp_path):
    train = str(write_tsv(tmp_path / "train.tsv", 200))
    output = str(tmp_path / "run")
    first = tune(train, n_trials=2, output=output, **TINY)
    kept = [(trial.number, trial.datetime_start, trial.value) for trial in first.study.trials]
    # A search killed mid-trial leaves that trial RUNNING in the database.
    study = optuna.load_study(study_name="restext", storage=default_storage(output))
    killed = study.ask().number
    again = tune(train, n_trials=3, output=output, **TINY)
    trials = again.study.trials
    assert [trial.number for trial in trials] == [0, 1, 2, 3]  # numbered on, none run twice
    assert [(t.number, t.datetime_start, t.value) for t in trials[:2]] == kept
    assert killed == 2 and trials[2].state == TrialState.FAIL
    assert trials[3].state in (TrialState.COMPLETE, TrialState.PRUNED)
    assert trials[3].params != trials[0].params  # auto's recipe ran once


def test_the_budget_stops_the_search_within_one_trial(tmp_path):
    train = str(write_tsv(tmp_path / "train.tsv", 200))
    budget = 3.0
    result = tune(train, budget=budget, output=str(tmp_path / "run"), **TINY)
    trials = result.study.trials
    start = trials[0].datetime_start
    longest = max(trial.duration.total_seconds() for trial in trials)
    assert trials and all((trial.datetime_start - start).total_seconds() <= budget for trial in trials)
    assert (trials[-1].datetime_complete - start).total_seconds() <= budget + longest + 1.0


def test_a_shared_study_fails_only_the_trials_of_this_machine_s_dead_processes(tmp_path):
    study = optuna.create_study(storage=default_storage(str(tmp_path)), study_name="restext")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True)
    workers = [f"{socket.gethostname()}:{dead.stdout.strip()}", f"{socket.gethostname()}:{os.getppid()}", "elsewhere:1"]
    for worker in workers:
        study.ask().set_user_attr(WORKER, worker)
    said = []
    assert fail_killed_trials(study, shared=True, say=said.append) == [0]  # alive, or another machine's: kept
    assert [trial.state for trial in study.trials] == [TrialState.FAIL, TrialState.RUNNING, TrialState.RUNNING]
    assert said == ["restext: trial(s) 0 of a killed search marked failed; the search goes on"]
    assert fail_killed_trials(study, shared=False, say=said.append) == [1, 2]  # the run folder's own study


class _AlwaysPrune(optuna.pruners.BasePruner):
    def prune(self, study, trial):
        return True


def test_a_trial_the_pruner_gives_up_on_stops_after_its_epoch(tmp_path):
    texts, labels = texts_and_labels(100)
    study = optuna.create_study(direction="maximize", pruner=_AlwaysPrune())

    def objective(trial):
        result = train(train=(texts[:80], labels[:80]), validation=(texts[80:], labels[80:]), preset="restext_small",
                       epochs=3, output=str(tmp_path / "run"), verbose=0, log=None, callbacks=[PruneByEpoch(trial)])
        return result.metrics["validation"]["accuracy"]

    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED and list(trial.intermediate_values) == [1]
    assert trial_line(trial).startswith("restext: trial 0: pruned after epoch 1 (")


def test_a_failed_trial_s_line_says_why():
    trial = optuna.trial.create_trial(
        state=TrialState.FAIL, params={"learning_rate": 0.009}, user_attrs={"error": "Training diverged"},
        distributions={"learning_rate": optuna.distributions.FloatDistribution(3e-4, 1e-2, log=True)},
    )  # fmt: skip
    assert trial_line(trial).endswith(": failed (Training diverged) in 0s: learning_rate 0.009")


@pytest.mark.parametrize("characters", [False, True])
def test_every_point_of_the_space_is_a_recipe_train_builds(characters):
    space = SearchSpace(characters=characters)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(40):
        options = space.options(space.sample(study.ask()))
        config = TrainConfig.from_options(train="unused", **options).resolved()
        model = resolve_model_config(options["preset"], **options["model_overrides"])  # checks the heads
        check_word_ngrams(model["word_ngrams"], make_tokenizer(**config["tokenizer"]))
    drawn = {trial.params["preset"] for trial in study.trials}
    assert ("vdcnn_9" in drawn) == characters and {"restext_base", "dpcnn", "restext_deep32"} <= drawn


@pytest.mark.parametrize("median_words", [10, 200])
def test_auto_s_first_trial_reproduces_its_recipe(median_words):
    choice = choose_preset([" ".join(["word"] * median_words)] * 3, num_classes=2)
    options = SearchSpace().options(SearchSpace().first_params(choice))
    searched = TrainConfig.from_options(**options).resolved()
    auto = TrainConfig.from_options(preset=choice.preset, model_overrides=choice.overrides).resolved()
    assert (searched["tokenizer"], searched["training"]) == (auto["tokenizer"], auto["training"])
    # The model's settings, over the defaults (the search names some that the preset leaves to them).
    model = resolve_model_config(choice.preset, **choice.overrides)
    assert resolve_model_config(options["preset"], **options["model_overrides"]) == model


def test_bad_limits_name_the_argument(tmp_path):
    train = str(write_tsv(tmp_path / "train.tsv", 20))
    with pytest.raises(ValueError, match="budget"):
        tune(train, output=str(tmp_path / "run"), **TINY)
    with pytest.raises(ValueError, match="n_trials"):
        tune(train, n_trials=0, output=str(tmp_path / "run"), **TINY)
    with pytest.raises(ValueError, match="train_options"):
        tune(train, n_trials=1, train_options={"epochs": 3}, output=str(tmp_path / "run"), **TINY)
    with pytest.raises(ValueError, match="Unknown preset"):
        tune(train, n_trials=1, output=str(tmp_path / "run"), **{**TINY, "presets": ("nope",)})
    assert not (tmp_path / "run").exists()  # nothing is written before the search can start

