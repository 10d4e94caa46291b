"""Files that appear whole or not at all: what a run and an export write must survive a kill or a
full disk.

`write_atomically(path, write)` lets `write` fill a temporary file beside `path`, flushes it to the
disk (`fsync`) and renames it onto `path` (atomic on one file system), then flushes the folder so
that the rename itself is durable. A kill or a full disk at any moment leaves either the old file
or the new one, never a part of one; the temporary file is removed when `write` fails.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Callable

_TEMPORARY_PREFIX = ".tmp-"
_TEMPORARY_FILE = re.compile(r"^\.tmp-(\d+)-.")  # `.tmp-<pid>-<name>`


def temporary_path(path: str) -> str:
    """A hidden name beside `path` for this process, with the same ending (Keras checks endings).

    Example:
    >>> temporary_path("/runs/a/model.keras").startswith("/runs/a/.tmp-")
    True
    >>> temporary_path("/runs/a/model.keras").endswith("-model.keras")
    True
    """
    folder, name = os.path.split(path)
    return os.path.join(folder, f"{_TEMPORARY_PREFIX}{os.getpid()}-{name}")


def _fsync_path(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomically(path: str, write: Callable[[str], None]) -> None:
    """Writes `path` through `write(temporary_path)`, so that it is complete or untouched.

    Args:
        path: the file to write (replaced if it exists).
        write: writes the whole file at the path it is given.

    Raises:
        OSError: the write failed (e.g. `ENOSPC`); `path` is as it was before.
    """
    tmp = temporary_path(path)
    try:
        write(tmp)
        _fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_path(os.path.dirname(path) or ".")


def write_bytes_atomically(path: str, payload: bytes) -> None:
    """`write_atomically` for bytes already in memory."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(payload)

    write_atomically(path, write)


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (someone else's live process counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def dead_temporaries(folder: str, pattern: re.Pattern[str]) -> list[str]:
    """The paths in `folder` whose name `pattern` matches and whose writer, the process id of the
    pattern's first group, is gone: what a killed writer left. Those of live processes are left out.

    Args:
        folder: an existing folder.
        pattern: the temporary names of one writer, e.g. `.tmp-<pid>-<name>` for `write_atomically`.
    """
    return [
        os.path.join(folder, name)
        for name in os.listdir(folder)
        if (match := pattern.match(name)) and not process_alive(int(match.group(1)))
    ]


def remove_dead_temporaries(folder: str) -> list[str]:
    """Removes the temporary files of `write_atomically` calls whose process was killed; those of
    live processes are left alone. Returns the removed paths."""
    if not os.path.isdir(folder):
        return []
    removed = [path for path in dead_temporaries(folder, _TEMPORARY_FILE) if os.path.isfile(path)]
    for path in removed:
        os.remove(path)
    return removed


def ensure_free_space(folder: str, needed_bytes: int) -> None:
    """Raises `OSError(ENOSPC)` naming `folder` when its disk has less than `needed_bytes` free.

    HDF5 (Keras' `.weights.h5`) can crash the process on a disk that fills while it writes;
    checking first turns the common case into a clean error.
    """
    free = shutil.disk_usage(folder).free
    if free < needed_bytes:
        raise OSError(
            errno.ENOSPC,
            f"No space left on device: {needed_bytes / 1e6:.1f} MB needed, {free / 1e6:.1f} MB free",
            folder,
        )


__all__ = [
    "dead_temporaries",
    "ensure_free_space",
    "process_alive",
    "remove_dead_temporaries",
    "temporary_path",
    "write_atomically",
    "write_bytes_atomically",
]
