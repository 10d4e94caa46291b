"""The Optuna side of `restext tune`: the study and its storage, pruning, and what a search writes.

- `open_study`: the study in its database (SQLite in the run folder by default), resumed when it
  exists; trials that a killed search left RUNNING are marked FAIL (`fail_killed_trials`).
- `PruneByEpoch`: the Keras callback that reports each epoch's validation accuracy to the trial and
  stops a trial the pruner gives up on.
- `trial_line`, `write_trials_csv`, `write_plots`, `trim_trial_folder`: one line per finished
  trial, `trials.csv`, the optimization history and parameter importance plots, and what is kept
  of a finished trial's run folder.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import warnings
from collections.abc import Callable

import keras
import matplotlib.pyplot as plt
import optuna
from optuna.trial import FrozenTrial, TrialState
from optuna.visualization import matplotlib as plots

STUDY_FILE = "study.db"
TRIALS_FILE = "trials.csv"
HISTORY_PLOT = "optimization_history.png"
IMPORTANCE_PLOT = "param_importances.png"
# What is kept of a finished trial's run folder: its metrics, per-epoch history and settings.
KEPT_FILES = ("metrics.json", "history.csv", "run.json")
# Finished trials: what `--trials N` counts, and what the importances are computed from.
DONE = (TrialState.COMPLETE, TrialState.PRUNED)
# A database shared by several machines (`storage=`): a trial whose process sent no heartbeat for
# GRACE_PERIOD seconds is marked FAIL by the next trial that starts anywhere.
HEARTBEAT_INTERVAL = 60
GRACE_PERIOD = 300
WORKER = "worker"  # the user attribute naming the process that runs a trial: "host:pid"


def default_storage(output_dir: str) -> str:
    """The study's database when none is given: `sqlite:///<output_dir>/study.db`."""
    return "sqlite:///" + os.path.abspath(os.path.join(output_dir, STUDY_FILE))


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _is_dead(worker: str | None) -> bool:
    """Whether `worker` ("host:pid") is a process of this machine that is no longer running."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return int(pid) == os.getpid()  # this process starts no trial before it looks


def fail_killed_trials(study: optuna.Study, *, shared: bool, say: Callable[[str], None]) -> list[int]:
    """Marks FAIL the trials a killed search left RUNNING, and returns their numbers: every RUNNING
    trial of a study in the run folder (the run folder's lock keeps out a second search), and with a
    `shared` database the RUNNING trials of this machine's dead processes (other machines' are
    failed by their missing heartbeats)."""
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if not shared or _is_dead(trial.user_attrs.get(WORKER)):
            study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
            failed.append(trial.number)
    if failed:
        say(f"restext: trial(s) {', '.join(map(str, failed))} of a killed search marked failed; the search goes on")
    return failed


def open_study(storage: str | None, output_dir: str, *, name: str, seed: int, say: Callable[[str], None]) -> optuna.Study:
    """The study `name` in `storage` (default: SQLite in `output_dir`), created or resumed.

    Its sampler is TPE, seeded with `seed` plus the trials the study already has (a resumed search
    does not draw the first run's parameters again); its pruner the median rule, after 2 trials and
    from the second epoch on.
    """
    shared = storage is not None
    url = storage or default_storage(output_dir)
    heartbeat = {"heartbeat_interval": HEARTBEAT_INTERVAL, "grace_period": GRACE_PERIOD} if shared else {}
    study = optuna.create_study(
        storage=optuna.storages.RDBStorage(url, **heartbeat), study_name=name, direction="maximize",
        load_if_exists=True, pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
    )  # fmt: skip
    fail_killed_trials(study, shared=shared, say=say)
    # Fewer random trials than TPE's default 10: a 15-minute budget runs about ten.
    study.sampler = optuna.samplers.TPESampler(seed=seed + len(study.trials), n_startup_trials=5)
    return study


class PruneByEpoch(keras.callbacks.Callback):
    """Reports the validation accuracy after every epoch to an Optuna `trial` (step = the 1-based
    epoch) and raises `optuna.TrialPruned` when its pruner gives up on the trial."""

    def __init__(self, trial: optuna.Trial, monitor: str = "val_accuracy"):
        super().__init__()
        self.trial = trial
        self.monitor = monitor

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        self.trial.report(float(value), step=epoch + 1)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch + 1} ({self.monitor} {float(value):.4f})")


def trial_line(trial: FrozenTrial, title: str = "trial") -> str:
    """One line for a finished trial: its number, value (or how it ended), parameters and seconds."""
    seconds = trial.duration.total_seconds() if trial.duration else 0.0
    if trial.state == TrialState.COMPLETE:
        outcome = f"validation accuracy {trial.value:.4f}, best epoch {trial.user_attrs.get('best_epoch')}"
    elif trial.state == TrialState.PRUNED:
        step = trial.last_step
        outcome = f"pruned after epoch {step} ({trial.intermediate_values.get(step, float('nan')):.4f})"
    else:
        error = trial.user_attrs.get("error")
        outcome = "failed" + (f" ({error})" if error else "")
    params = ", ".join(f"{key} {value:.3g}" if isinstance(value, float) else f"{key} {value}"
                       for key, value in trial.params.items())  # fmt: skip
    return f"restext: {title} {trial.number}: {outcome} in {seconds:.0f}s: {params}"


def write_trials_csv(study: optuna.Study, path: str) -> None:
    """`trials.csv`: one row per trial, in the columns of Optuna's `study.trials_dataframe()`
    (number, value, datetime_start, datetime_complete, duration, params_*, user_attrs_*, state),
    written without pandas."""
    trials = study.get_trials(deepcopy=False)
    params = sorted({key for trial in trials for key in trial.params})
    attributes = sorted({key for trial in trials for key in trial.user_attrs})
    header = ["number", "value", "datetime_start", "datetime_complete", "duration",
              *(f"params_{key}" for key in params), *(f"user_attrs_{key}" for key in attributes), "state"]  # fmt: skip
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for trial in trials:
            writer.writerow([
                trial.number, trial.value, trial.datetime_start, trial.datetime_complete, trial.duration,
                *(trial.params.get(key, "") for key in params), *(trial.user_attrs.get(key, "") for key in attributes),
                trial.state.name,
            ])  # fmt: skip


def _save(axes, path: str) -> None:
    figure = axes.figure
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)  # not left open for pyplot to show


def write_plots(study: optuna.Study, output_dir: str) -> list[str]:
    """The optimization history and the parameter importances (Optuna's matplotlib plots) in
    `output_dir`; returns notes on what was left out (importances need 2 finished trials)."""
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the plots are marked experimental in Optuna
        _save(plots.plot_optimization_history(study), os.path.join(output_dir, HISTORY_PLOT))
        if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) < 2:
            return [f"{IMPORTANCE_PLOT} left out: parameter importances need 2 completed trials"]
        # PED-ANOVA: needs no scikit-learn (the default fANOVA does).
        evaluator = optuna.importance.PedAnovaImportanceEvaluator()
        try:
            _save(plots.plot_param_importances(study, evaluator=evaluator), os.path.join(output_dir, IMPORTANCE_PLOT))
        except (ValueError, RuntimeError) as error:  # e.g. no parameter that varied
            notes.append(f"{IMPORTANCE_PLOT} left out: {error}")
    return notes


def trim_trial_folder(folder: str) -> None:
    """Deletes a finished trial's weights, backup and logs; keeps `KEPT_FILES`."""
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        if name in KEPT_FILES:
            continue
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)


__all__ = [
    "PruneByEpoch",
    "default_storage",
    "fail_killed_trials",
    "open_study",
    "trial_line",
    "trim_trial_folder",
    "write_plots",
    "write_trials_csv",
]
