"""The training backup: whole or absent, verified before it is loaded, and resumes that are exact."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_restext.training.backup import (
    STATE_FILE,
    DamagedBackup,
    TrainingBackup,
    load_backup,
    read_backup,
    save_backup,
)
from tests.training.helpers import mounted_tmpfs, write_tsv

REPO = Path(__file__).resolve().parents[2]


def write_fake_backup(backup_dir: Path, epoch: int, payload: bytes = b"state") -> None:
    """A backup whose files pass the checksum (its content is not a model's)."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    (backup_dir / f"epoch-{epoch}.npz").write_bytes(payload)
    record = {"epoch": epoch, "file": f"epoch-{epoch}.npz", "size": len(payload),
              "sha256": hashlib.sha256(payload).hexdigest()}  # fmt: skip
    (backup_dir / STATE_FILE).write_text(json.dumps(record))


def _model(units: int = 8) -> keras.Model:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units), keras.layers.Dropout(0.5),
                              keras.layers.Dense(2)])  # fmt: skip
    model.compile(optimizer=keras.optimizers.AdamW(1e-2), loss="mse")
    return model


def _fit(model: keras.Model, epochs: int = 1, callbacks=()) -> None:
    x = np.arange(64, dtype="float32").reshape(16, 4) / 64
    model.fit(x, np.ones((16, 2), "float32"), epochs=epochs, batch_size=4, verbose=0, callbacks=list(callbacks))


def _state(model: keras.Model) -> list[np.ndarray]:
    return [np.array(v) for v in [*model.variables, *model.optimizer.variables]]


def test_a_backup_restores_weights_optimizer_and_dropout_seeds(tmp_path):
    model = _model()
    _fit(model)
    saved = _state(model)
    save_backup(model, str(tmp_path), epoch=1)
    _fit(model)  # everything moves on: weights, moments, step count, the dropout seed state
    assert any(not np.array_equal(a, b) for a, b in zip(saved, _state(model)))

    fresh = _model()
    assert load_backup(fresh, str(tmp_path)) == 1  # its optimizer is built on the way
    for ours, theirs in zip(_state(fresh), saved, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    seeds = [v for v in fresh.variables if "seed_generator_state" in v.path]
    assert seeds, "the dropout layer's seed state is part of the backup"


def test_only_the_newest_state_is_kept(tmp_path):
    model = _model()
    _fit(model, epochs=3, callbacks=[TrainingBackup(str(tmp_path))])
    assert sorted(os.listdir(tmp_path)) == ["epoch-3.npz", STATE_FILE]
    assert read_backup(str(tmp_path)).epoch == 3


@pytest.mark.parametrize("damage", ["truncated", "flipped", "missing"])
def test_a_damaged_backup_is_refused_and_nothing_is_loaded(tmp_path, damage):
    model = _model()
    _fit(model)
    state = save_backup(model, str(tmp_path), epoch=1)
    data = Path(state.path).read_bytes()
    if damage == "truncated":
        Path(state.path).write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        Path(state.path).write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    else:
        Path(state.path).unlink()
    fresh = _model()
    _fit(fresh)
    before = _state(fresh)
    reason = {"truncated": "has \\d+ bytes, \\d+ were written", "flipped": "does not match its checksum",
              "missing": "epoch-1.npz is missing"}[damage]  # fmt: skip
    with pytest.raises(DamagedBackup, match=f"the backup in {tmp_path} is damaged \\(.*{reason}\\), so it was not loaded"):
        load_backup(fresh, str(tmp_path))
    for ours, theirs in zip(_state(fresh), before):
        np.testing.assert_array_equal(ours, theirs)


def test_a_backup_of_another_model_is_refused(tmp_path):
    model = _model(units=8)
    _fit(model)
    save_backup(model, str(tmp_path), epoch=1)
    other = _model(units=6)
    with pytest.raises(DamagedBackup, match="has shape \\(4, 8\\), the model's is \\(4, 6\\)"):
        load_backup(other, str(tmp_path))


def test_leftovers_of_a_killed_write_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmp_path / f".tmp-{dead.stdout.strip()}-epoch-2.npz"
    leftover.write_bytes(b"half a state")
    model = _model()
    _fit(model)
    save_backup(model, str(tmp_path), epoch=1)
    assert not leftover.exists()


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs: room for one backup of `_model(8000)`, not for a second beside it."""
    with mounted_tmpfs(tmp_path / "disk", "size=1m") as path:
        yield path


def test_a_full_disk_leaves_the_previous_backup_whole(small_disk):
    model = _model(units=8000)  # about 0.5 MB of state: weights and two moments
    _fit(model)
    save_backup(model, str(small_disk), epoch=1)
    saved = _state(model)
    _fit(model)
    with pytest.raises(OSError, match="No space left on device"):
        save_backup(model, str(small_disk), epoch=2)
    assert read_backup(str(small_disk)).epoch == 1
    assert not [name for name in os.listdir(small_disk) if name.startswith(".tmp-")]
    fresh = _model(units=8000)
    assert load_backup(fresh, str(small_disk)) == 1
    for ours, theirs in zip(_state(fresh), saved):
        np.testing.assert_array_equal(ours, theirs)


def _killable(train_file: Path, output: Path, *kill: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "tests" / "training" / "scripts" / "killable_train.py"), str(train_file),
         str(output), *kill], capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip


def _weights_hash(run: subprocess.CompletedProcess) -> str:
    lines = [line for line in run.stdout.splitlines() if line.startswith("weights sha256")]
    assert run.returncode == 0 and lines, run.stdout + run.stderr
    return lines[-1].split()[2]


@pytest.mark.slow
def test_a_resumed_run_ends_with_the_uninterrupted_runs_weights(tmp_path):
    # Dropout, shuffled batches and AdamW's warm-up schedule: every piece of state must come back.
    train_file = write_tsv(tmp_path / "train.tsv", 600, seed=0, words=30)
    uninterrupted = _weights_hash(_killable(train_file, tmp_path / "whole"))
    for name, kill_at in (("mid-epoch", "2:5"), ("between-epochs", "1:end")):
        killed = _killable(train_file, tmp_path / name, "--kill-at", kill_at)
        assert killed.returncode == -9, killed.stdout + killed.stderr
        resumed = _killable(train_file, tmp_path / name)
        assert "resuming from the backup" in resumed.stdout and "after epoch 1" in resumed.stdout, resumed.stdout
        assert _weights_hash(resumed) == uninterrupted, name
