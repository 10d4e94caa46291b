"""Nothing a run made is lost: a failed or killed export keeps the trained model, one run per run
folder, a full disk is one line and leaves what was saved loadable."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from keras_restext.cli.main import main
from keras_restext.export import ExportError, list_versions
from keras_restext.export.versions import remove_dead_exports, write_version_atomically
from keras_restext.export.loading import load_keras_model
from keras_restext.training import train
from keras_restext.training.backup import read_backup
from keras_restext.training.run_lock import RunFolderInUse, run_folder_lock
from tests.training.helpers import clean_log, mounted_tmpfs, write_tsv

REPO = Path(__file__).resolve().parents[2]
TINY = {"preset": "restext_small", "epochs": 1, "verbose": 0, "log": None, "tensorboard": False}


@pytest.fixture
def read_only_at_export(tmp_path, monkeypatch):
    """A tmpfs that turns read-only once the run is evaluated, just before it exports: a folder that
    was writable when the run began (`train` checks it then) and is not at its end."""
    import keras_restext.training.trainer as trainer

    with mounted_tmpfs(tmp_path / "read_only", "size=1m") as path:
        evaluate_splits = trainer.evaluate_splits

        def then_read_only(*args, **kwargs):
            evaluate_splits(*args, **kwargs)
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)

        monkeypatch.setattr(trainer, "evaluate_splits", then_read_only)
        yield path


def _restext(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "keras_restext.cli.main", *args], cwd=cwd, capture_output=True, text=True,
        timeout=600, env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"},
    )  # fmt: skip


def test_a_failed_export_keeps_the_trained_model(tmp_path, read_only_at_export):
    data = write_tsv(tmp_path / "train.tsv", 120)
    run = tmp_path / "run"
    with pytest.raises(ExportError, match=f"cannot export to {read_only_at_export}/sst2: Read-only file system"):
        train(train=str(data), output=str(run), export=str(read_only_at_export / "sst2"), **TINY)
    # The model and its record landed first; the backup stays until an export succeeds.
    assert (run / "model.keras").is_file() and (run / "metrics.json").is_file()
    assert (run / "backup").is_dir()

    # The same command again resumes after the last epoch instead of training from scratch.
    logged = []
    result = train(train=str(data), output=str(run), export=str(tmp_path / "savedmodels" / "sst2"),
                   **{**TINY, "log": logged.append})  # fmt: skip
    assert any("resuming from the backup" in line and "after epoch 1" in line for line in logged), logged
    assert result.export_path == str(tmp_path / "savedmodels" / "sst2" / "1")
    assert not (run / "backup").exists()  # removed once the export is written


@pytest.mark.slow
def test_the_cli_says_where_the_model_is_and_reexports_the_run(tmp_path, read_only_at_export, capsys, monkeypatch):
    data = write_tsv(tmp_path / "train.tsv", 120)
    monkeypatch.chdir(tmp_path)
    code = main(["train", "--train", str(data), "--preset", "restext_small", "--epochs", "1",
                 "--output", "run", "--export", str(read_only_at_export / "m"), "--verbose", "0"])  # fmt: skip
    stderr = capsys.readouterr().err
    assert code == 2, stderr[-2000:]
    lines = [line for line in clean_log(stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("restext: error: cannot export to"), lines
    assert "Read-only file system" in lines[0] and "restext export --model run" in lines[0]
    # `restext export --model RUN_FOLDER` takes the run's model.keras.
    again = _restext("export", "--model", "run", "--export", "savedmodels/m", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert list_versions(str(tmp_path / "savedmodels" / "m")) == [1]


def test_an_export_onto_a_file_is_one_clear_error(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    with pytest.raises(ExportError, match="it is a file, not a folder"):
        write_version_atomically(str(tmp_path / "taken"), lambda folder, version: None)


def test_dead_exports_leftovers_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # that process has exited
    (tmp_path / f".tmp-1-{dead_pid}").mkdir()
    (tmp_path / f".tmp-1-{os.getpid()}-other").mkdir()  # not an export's temporary folder
    live = tmp_path / f".tmp-2-{os.getppid()}"  # a live process's export in progress
    live.mkdir()
    assert remove_dead_exports(str(tmp_path)) == [str(tmp_path / f".tmp-1-{dead_pid}")]
    assert live.is_dir()
    assert write_version_atomically(str(tmp_path), lambda folder, version: None) == str(tmp_path / "1")


def test_one_run_per_run_folder(tmp_path):
    data = write_tsv(tmp_path / "train.tsv", 60)
    run = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom keras_restext.training.run_lock import run_folder_lock\n"
         "with run_folder_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)\n", str(run)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunFolderInUse, match=f"{run} is in use by another run \\(process {holder.pid}\\)"):
            train(train=str(data), output=str(run), **TINY)
    finally:
        holder.kill()
        holder.wait()
    # The holder died without releasing anything by hand: its stale lock file does not block.
    assert (run / ".lock").read_text().strip() == str(holder.pid)
    result = train(train=str(data), output=str(run), **TINY)
    assert result.epochs_run == 1


def test_the_lock_is_released_when_a_run_fails(tmp_path):
    folder = str(tmp_path / f"run-{uuid.uuid4().hex}")
    with pytest.raises(RuntimeError):
        with run_folder_lock(folder):
            raise RuntimeError("the run failed")
    with run_folder_lock(folder):  # not blocked by the failed run of this same process
        pass


def _train_args(data: Path, run: Path, export: Path) -> tuple[str, ...]:
    return ("train", "--train", str(data), "--preset", "restext_small", "--epochs", "2", "--output", str(run),
            "--export", str(export), "--verbose", "0")  # fmt: skip


@pytest.mark.slow
def test_a_kill_during_export_keeps_the_training_and_the_rerun_exports(tmp_path):
    data = write_tsv(tmp_path / "train.tsv", 120)
    run, export = tmp_path / "run", tmp_path / "savedmodels"
    command = [sys.executable, "-m", "keras_restext.cli.main", *_train_args(data, run, export)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while not list(export.glob(".tmp-*")) and process.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)  # mid-export, as hard as a preempted machine
    log = process.communicate(timeout=30)[0].decode(errors="replace")
    assert process.returncode == -signal.SIGKILL, log
    assert list(export.glob(".tmp-*")) and not list_versions(str(export))
    # The training survived: the model and its record landed before the export began, the backup stays.
    assert (run / "model.keras").is_file() and (run / "backup" / "state.json").is_file()

    again = _restext(*_train_args(data, run, export), cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"resuming from the backup in {run / 'backup'} after epoch 2" in again.stdout
    assert f"exported {export / '1'}" in again.stdout
    assert not list(export.glob(".tmp-*"))  # the dead export's folder was removed
    assert not (run / "backup").exists()


@pytest.fixture
def two_mb_disk(tmp_path):
    with mounted_tmpfs(tmp_path / "disk", "size=2m") as path:
        yield path


@pytest.mark.slow
@pytest.mark.parametrize("free_kb", [150, 700])  # the disk fills in the backup of epoch 1 / in the export
def test_out_of_space_is_one_line_and_what_was_saved_stays_loadable(tmp_path, two_mb_disk, free_kb):
    data = write_tsv(tmp_path / "train.tsv", 120)
    run, export = two_mb_disk / "run", two_mb_disk / "savedmodels"
    filler = two_mb_disk / "filler"
    filler.write_bytes(b"\0" * (shutil.disk_usage(two_mb_disk).free - free_kb * 1024))

    failed = _restext(*_train_args(data, run, export), cwd=tmp_path)
    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "Traceback" not in failed.stderr and "Exception ignored" not in failed.stderr, failed.stderr
    error = failed.stderr.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("restext: error:") and "No space left on device" in error[0], error
    # Whatever was written is whole: the backup passes its check, the model loads, no half export.
    if (run / "backup").exists():
        read_backup(str(run / "backup"))
    if (run / "model.keras").exists():
        assert load_keras_model(str(run / "model.keras")) is not None
    assert not list_versions(str(export)) and not list(export.glob(".tmp-*"))
    assert not [p for p in two_mb_disk.rglob(".tmp-*")]

    filler.unlink()  # space again: the same command finishes the run
    again = _restext(*_train_args(data, run, export), cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (export / "1" / "saved_model.pb").is_file()
