"""The callbacks of a training run, and where they write under the run's output folder.

    <output>/backup/       the training state of the last finished epoch (`backup.py`), removed
                           once the run's model and export are written
    <output>/logs/         TensorBoard logs (`tensorboard --logdir <output>/logs`)
    <output>/history.csv   one row of metrics per finished epoch, kept across resumed runs
    <output>/best.weights.h5  the weights of the best epoch so far, across resumed runs
"""

from __future__ import annotations

import csv
import os
import sys

import keras
import numpy as np
import tensorflow as tf

from keras_restext.files import ensure_free_space, write_atomically
from keras_restext.training.backup import TrainingBackup, read_backup

BACKUP_DIR = "backup"
LOGS_DIR = "logs"
HISTORY_FILE = "history.csv"
BEST_WEIGHTS_FILE = "best.weights.h5"


def finished_epochs(output_dir: str) -> int:
    """The epochs a killed run finished, read from its backup under `output_dir` (0 if none).

    Raises:
        DamagedBackup: the backup fails its checks (it is never half-loaded).

    Example:
    >>> finished_epochs("/nonexistent/run")
    0
    """
    state = read_backup(os.path.join(output_dir, BACKUP_DIR))
    return 0 if state is None else state.epoch


def restore_best_weights(model: keras.Model, output_dir: str) -> bool:
    """Loads `<output_dir>/best.weights.h5` into `model`; False when there is none."""
    path = os.path.join(output_dir, BEST_WEIGHTS_FILE)
    if not os.path.exists(path):
        return False
    model.load_weights(path)
    return True


def read_history(output_dir: str) -> dict[str, list[float]]:
    """The per-epoch metrics in `<output_dir>/history.csv` as lists by column (`epoch` included).

    Columns without any number are left out: Keras' `CSVLogger` writes `val_*` columns of "NA"
    when training has no validation data.
    """
    path = os.path.join(output_dir, HISTORY_FILE)
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    history: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.items():
            try:
                history.setdefault(key, []).append(float(value))
            except (TypeError, ValueError):
                history.setdefault(key, []).append(float("nan"))
    return {key: values for key, values in history.items() if not all(v != v for v in values)}


def best_epoch(history: dict[str, list[float]], monitor: str) -> int | None:
    """The 0-based epoch with the best `monitor` value in a `read_history` dict (None if absent).

    Example:
    >>> best_epoch({"epoch": [0, 1, 2], "val_accuracy": [0.7, 0.8, 0.8]}, "val_accuracy")
    1
    """
    values = history.get(monitor)
    if not values or all(v != v for v in values):  # missing, or all NaN
        return None
    values = np.asarray(values, dtype=np.float64)
    index = int(np.nanargmin(values) if "loss" in monitor else np.nanargmax(values))  # first best wins ties
    return int(history.get("epoch", range(len(values)))[index])


def restore_kept_weights(model: keras.Model, output_dir: str, monitor: str | None) -> tuple[dict, int | None]:
    """Gives `model` the weights a finished run keeps, and returns `(history, kept epoch)`.

    With a `monitor` (the run had validation data) that is the best epoch of all, resumed runs
    included (EarlyStopping only saw the epochs since the resumption); without one, the last epoch,
    whose weights the model already holds. The epoch is 1-based; None when the history is empty.
    """
    history = read_history(output_dir)
    if monitor is None:
        return history, len(history.get("epoch", [])) or None
    restore_best_weights(model, output_dir)
    best = best_epoch(history, monitor)
    return history, None if best is None else best + 1


def _logged_epoch(row: list[str], header: list[str]) -> int | None:
    """The epoch of a whole `history.csv` row; None for a row cut short (a kill, a full disk)."""
    try:
        return int(float(row[header.index("epoch")])) if len(row) == len(header) else None
    except (ValueError, IndexError):
        return None


def _trim_history(path: str, epochs: int) -> None:
    """Keeps the whole rows of the first `epochs` epochs: a killed run may have logged an epoch it
    never backed up, or half a row."""
    if not os.path.exists(path):
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or "epoch" not in rows[0]:
        return
    header, body = rows[0], rows[1:]
    kept = [row for row in body if (epoch := _logged_epoch(row, header)) is not None and epoch < epochs]

    def write(tmp: str) -> None:
        with open(tmp, "w", newline="") as f:
            csv.writer(f).writerows([header, *kept])

    write_atomically(path, write)


def _improved(current: float, best: float | None, mode: str) -> bool:
    return best is None or (current < best if mode == "min" else current > best)


class BestWeights(keras.callbacks.Callback):
    """Writes the weights of the best epoch so far to `path` (`.weights.h5`, whole or untouched):
    `ModelCheckpoint(save_best_only=True, save_weights_only=True)`, written atomically, and
    remembering the best of a killed run (`best_so_far`)."""

    def __init__(self, path: str, monitor: str, *, best_so_far: float | None = None):
        super().__init__()
        self.path, self.monitor, self.best = path, monitor, best_so_far
        self.mode = "min" if "loss" in monitor else "max"

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None or not _improved(float(current), self.best, self.mode):
            return
        self.best = float(current)
        size = sum(np.asarray(v).nbytes for v in [*self.model.weights, *self.model.optimizer.variables])
        ensure_free_space(os.path.dirname(self.path) or ".", size + (1 << 16))  # HDF5 can crash on a full disk
        write_atomically(self.path, lambda tmp: self.model.save_weights(tmp))


class ResumedEarlyStopping(keras.callbacks.EarlyStopping):
    """`EarlyStopping` that counts on from a killed run's history, so that the resumed run stops at
    the epoch the uninterrupted one would: `best` and `wait` start as they were at the kill."""

    def __init__(self, *, best_so_far: float | None = None, epochs_since_best: int = 0, **kwargs):
        super().__init__(**kwargs)
        self._best_so_far, self._epochs_since_best = best_so_far, epochs_since_best

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._best_so_far is not None:
            self.best, self.wait = self._best_so_far, self._epochs_since_best


class ShuffleEpoch(keras.callbacks.Callback):
    """Holds the epoch for `build_pipeline(epoch=...)`, which shuffles each epoch by `(seed, epoch)`:
    a resumed run sees the same orders as the uninterrupted one. Set when an epoch begins, before
    its iteration reads it."""

    def __init__(self):
        super().__init__()
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="shuffle_epoch")

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch.assign(epoch)


def _best_epoch_callbacks(
    best_path: str, monitor: str, patience: int | None, resumed: tuple[float, int] | None, verbose: int
) -> list[keras.callbacks.Callback]:
    """Early stopping on `monitor`, and a checkpoint of the best epoch's weights (which
    `restore_kept_weights` loads at the end). `resumed`: a killed run's best value and the epochs
    it ran since."""
    best_so_far, epochs_since_best = resumed or (None, 0)
    stopping = ResumedEarlyStopping(
        monitor=monitor,
        mode="min" if "loss" in monitor else "max",
        patience=patience if patience is not None else 10**9,
        verbose=verbose,
        best_so_far=best_so_far,
        epochs_since_best=epochs_since_best,
    )
    return [stopping, BestWeights(best_path, monitor, best_so_far=best_so_far)]


def progress_verbosity(verbose: int | str) -> int | str:
    """Keras' `verbose` for `fit`: "auto" is a progress bar on a terminal and one clean line per
    epoch (no carriage returns or colour codes) when the output goes to a file or a pipe."""
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return verbose


def make_callbacks(
    output_dir: str,
    *,
    patience: int | None = 3,
    monitor: str | None = "val_accuracy",
    backup: bool = True,
    keep_backup: bool = False,
    tensorboard: bool = True,
    verbose: int = 1,
) -> list[keras.callbacks.Callback]:
    """Fault tolerance, early stopping and logging for `model.fit`.

    Args:
        output_dir: the run's folder; created if missing.
        patience: epochs without improvement of `monitor` before stopping; None disables early
            stopping. The best epoch's weights are restored at the end either way. After a
            resumption the patience counts from the resumed epoch; the best weights of all epochs
            are kept in `best.weights.h5` (restore them with `restore_best_weights`).
        monitor: the validation metric to watch, e.g. `"val_accuracy"` (maximised) or `"val_loss"`;
            None (training without validation data): no early stopping and no best weights.
        backup: back the training state up each epoch (`TrainingBackup`), so that the same run
            started again resumes after the last finished epoch: pass `finished_epochs(output_dir)`
            as `fit`'s `initial_epoch`.
        keep_backup: keep the backup when `fit` ends (Keras deletes it), for the caller to remove
            once what it writes after training (the model, an export) is safely written.
        tensorboard: write TensorBoard logs under `output_dir/logs` (`keras.callbacks.TensorBoard`:
            `tensorboard --logdir output_dir/logs` shows the curves).
        verbose: 1 says when early stopping stops and which epoch's weights are restored.

    Returns:
        A list of callbacks: TerminateOnNaN, early stopping and the best epoch's weights (not
        without `monitor`), CSVLogger, a TensorBoard logger and the backup.

    Example:
    >>> callbacks = make_callbacks("/tmp/restext-run", patience=2, tensorboard=False)
    >>> [type(c).__name__ for c in callbacks]
    ['TerminateOnNaN', 'ResumedEarlyStopping', 'BestWeights', 'CSVLogger', 'TrainingBackup']
    """
    os.makedirs(output_dir, exist_ok=True)
    resumed = finished_epochs(output_dir) if backup else 0
    history_path = os.path.join(output_dir, HISTORY_FILE)
    best_path = os.path.join(output_dir, BEST_WEIGHTS_FILE)
    best_state = None  # (best value, epochs since the best) of the killed run
    if resumed:
        _trim_history(history_path, resumed)
        history = read_history(output_dir)
        epoch = None if monitor is None else best_epoch(history, monitor)
        if epoch is not None and os.path.exists(best_path):
            best_state = (history[monitor][history["epoch"].index(epoch)], resumed - 1 - epoch)
    else:
        for stale in (history_path, best_path):  # a fresh run: an older, finished run's files are stale
            if os.path.exists(stale):
                os.remove(stale)

    callbacks: list[keras.callbacks.Callback] = [keras.callbacks.TerminateOnNaN()]
    if monitor is not None:
        callbacks += _best_epoch_callbacks(best_path, monitor, patience, best_state, verbose)
    callbacks.append(keras.callbacks.CSVLogger(history_path, append=bool(resumed)))
    if tensorboard:
        log_dir = os.path.join(output_dir, LOGS_DIR)
        callbacks.append(keras.callbacks.TensorBoard(log_dir, write_graph=False, profile_batch=0))
    if backup:
        # Last, so that an epoch counts as finished only once its history row and best weights are written.
        callbacks.append(TrainingBackup(os.path.join(output_dir, BACKUP_DIR), delete_at_end=not keep_backup))
    return callbacks


__all__ = [
    "BACKUP_DIR",
    "BEST_WEIGHTS_FILE",
    "BestWeights",
    "ResumedEarlyStopping",
    "ShuffleEpoch",
    "HISTORY_FILE",
    "LOGS_DIR",
    "best_epoch",
    "finished_epochs",
    "make_callbacks",
    "progress_verbosity",
    "read_history",
    "restore_best_weights",
    "restore_kept_weights",
]
