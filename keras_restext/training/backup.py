"""The training state of a run's last finished epoch, whole or absent: a killed run resumes from it.

    <output>/backup/state.json         the epoch, the state file's name, size and SHA-256
    <output>/backup/epoch-<N>.npz      every variable of the model (weights, and the dropout layers'
                                       seed states) and of the optimizer (moments, step count)

Keras' `BackupAndRestore` writes its `.weights.h5` in place, so a kill or a full disk mid-write
leaves a truncated file that the next run half-loads; and it leaves out the seed states, so a
resumed run draws other dropout masks than the uninterrupted one. Here every file is written to a
temporary name, flushed and renamed (`keras_restext.files.write_atomically`), `state.json` last:
it always names a complete state file. On resume the checksum is verified and every variable must
be found with its shape; a backup that fails either is refused (`DamagedBackup`), never half-loaded.
The price of whole-or-absent: while an epoch's state is written, the previous one is still on the
disk, so the folder needs room for two states (a full disk is one `OSError`, the old state kept).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass

import keras
import numpy as np

from keras_restext.errors import DamagedBackup
from keras_restext.files import ensure_free_space, remove_dead_temporaries, write_bytes_atomically

STATE_FILE = "state.json"


@dataclass(frozen=True)
class BackupState:
    """What `state.json` says: the finished epochs and the state file that holds them."""

    epoch: int
    path: str
    sha256: str
    size: int


def _damaged(backup_dir: str, reason: str) -> DamagedBackup:
    return DamagedBackup(
        f"the backup in {backup_dir} is damaged ({reason}), so it was not loaded; delete {backup_dir} "
        "to train this run from the start"
    )


def read_backup(backup_dir: str) -> BackupState | None:
    """The backup's state after checking its file (None when there is no backup).

    Raises:
        DamagedBackup: `state.json` is unreadable, or the state file is missing or differs from
            what `state.json` recorded (size or SHA-256).

    Example:
    >>> read_backup("/nonexistent/run/backup") is None
    True
    """
    path = os.path.join(backup_dir, STATE_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
        state = BackupState(
            epoch=int(record["epoch"]), path=os.path.join(backup_dir, record["file"]),
            sha256=str(record["sha256"]), size=int(record["size"]),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise _damaged(backup_dir, f"{STATE_FILE} is unreadable: {error}") from None
    if not os.path.exists(state.path):
        raise _damaged(backup_dir, f"{os.path.basename(state.path)} is missing")
    size = os.path.getsize(state.path)
    if size != state.size:
        raise _damaged(backup_dir, f"{os.path.basename(state.path)} has {size} bytes, {state.size} were written")
    if _sha256(state.path) != state.sha256:
        raise _damaged(backup_dir, f"{os.path.basename(state.path)} does not match its checksum")
    return state


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state_variables(model: keras.Model) -> list:
    """The model's variables (weights and seed states) and the optimizer's, in a fixed order; an
    optimizer that `fit` has not built yet is built first (Keras builds it at the first step)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        with model.distribute_strategy.scope():
            optimizer.build(model.trainable_variables)
    return [*model.variables, *(optimizer.variables if optimizer is not None else [])]


def save_backup(model: keras.Model, backup_dir: str, epoch: int) -> BackupState:
    """Writes the training state after `epoch` finished epochs; the previous state is removed
    only once this one is complete.

    Raises:
        OSError: the disk is full or read-only; the previous backup is left whole.
    """
    os.makedirs(backup_dir, exist_ok=True)
    remove_dead_temporaries(backup_dir)
    variables = _state_variables(model)
    buffer = io.BytesIO()
    np.savez(buffer, **{f"v{i:05d}": np.asarray(v) for i, v in enumerate(variables)},
             paths=np.array([v.path for v in variables]))  # fmt: skip
    payload = buffer.getvalue()
    ensure_free_space(backup_dir, len(payload) + 4096)
    name = f"epoch-{epoch}.npz"
    write_bytes_atomically(os.path.join(backup_dir, name), payload)
    record = {"epoch": epoch, "file": name, "size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    write_bytes_atomically(os.path.join(backup_dir, STATE_FILE), (json.dumps(record) + "\n").encode())
    for old in os.listdir(backup_dir):  # the states of earlier epochs, now superseded
        if old.startswith("epoch-") and old != name:
            os.remove(os.path.join(backup_dir, old))
    return BackupState(epoch=epoch, path=os.path.join(backup_dir, name), sha256=record["sha256"], size=len(payload))


def load_backup(model: keras.Model, backup_dir: str) -> int:
    """Loads the backup into `model` (built, its optimizer too); returns the finished epochs (0:
    no backup).

    Raises:
        DamagedBackup: the files fail their check, or the backup holds other variables than the
            model (another architecture); nothing was assigned.
    """
    state = read_backup(backup_dir)
    if state is None:
        return 0
    variables = _state_variables(model)
    try:
        with np.load(state.path) as stored:
            paths = [str(p) for p in stored["paths"]]
            values = [stored[f"v{i:05d}"] for i in range(len(paths))]
    except (OSError, ValueError, KeyError) as error:
        raise _damaged(backup_dir, f"{os.path.basename(state.path)} is unreadable: {error}") from None
    # Shapes, not names: Keras numbers the layers of a second model in one process (dense_1, ...).
    if len(paths) != len(variables):
        raise _damaged(backup_dir, f"it holds {len(paths)} variables of another model, this one has {len(variables)}")
    for variable, value in zip(variables, values):
        if tuple(variable.shape) != value.shape:
            raise _damaged(backup_dir, f"{variable.path} has shape {value.shape}, the model's is {tuple(variable.shape)}")
    for variable, value in zip(variables, values):  # assigned only once every one has been checked
        variable.assign(value)
    return state.epoch


def remove_backup(backup_dir: str) -> None:
    shutil.rmtree(backup_dir, ignore_errors=True)


class TrainingBackup(keras.callbacks.Callback):
    """Backs the training state up after every epoch and loads it when `fit` begins.

    Pass the finished epochs (`read_backup(...).epoch`) as `fit`'s `initial_epoch`: the state
    is loaded in `on_train_begin`, once `fit` has built the optimizer.

    Args:
        backup_dir: the backup's folder.
        delete_at_end: remove the backup when `fit` ends (keep it while what is written after
            training may still fail, and remove it with `remove_backup` afterwards).
    """

    def __init__(self, backup_dir: str, *, delete_at_end: bool = False):
        super().__init__()
        self.backup_dir = backup_dir
        self.delete_at_end = delete_at_end

    def on_train_begin(self, logs=None):
        load_backup(self.model, self.backup_dir)

    def on_epoch_end(self, epoch, logs=None):
        save_backup(self.model, self.backup_dir, epoch + 1)

    def on_train_end(self, logs=None):
        if self.delete_at_end:
            remove_backup(self.backup_dir)


__all__ = [
    "STATE_FILE",
    "BackupState",
    "DamagedBackup",
    "TrainingBackup",
    "load_backup",
    "read_backup",
    "remove_backup",
    "save_backup",
]
