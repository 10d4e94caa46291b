"""A run resumes only on the data it began with, and writes only where it can (issue 50).

- The run file records every data file's content (`content_digest`): a file changed since the
  backup, even at the same size and time of change, refuses to resume with one line naming it.
- The run folder and the export folder are checked before the data is read, so that a folder that
  cannot be written fails in a second, not after the training.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import keras
import pytest

from keras_restext.cli.main import main
from keras_restext.errors import ArgumentError
from keras_restext.training import train
from keras_restext.training.run_folder import RUN_FILE, content_digest, with_data_contents
from tests.training.helpers import mounted_tmpfs, write_tsv

TINY = {"preset": "restext_small", "verbose": 0, "log": None, "tensorboard": False}


class KillAfterFirstEpoch(keras.callbacks.Callback):
    """Stops the run as a kill would, once epoch 1's backup is written (the run's own callbacks come first)."""

    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt("killed after epoch 1")


def _stopped_run(data: Path, run: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        train(train=str(data), output=str(run), epochs=2, callbacks=[KillAfterFirstEpoch()], **TINY)
    assert (run / "backup").is_dir() and "data" in json.loads((run / RUN_FILE).read_text())


def _flip_labels_keeping_size_and_time(path: Path) -> None:
    """Every label swapped ("negative" <-> "positive": the same length), the time of change put back."""
    stat = path.stat()
    text = path.read_text().replace("\tnegative", "\tTMP").replace("\tpositive", "\tnegative").replace("\tTMP", "\tpositive")
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns


def test_a_run_does_not_resume_on_data_that_changed(tmp_path):
    data, run = write_tsv(tmp_path / "train.tsv", 120), tmp_path / "run"
    _stopped_run(data, run)
    _flip_labels_keeping_size_and_time(data)
    with pytest.raises(ArgumentError) as error:
        train(train=str(data), output=str(run), epochs=2, **TINY)
    message = str(error.value)
    assert message.startswith(f"{data} changed since the run in {str(run)!r} began (same size, other content)")
    assert f"delete {str(run / 'backup')!r} to start over" in message and "`output`" in message
    assert error.value.argument == "output" and "\n" not in message
    # As the message says: without the backup, the same command starts over on the new data.
    import shutil

    shutil.rmtree(run / "backup")
    assert train(train=str(data), output=str(run), epochs=1, **TINY).initial_epoch == 0


def test_a_run_resumes_on_the_same_data_and_names_a_size_change(tmp_path):
    data, run = write_tsv(tmp_path / "train.tsv", 120), tmp_path / "run"
    _stopped_run(data, run)
    logged: list[str] = []
    result = train(train=str(data), output=str(run), epochs=2, **{**TINY, "log": logged.append})
    assert result.initial_epoch == 1 and any("resuming from the backup" in line for line in logged), logged

    _stopped_run(data, run)
    size = data.stat().st_size
    with data.open("a") as f:
        f.write("one more row\tnegative\n")
    with pytest.raises(ArgumentError, match=f"its size went from {size} to {data.stat().st_size} bytes"):
        train(train=str(data), output=str(run), epochs=2, **TINY)


def test_a_run_file_of_an_older_release_still_resumes(tmp_path):
    data, run = write_tsv(tmp_path / "train.tsv", 120), tmp_path / "run"
    _stopped_run(data, run)
    recorded = json.loads((run / RUN_FILE).read_text())
    del recorded["data"]  # as written before the data's content was recorded
    (run / RUN_FILE).write_text(json.dumps(recorded))
    assert train(train=str(data), output=str(run), epochs=2, **TINY).initial_epoch == 1


def test_the_digest_covers_every_byte_of_files_and_class_folders(tmp_path):
    file = tmp_path / "a.csv"
    file.write_bytes(b"text,label\nfine,1\n")
    before = content_digest(str(file))
    file.write_bytes(b"text,label\nfine,0\n")  # one byte, the same size
    assert content_digest(str(file))["bytes"] == before["bytes"] and content_digest(str(file)) != before

    folder = tmp_path / "docs"
    for label, text in (("neg", "dull"), ("pos", "great")):
        (folder / label).mkdir(parents=True)
        (folder / label / "1.txt").write_text(text)
    before = content_digest(str(folder))
    assert before["files"] == 2
    (folder / ".DS_Store").write_text("not read as data")  # hidden files are not data (read_dataset skips them)
    assert content_digest(str(folder)) == before
    (folder / "neg" / "1.txt").rename(folder / "pos" / "2.txt")  # a document moved to the other class
    assert content_digest(str(folder)) != before


def test_every_data_file_of_a_multitask_run_is_covered(tmp_path):
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    first.write_text("x\t1\n")
    second.write_text("y\t2\n")
    fingerprint = {"tasks": {"a": {"train": str(first), "validation": None}, "b": {"train": str(second)}},
                   "seed": 1}  # fmt: skip
    data = with_data_contents(fingerprint)["data"]
    assert set(data) == {str(first), str(second)}
    assert with_data_contents({"train": "tfds:imdb_reviews", "validation": "sha256:00"})["data"] == {}


@pytest.fixture
def read_only_dir(tmp_path):
    with mounted_tmpfs(tmp_path / "read_only", "ro,size=1m") as path:
        yield path


@pytest.mark.parametrize("where", ["read-only", "a file", "inside a file"])
@pytest.mark.parametrize("argument", ["output", "export"])
def test_output_folders_are_checked_before_the_data_is_read(tmp_path, read_only_dir, where, argument):
    (tmp_path / "taken").write_text("a file")
    folder = {"read-only": read_only_dir / "m", "a file": tmp_path / "taken", "inside a file": tmp_path / "taken" / "m"}
    settings = {"output": str(tmp_path / "run"), "export": str(tmp_path / "savedmodels" / "m")}
    settings[argument] = str(folder[where])
    start = time.time()
    # The training file does not exist: a check after the reading would fail on it instead.
    with pytest.raises(ArgumentError) as error:
        train(train=str(tmp_path / "missing.tsv"), epochs=1, **settings, **TINY)
    assert error.value.argument == argument and str(error.value).startswith(f"`{argument}` cannot be written: ")
    assert f"Received: {argument}={str(folder[where])!r}" in str(error.value)
    assert time.time() - start < 30 and not (tmp_path / "run").exists()


def test_the_cli_says_which_flag_before_training(tmp_path, read_only_dir, capsys):
    data = write_tsv(tmp_path / "train.tsv", 60)
    code = main(["train", "--train", str(data), "--preset", "restext_small", "--epochs", "1", "--verbose", "0",
                 "--output", str(tmp_path / "run"), "--export", str(read_only_dir / "m")])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("restext: error: --export cannot be written: no folder can be made in ")
    assert "Read-only file system" in err[0] and f"Received: --export {read_only_dir / 'm'}" in err[0]
    assert "restext export" not in err[0] and not (tmp_path / "run").exists()  # nothing trained to export again
