"""Which trial's recipe a search trains at the end: the best on validation, unless it beats the
default (auto's recipe, the first trial) by no more than the noise of the validation split.

Trials are compared on a few hundred validation examples, and a search of dozens of trials keeps the
luckiest: on TREC's 546 validation questions a trial led auto's recipe by 1.6 points with one training
seed and by +0.5, -1.1, -0.2 and +0.2 with four others. So the default is kept unless the best trial
leads it by more than one standard error of the difference of two accuracies measured on `n`
examples (1.8 points on TREC's and MR's splits, 2.1 on SST-2's, 1.0 on 20 Newsgroups'): the
one-standard-error rule, with the default as the simpler model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial, TrialState


def noise_margin(first: float, second: float, n: int) -> float:
    """One standard error of the difference of two accuracies, each measured on `n` examples.

    Example:
    >>> round(noise_margin(0.892, 0.908, 546), 4)
    0.0182
    """
    if n <= 0:
        raise ValueError(f"`n` must be the number of validation examples, > 0. Received: n={n}")
    return math.sqrt((first * (1 - first) + second * (1 - second)) / n)


@dataclass(frozen=True)
class TrialChoice:
    """The trial whose recipe is trained at the end, and why.

    Attributes:
        trial: the chosen completed trial.
        best: the completed trial of the best validation accuracy (may be `trial`).
        default: the default's completed trial, None when it did not complete (or was not run).
        margin: the noise margin the best trial had to clear, None without a default.
    """

    trial: FrozenTrial
    best: FrozenTrial
    default: FrozenTrial | None
    margin: float | None

    @property
    def kept_default(self) -> bool:
        """Whether the default was kept over a better-scoring trial."""
        return self.default is not None and self.trial is self.default and self.best is not self.default

    def describe(self) -> str:
        """One line on the choice, e.g. for the search's log."""
        if self.kept_default:
            return (f"kept the default, trial {self.trial.number} ({self.trial.value:.4f}): the best, trial "
                    f"{self.best.number} ({self.best.value:.4f}), leads it by no more than the validation "
                    f"split's noise ({self.margin:.4f})")  # fmt: skip
        if self.default is not None and self.trial is not self.default:
            return (f"chose trial {self.trial.number} ({self.trial.value:.4f}): it leads the default, trial "
                    f"{self.default.number} ({self.default.value:.4f}), by more than the validation split's "
                    f"noise ({self.margin:.4f})")  # fmt: skip
        return f"chose trial {self.trial.number} ({self.trial.value:.4f}), the best on validation"


def holds_params(trial: FrozenTrial, params: Mapping) -> bool:
    """Whether `trial` is a run of `params`: an enqueued trial is matched by the parameters it was
    given (as `tune` enqueues the default), the others by their own."""
    return trial.system_attrs.get("fixed_params", trial.params) == dict(params)


def choose_trial(study: optuna.Study, default_params: Mapping, n_validation: int) -> TrialChoice:
    """The trial to train at the end: the best completed one, or the default's completed trial
    (the one with `default_params`) when the best leads it by no more than `noise_margin`.

    Raises:
        ValueError: the study holds no completed trial.
    """
    completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not completed:
        raise ValueError(f"The study {study.study_name!r} holds no completed trial: nothing to choose.")
    best = max(completed, key=lambda trial: trial.value)  # the first of equals, as `study.best_trial`
    default = next((trial for trial in completed if holds_params(trial, default_params)), None)
    if default is None:
        return TrialChoice(best, best, None, None)
    margin = noise_margin(default.value, best.value, n_validation)
    chosen = default if best.value - default.value <= margin else best
    return TrialChoice(chosen, best, default, margin)


__all__ = ["TrialChoice", "choose_trial", "holds_params", "noise_margin"]
