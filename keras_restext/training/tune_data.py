"""The data side of `restext tune`: what the trials and the final training read, and the options.

- `prepare_data`: reads the training data once (bad data fails before any trial), carves the
  validation share, and gives the `train()` data options of the trials and of the final training;
- `final_options`, `write_best`: the final training as `train()` options, and `best.json`;
- `check_options`, `check_limits`, `default_output`: `tune`'s arguments.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from optuna.trial import FrozenTrial

from keras_restext.checks import check_positive_int, require
from keras_restext.data import LabelVocabulary, read_dataset, split_validation
from keras_restext.errors import ArgumentError
from keras_restext.models.auto_preset import SAMPLE_SIZE
from keras_restext.training.tune_space import SearchSpace

READ_OPTIONS = ("format", "text_column", "label_column", "header", "on_bad_row")
# The `train()` options a search sets itself: its data, the searched recipe, the run folders.
SEARCHED = (
    "train", "validation", "test", "validation_fraction", "preset", "model_overrides", "tokenizer_overrides",
    "max_length", "learning_rate", "epochs", "seed", "output", "export", "tensorboard", "verbose",
)  # fmt: skip


@dataclass
class TuneData:
    """The data options of the trials (`trials`) and of the final training (`final`), the texts
    that auto chooses from, and the number of validation examples the trials are judged on."""

    trials: dict
    final: dict
    texts: list
    num_classes: int
    validation_size: int


def read_options(options: Mapping) -> dict:
    """The data-reading options that are set (not None), as `read_dataset` and `train()` take them."""
    return {key: value for key, value in options.items() if key in READ_OPTIONS and value is not None}


def prepare_data(train, validation, test, fraction: float, seed: int, options: Mapping) -> TuneData:
    """Reads the training data (bad data fails here, before any trial) and carves the validation
    share when no validation file is given."""
    reading = read_options(options)
    shared = {"label_names": options["label_names"]} if options.get("label_names") else {}
    data = read_dataset(train, **reading)
    final = {"train": train, **reading, **shared, **({"test": test} if test is not None else {})}
    if validation is not None:
        size = sum(1 for _ in read_dataset(validation, **reading).iter_rows())  # bad rows fail now
        trials = {"train": train, "validation": validation, **reading, **shared}
        return TuneData(trials, {**final, "validation": validation}, data.texts_and_labels(limit=SAMPLE_SIZE)[0],
                        len(LabelVocabulary.from_data(data)), size)
    require(0 < fraction < 1, "validation_fraction", fraction, "in (0, 1) without `validation`")
    part, held_out = split_validation(data, fraction, seed=seed)
    texts, labels = part.texts_and_labels()
    validation_texts, validation_labels = held_out.texts_and_labels()
    trials = {"train": (texts, labels), "validation": (validation_texts, validation_labels), **shared}
    return TuneData(trials, final, texts, len(set(labels)), len(validation_texts))


def final_options(space: SearchSpace, trial: FrozenTrial, data: TuneData, fixed: dict) -> dict:
    """The `train()` options of the final training: the chosen trial's recipe on all the training
    data, for the recipe's epochs (its learning-rate schedule spans them: cut to the trial's best
    epoch, the schedule would be squeezed into fewer steps and the model would not be the one that
    was judged). Without a validation file the last epoch is kept (as `preset="auto"` does), so
    auto's recipe trains the same model as `train(preset="auto")`; with one, early stopping on it
    keeps the best epoch, as in the trial."""
    return {**data.final, **space.options(trial.params), **fixed}


def write_best(options: dict, path: str, say) -> None:
    """`best.json` at `path`: the options, less what a file cannot hold (in-memory data)."""
    kept = {key: value for key, value in options.items() if not (key in ("train", "validation", "test")
            and not isinstance(value, (str, os.PathLike)))}  # fmt: skip
    if len(kept) < len(options):
        say(f"restext: {os.path.basename(path)} leaves out the in-memory data ({', '.join(sorted(set(options) - set(kept)))})")
    with open(path, "w") as file:
        json.dump(kept, file, indent=2, default=os.fspath)
        file.write("\n")


def check_options(data_options: Mapping, train_options: Mapping) -> None:
    """Refuses a data option `train()` does not read data by, and `train_options` that the search
    sets itself."""
    unknown = sorted(set(data_options) - {*READ_OPTIONS, "label_names"})
    if unknown:
        raise TypeError(f"Unknown option(s) {', '.join(map(repr, unknown))}. Allowed: {', '.join(READ_OPTIONS)}, label_names.")
    taken = sorted(set(train_options) & {*SEARCHED, *READ_OPTIONS, "label_names"})
    if taken:
        raise ArgumentError(
            f"`train_options` must leave to the search what it sets: {', '.join(taken)}. Received: "
            f"train_options={dict(train_options)!r}",
            argument="train_options",
        )


def check_limits(budget: float | None, n_trials: int | None) -> None:
    if budget is None and n_trials is None:
        raise ArgumentError(
            "Give the search a `budget` (seconds) or `n_trials`, or both. Received: budget=None, n_trials=None",
            argument="budget",
        )
    if budget is not None:
        require(0 < budget < math.inf, "budget", budget, "a number of seconds > 0")
    check_positive_int("n_trials", n_trials, allow_none=True)


def default_output(export: str | os.PathLike | None) -> str:
    """The run folder of a search: `runs/<export name>_tune`, else `runs/tune`."""
    if not export:
        return os.path.join("runs", "tune")
    return os.path.join("runs", os.path.basename(os.path.normpath(os.fspath(export))) + "_tune")


__all__ = [
    "READ_OPTIONS",
    "SEARCHED",
    "TuneData",
    "check_limits",
    "check_options",
    "default_output",
    "final_options",
    "prepare_data",
    "write_best",
]
