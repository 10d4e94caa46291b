"""`tune`: a budgeted hyperparameter search over `train()` (Optuna), then the best recipe trained on
all the training data. `restext tune` is this function on the command line; docs/tune.md is its guide.

1. validation data: a file, or a seeded, stratified share of the training data
   (`validation_fraction`, default 0.1);
2. the study (`tune_study.open_study`): SQLite in the run folder, or `storage=` (any database
   Optuna supports; several machines given the same one share the search). A search started again
   with the same command continues the same study: finished trials are kept, new ones are numbered
   on, and trials a killed search left RUNNING are marked FAIL;
3. the first trial is the recipe `preset="auto"` picks for these texts (`choose_preset`), so the
   search never ends below the default on validation; TPE draws the next ones (`tune_space`), each a
   `train()` run on the training part, judged by its best validation accuracy, and pruned after an
   epoch whose accuracy is below the median of earlier trials' at that epoch;
4. the search stops after `budget` seconds (no trial starts later; the running one finishes) and/or
   when the study holds `n_trials` finished trials;
5. the recipe to train (`tune_choice.choose_trial`): the best trial's, unless it leads auto's
   first trial by no more than the validation split's noise (one standard error of the difference
   of two accuracies): then auto's, the default;
6. `trials.csv`, `best.json` (the chosen recipe as `train()` options, which `train(**options)` and
   `restext train --config best.json` accept) and two plots in the run folder;
7. the chosen recipe trained on all the training data for its epochs: with a validation share,
   the training file as a whole (the share included), keeping the last epoch (auto's recipe then
   trains the very model `preset="auto"` trains); with a validation file, the training file with
   early stopping on it, as in the trial. It is evaluated on `test` and exported to `export`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import keras

try:
    import optuna
except ImportError as error:  # an optional extra
    raise ImportError("keras_restext's `tune` needs Optuna: pip install 'keras_restext[tune]'") from error
from optuna.trial import FrozenTrial, TrialState

from keras_restext.models.auto_preset import PresetChoice, choose_preset
from keras_restext.training.result import TrainResult
from keras_restext.training.run_lock import run_folder_lock
from keras_restext.training.trainer import train as train_model
from keras_restext.training.tune_choice import TrialChoice, choose_trial, holds_params
from keras_restext.training.tune_data import (
    TuneData,
    check_limits,
    check_options,
    default_output,
    final_options,
    prepare_data,
    write_best,
)
from keras_restext.training.tune_space import MAX_EPOCHS, SearchSpace
from keras_restext.training.tune_study import (
    DONE,
    WORKER,
    PruneByEpoch,
    open_study,
    this_worker,
    trial_line,
    trim_trial_folder,
    write_plots,
    write_trials_csv,
)

BEST_FILE = "best.json"
TRIALS_DIR = "trials"
FINAL_DIR = "final"


@dataclass
class TuneResult:
    """What `tune` returns.

    Attributes:
        study: the `optuna.Study` (every trial, the resumed ones too).
        best_trial: the completed trial whose recipe was trained: the best on validation, or
            auto's first trial when the best does not lead it by more than the split's noise
            (`choice` says which, and why).
        best_options: the `train()` options of the final training (`best.json`).
        final: the `TrainResult` of the best recipe trained on all the training data.
        output_dir: the run folder: `study.db`, `trials.csv`, `best.json`, the plots, `trials/<n>`
            (each trial's metrics and history) and `final` (the final training's run folder).
        choice: the `TrialChoice`: the trained trial, the best one, auto's and the noise margin.
        notes: what was left out, e.g. the importance plot with fewer than 2 completed trials.
    """

    study: optuna.Study
    best_trial: FrozenTrial
    best_options: dict
    final: TrainResult
    output_dir: str
    choice: TrialChoice
    notes: list = field(default_factory=list)


def _objective(space: SearchSpace, data: TuneData, fixed: dict, trials_dir: str) -> Callable[[optuna.Trial], float]:
    """One trial: `train()` on the training part with the trial's parameters; its value is the
    kept (best) epoch's validation accuracy. Only the trial's metrics and history are kept."""

    def objective(trial: optuna.Trial) -> float:
        params = space.sample(trial)
        trial.set_user_attr(WORKER, this_worker())
        folder = os.path.join(trials_dir, str(trial.number))
        shutil.rmtree(folder, ignore_errors=True)  # a new number: anything there is stale
        try:
            options = {**data.trials, **space.options(params), **fixed}
            result = train_model(**options, output=folder, tensorboard=False, verbose=0,
                                 callbacks=[PruneByEpoch(trial)], log=None)  # fmt: skip
        except FloatingPointError as error:  # the loss became NaN: a failed trial, and the search goes on
            trial.set_user_attr("error", str(error))
            raise
        finally:
            trim_trial_folder(folder)
            keras.utils.clear_session()  # the next trial builds its model from scratch
        trial.set_user_attr("best_epoch", result.best_epoch)
        return float(result.metrics["validation"]["accuracy"])

    return objective


def _enqueue_first(study: optuna.Study, params: dict) -> bool:
    """Enqueues auto's recipe unless the study already ran or holds it (a failed try does not count)."""
    for trial in study.get_trials(deepcopy=False):
        if trial.state != TrialState.FAIL and holds_params(trial, params):
            return False
    study.enqueue_trial(params)
    return True


def _search(study: optuna.Study, objective, *, n_trials: int | None, budget: float | None, say) -> None:
    """Runs trials until `budget` seconds have passed (checked before each trial) and/or the study
    holds `n_trials` finished (completed or pruned) trials; one line per finished trial."""
    done = len(study.get_trials(deepcopy=False, states=DONE))
    remaining = None if n_trials is None else n_trials - done
    if remaining is not None and remaining <= 0:
        say(f"restext: the study already holds {done} finished trials (n_trials={n_trials}): no new trial")
        return
    callbacks = [lambda _, trial: say(trial_line(trial))]
    if n_trials is not None:  # counted in the database: the search of several machines stops together
        callbacks.append(optuna.study.MaxTrialsCallback(n_trials, states=DONE))
    study.optimize(
        objective, n_trials=remaining, timeout=budget, catch=(FloatingPointError,), callbacks=callbacks,
        gc_after_trial=True,
    )  # fmt: skip


def tune(
    train,
    *,
    validation=None,
    validation_fraction: float = 0.1,
    test=None,
    export: str | None = None,
    output: str | None = None,
    budget: float | None = None,
    n_trials: int | None = None,
    storage: str | None = None,
    study_name: str = "restext",
    seed: int = 0,
    presets: Sequence[str] | None = None,
    characters: bool = False,
    max_epochs: int = MAX_EPOCHS,
    train_options: Mapping | None = None,
    log: Callable[[str], None] | None = print,
    **data_options,
) -> TuneResult:
    """Searches `train()`'s recipe on validation data within a budget, then trains the best recipe
    on all the training data, evaluates it on `test` and exports it.

    Args:
        train: the training data: a path (csv, tsv, jsonl, folder, glob), "tfds:NAME[:SPLIT]",
            or a `(texts, labels)` pair (then `best.json` cannot name it).
        validation: validation data; None carves `validation_fraction` of `train`.
        validation_fraction: without `validation`, the share held out, stratified and seeded.
        test: test data, evaluated once, by the final model.
        export: the export folder of the final model (a new version under it).
        output: the run folder (default `runs/<export name>_tune`, else `runs/tune`).
        budget: the search's wall time in seconds: no trial starts after it (the running one
            finishes, so the search ends within one trial's length of it).
        n_trials: the finished (completed or pruned) trials the study should hold; a search started
            again runs only the missing ones. Give `budget`, `n_trials`, or both.
        storage: an Optuna database URL, e.g. "postgresql://user@host/db", that several machines
            share; default "sqlite:///<output>/study.db".
        study_name: the study's name in `storage`.
        seed: seeds the split, every trial's training and the sampler.
        presets: the presets to search (default `tune_space.WORD_PRESETS`, plus "vdcnn_9" with
            `characters`).
        characters: also search the character-level VDCNN.
        max_epochs: the most epochs a trial trains.
        train_options: other `train()` options of every trial and the final training (e.g.
            `{"batch_size": 32}`).
        log: prints one line per finished trial, the choice and the final metrics; None is silent.
        **data_options: how to read the data, as `train()` takes it: `format`, `text_column`,
            `label_column`, `header`, `on_bad_row`, `label_names`.

    Returns:
        A `TuneResult`.

    Raises:
        DataError: unreadable data. ValueError: a bad setting. ImportError: no Optuna.

    Example:
    ```python
    result = tune("../shared/data/mr/train.csv", test="../shared/data/mr/test.csv", budget=900,
                  export="savedmodels/mr")
    result.best_trial.params, result.final.metrics["test"]["accuracy"]
    ```
    """
    say = log or (lambda message: None)
    check_options(data_options, train_options or {})
    check_limits(budget, n_trials)
    space = SearchSpace(presets=presets, characters=characters, max_epochs=max_epochs)
    fixed = {"seed": seed, **(train_options or {})}
    output_dir = output or default_output(export)
    data = prepare_data(train, validation, test, validation_fraction, seed, data_options)
    with run_folder_lock(output_dir):  # one search per run folder
        study, default_params = _run_search(space, data, fixed, output_dir, budget=budget, n_trials=n_trials,
                                            storage=storage, study_name=study_name, seed=seed, say=say)  # fmt: skip
        notes = _write_reports(study, output_dir, say)
        choice = choose_trial(study, default_params, data.validation_size)
        options = final_options(space, choice.trial, data, fixed)
        write_best(options, os.path.join(output_dir, BEST_FILE), say)
        say(f"restext: {choice.describe()}")
        say(trial_line(choice.trial, title="chosen trial"))
        say(f"restext: training it on all the training data for {options['epochs']} epoch(s)")
        final = train_model(**options, output=os.path.join(output_dir, FINAL_DIR), export=export, log=log)
    return TuneResult(study, choice.trial, options, final, output_dir, choice, notes)


def _run_search(
    space: SearchSpace, data: TuneData, fixed: dict, output_dir: str, *, budget: float | None, n_trials: int | None,
    storage: str | None, study_name: str, seed: int, say: Callable[[str], None],
) -> tuple[optuna.Study, dict]:  # fmt: skip
    """Opens (or resumes) the study, enqueues auto's recipe first and searches; returns the study
    and the first trial's parameters (the default)."""
    optuna_verbosity = optuna.logging.get_verbosity()
    # The lines of the trials are ours to print; an error that stops the search is one line too.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        study = open_study(storage, output_dir, name=study_name, seed=seed, say=say)
        choice = choose_preset(data.texts, data.num_classes)
        default_params = space.first_params(choice)
        if _enqueue_first(study, default_params):
            say(_first_trial_line(space, choice))
        trials_dir = os.path.join(output_dir, TRIALS_DIR)
        _search(study, _objective(space, data, fixed, trials_dir), n_trials=n_trials, budget=budget, say=say)
    finally:
        optuna.logging.set_verbosity(optuna_verbosity)
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        raise ValueError(f"No trial of the search in {output_dir} completed (see the lines above): nothing to train.")
    return study, default_params


def _first_trial_line(space: SearchSpace, choice: PresetChoice) -> str:
    if choice.preset in space.presets:
        return f"restext: the first trial is auto's choice: {choice.describe()}"
    return (f"restext: the first trial is {space.presets[0]}'s recipe (auto's choice, {choice.describe()}, "
            "is not searched)")  # fmt: skip


def _write_reports(study: optuna.Study, output_dir: str, say) -> list[str]:
    """`trials.csv` and the plots; returns (and says) what was left out."""
    write_trials_csv(study, os.path.join(output_dir, "trials.csv"))
    notes = write_plots(study, output_dir)
    for note in notes:
        say(f"restext: {note}")
    return notes


__all__ = ["TuneResult", "tune"]
