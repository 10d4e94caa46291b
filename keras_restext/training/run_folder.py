"""The run folder: what identifies a run, the run file, resuming a killed run, and claiming the folder.

A killed run started again with the same command resumes after its last finished epoch (the
backup in the folder). The run file (`run.json`) holds the run's fingerprint: the settings that
must not change between a killed run and its resumption, and the content of its data files (a
streamed BLAKE2b digest of every byte, see `content_digest`); another command, or the same command
on data that changed since, refuses to resume it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os

import keras
import tensorflow as tf

from keras_restext.errors import ArgumentError
from keras_restext.export.versions import check_writable_folder
from keras_restext.training.callbacks import BACKUP_DIR, finished_epochs
from keras_restext.training.config import TrainConfig
from keras_restext.training.distribute import is_chief, write_dir
from keras_restext.training.run_lock import run_folder_lock

RUN_FILE = "run.json"
# The settings that must not change between a killed run and its resumption (with the resolved config).
RUN_KEYS = (
    "train", "validation", "format", "text_column", "label_column", "header", "preset", "seed", "validation_fraction",
    "progressive", "freeze_grown", "embeddings", "embeddings_trainable",
)  # fmt: skip
DATA_KEYS = ("train", "validation")  # the data a backup was trained on (a test file does not change the weights)
_CHUNK = 1 << 20


def source_name(source) -> str | None:
    """A data source as the model card and the run file name it: a path, or what kind of object."""
    if source is None or isinstance(source, (str, os.PathLike)):
        return None if source is None else os.fspath(source)
    if isinstance(source, tf.data.Dataset):
        return "a tf.data.Dataset"
    return "in-memory data"


def run_fingerprint(config: TrainConfig, resolved: dict) -> dict:
    """What must not change between a killed run and its resumption (in-memory data by a digest)."""
    options = config.options()
    values = {k: options[k] for k in RUN_KEYS}
    for key in ("train", "validation"):
        if source_name(values[key]) == "in-memory data":
            values[key] = "sha256:" + hashlib.sha256(repr(values[key]).encode()).hexdigest()
        elif values[key] is not None:
            values[key] = source_name(values[key])
    return json.loads(json.dumps({**values, "resolved": resolved}, default=str))


def content_digest(path: str) -> dict:
    """What a data file (or a folder of class folders) holds: its size and a BLAKE2b digest of
    every byte, read in 1 MiB chunks (constant memory; about 0.5 GB/s on one core, a few seconds
    for 1 GB: `benchmarks/fingerprint_cost.py`). Every byte, not the size and time of change or a
    sample: flipping each label of a file keeps its size, an editor or a copy can keep its time,
    and a sample misses the rows it skips.

    Returns:
        `{"bytes": size, "blake2b": hex digest}`; for a folder `"files"` too, the digest then
        covering each file's path under the folder and content, in sorted order.
    """
    digest, size, files = hashlib.blake2b(), 0, []
    if os.path.isdir(path):
        for folder, dirs, names in os.walk(path, followlinks=True):
            dirs[:] = sorted(name for name in dirs if not name.startswith("."))  # hidden: not read, as in `read_dataset`
            files += [os.path.join(folder, name) for name in sorted(names) if not name.startswith(".")]
    else:
        files = [path]
    for file in files:
        digest.update(os.path.relpath(file, path).encode("utf-8", "surrogateescape") + b"\0")
        with open(file, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        digest.update(b"\0")
    described = {"bytes": size, "blake2b": digest.hexdigest()}
    return {**described, "files": len(files)} if os.path.isdir(path) else described


def with_data_contents(fingerprint: dict) -> dict:
    """`fingerprint` (`run_fingerprint`, or a multi-task run's, whose sources are under `"tasks"`)
    with `"data"`: the `content_digest` of each data file or folder it names under `DATA_KEYS`."""
    groups = [fingerprint, *fingerprint.get("tasks", {}).values()]
    paths = {group.get(key) for group in groups for key in DATA_KEYS}
    data = {p: content_digest(p) for p in sorted(p for p in paths if isinstance(p, str) and os.path.exists(p))}
    return {**fingerprint, "data": data}


def _changed_data(output_dir: str, previous: dict, fingerprint: dict) -> None:
    """Refuses to resume on data that changed since the backup was made: one line naming the file."""
    for path, now in fingerprint.get("data", {}).items():
        before = previous.get("data", {}).get(path)
        if before is None or before == now:
            continue
        how = (f"its size went from {before.get('bytes')} to {now['bytes']} bytes" if before.get("bytes") != now["bytes"]
               else "same size, other content")  # fmt: skip
        raise ArgumentError(
            f"{path} changed since the run in {output_dir!r} began ({how}): resuming would train on a mix of both. "
            f"Pass another `output`, or delete {os.path.join(output_dir, BACKUP_DIR)!r} to start over.",
            argument="output",
        )


def _check_resumable(output_dir: str, fingerprint: dict) -> int:
    """The epochs to skip; refuses to resume a backup made by a different command, or on data
    that changed since. A run file written before data digests existed is compared without them."""
    resumed = finished_epochs(output_dir)
    run_file = os.path.join(output_dir, RUN_FILE)
    if resumed and os.path.exists(run_file):
        with open(run_file) as f:
            previous = json.load(f)
        _changed_data(output_dir, previous, fingerprint)
        if "data" not in previous:
            fingerprint = {k: v for k, v in fingerprint.items() if k != "data"}
        if previous != fingerprint:
            raise ArgumentError(
                f"The output folder {output_dir!r} holds the backup of a different run (other data, preset or "
                f"settings). Pass another `output`, or delete {os.path.join(output_dir, BACKUP_DIR)!r} to start over.",
                argument="output",
            )
    return resumed


def check_output_folders(config: TrainConfig, strategy: tf.distribute.Strategy) -> None:
    """Refuses, before the data is read, a run folder (`output`) or an export folder (`export`)
    that could not be written (`check_writable_folder`); creates neither. Only the chief writes them."""
    if is_chief(strategy):
        check_writable_folder(config.output_dir(), "output")
        if config.output.export:
            check_writable_folder(config.output.export, "export")


def _write_run_file(output_dir: str, fingerprint: dict) -> None:
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, RUN_FILE), "w") as f:
        json.dump(fingerprint, f, indent=2)


@contextlib.contextmanager
def start_run(config: TrainConfig, fingerprint: dict, strategy: tf.distribute.Strategy):
    """The run's block: gives `(folder, the epochs a killed run finished, held)`, the folder being
    a temporary one on non-chief workers. Refuses a folder that holds another run's backup (before
    the slow steps: fail fast). Seeds everything. `record_run` claims the folder's lock into
    `held`, which releases it when the block ends."""
    output_dir = write_dir(config.output_dir(), strategy)
    initial_epoch = _check_resumable(output_dir, fingerprint)
    keras.utils.set_random_seed(config.schedule.seed)
    with contextlib.ExitStack() as held:
        yield output_dir, initial_epoch, held


def record_run(output_dir: str, fingerprint: dict, initial_epoch: int, say, held: contextlib.ExitStack) -> bool:
    """Claims the run folder (created once the data has been read, so that bad data leaves none)
    for the rest of the run, writes the run file into it and says when the run resumes a killed
    one; returns whether it does.

    Raises:
        RunFolderInUse: another live run writes into the folder.
    """
    held.enter_context(run_folder_lock(output_dir))
    _write_run_file(output_dir, fingerprint)
    if initial_epoch:
        say(f"restext: resuming from the backup in {os.path.join(output_dir, BACKUP_DIR)} after epoch {initial_epoch}")
    return bool(initial_epoch)


__all__ = [
    "DATA_KEYS", "RUN_FILE", "RUN_KEYS", "check_output_folders", "content_digest", "record_run", "run_fingerprint",
    "source_name", "start_run", "with_data_contents",
]  # fmt: skip
