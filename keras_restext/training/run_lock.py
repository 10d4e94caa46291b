"""One run per run folder: a lock held for the run's life, released by the OS when its process dies.

Two runs writing into one folder corrupt each other's backup, history and record. The lock is an
`flock` on `<folder>/.lock`, which holds the owner's process id for the message; a run that was
killed leaves the file but not the lock, so a stale lock never blocks the next run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os

from keras_restext.errors import RunFolderInUse

LOCK_FILE = ".lock"


@contextlib.contextmanager
def run_folder_lock(folder: str):
    """Holds the lock of `folder` (created if missing) for the block.

    Raises:
        RunFolderInUse: another process holds it; the message names the folder and the process.

    Example:
    >>> with run_folder_lock("/tmp/restext-run"):
    ...     pass  # train, write the record and the export
    """
    os.makedirs(folder, exist_ok=True)
    descriptor = os.open(os.path.join(folder, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            raise RunFolderInUse(
                f"the run folder {folder} is in use by another run (process {owner}); wait for it to end, "
                "or give this run another output folder"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


__all__ = ["LOCK_FILE", "RunFolderInUse", "run_folder_lock"]
