"""`choose_trial`: the default's recipe is kept unless a trial leads it by more than the noise of
the validation split."""

from __future__ import annotations

import optuna
import pytest

from keras_restext.training.tune_choice import choose_trial, noise_margin

DEFAULT = {"preset": "restext_base", "learning_rate": 0.002}
OTHER = {"preset": "dpcnn", "learning_rate": 0.001}


def _study(values: dict, *, default_value: float | None) -> optuna.Study:
    """A study whose first trial is the enqueued default (when `default_value` is given), then one
    trial per `values` entry: learning rate -> value."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(direction="maximize")
    scores = dict(values)
    if default_value is not None:
        study.enqueue_trial(DEFAULT)
        scores[DEFAULT["learning_rate"]] = default_value

    def objective(trial: optuna.Trial) -> float:
        trial.suggest_categorical("preset", ["restext_base", "dpcnn"])
        rate = trial.suggest_categorical("learning_rate", sorted(scores))
        return scores[rate]

    for rate in values:
        study.enqueue_trial({"preset": "dpcnn", "learning_rate": rate})
    study.optimize(objective, n_trials=len(scores))
    return study


def test_the_margin_is_one_standard_error_of_the_difference():
    assert noise_margin(0.9, 0.9, 500) == pytest.approx((2 * 0.09 / 500) ** 0.5)
    assert noise_margin(0.8, 0.85, 4000) < noise_margin(0.8, 0.85, 1000)  # more examples, less noise
    with pytest.raises(ValueError, match="Received: n=0"):
        noise_margin(0.8, 0.9, 0)


def test_a_lead_within_the_noise_keeps_the_default():
    study = _study({0.001: 0.908}, default_value=0.892)  # 1.6 points on 546 examples: margin 1.8
    choice = choose_trial(study, DEFAULT, n_validation=546)
    assert choice.trial.params == DEFAULT and choice.best.params == OTHER
    assert choice.kept_default and "kept the default, trial 0" in choice.describe()


def test_a_lead_beyond_the_noise_takes_the_best_trial():
    study = _study({0.001: 0.908}, default_value=0.892)
    choice = choose_trial(study, DEFAULT, n_validation=5000)  # margin 0.6 points
    assert choice.trial.params == OTHER and not choice.kept_default
    assert "leads the default, trial 0" in choice.describe()


def test_the_default_scoring_best_is_simply_the_best():
    study = _study({0.001: 0.85}, default_value=0.9)
    choice = choose_trial(study, DEFAULT, n_validation=100)
    assert choice.trial is choice.best is choice.default and not choice.kept_default


def test_without_the_default_s_trial_the_best_is_chosen():
    study = _study({0.001: 0.8, 0.003: 0.7}, default_value=None)
    choice = choose_trial(study, DEFAULT, n_validation=100)
    assert choice.trial.value == 0.8 and choice.default is None and choice.margin is None


def test_a_study_without_a_completed_trial_is_refused():
    study = optuna.create_study(direction="maximize")
    with pytest.raises(ValueError, match="no completed trial"):
        choose_trial(study, DEFAULT, n_validation=100)
