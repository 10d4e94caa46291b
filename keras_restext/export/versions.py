"""Version folders of an export (TF Serving's layout, `savedmodels/NAME/<version>/`), each written
whole or not at all.

A version is written into a hidden temporary folder `.tmp-<version>-<pid>` and renamed into place.
Its name keeps the version before the process id, as every earlier release wrote it: a name
`.tmp-A-B` does not say which of A and B is the pid, so taking up `keras_restext.files`' order
(`.tmp-<pid>-<name>`) would make an older release's leftover look like a live process's folder, or
a live one's look dead. The two kinds share `keras_restext.files.dead_temporaries`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable

from keras_restext.errors import ArgumentError, ExportError
from keras_restext.files import dead_temporaries

_VERSION = re.compile(r"^\d+$")
_TEMPORARY = re.compile(r"^\.tmp-\d+-(\d+)$")  # `.tmp-<version>-<pid>`, a version being written


def list_versions(base_dir: str) -> list[int]:
    """The integer version folders under `base_dir`, ascending (temporary folders ignored)."""
    if not os.path.isdir(base_dir):
        return []
    names = [n for n in os.listdir(base_dir) if _VERSION.match(n) and os.path.isdir(os.path.join(base_dir, n))]
    return sorted(int(n) for n in names)


def next_version(base_dir: str) -> int:
    """One more than the highest version under `base_dir`, 1 for a new model.

    Example:
    >>> next_version("/nonexistent/savedmodels/sst2")
    1
    """
    versions = list_versions(base_dir)
    return versions[-1] + 1 if versions else 1


def check_writable_folder(path: str, argument: str) -> None:
    """Refuses, before any slow work, a folder that a run or an export would fail to write at its
    end: a file where the folder (or a folder above it) should be, a read-only file system, a
    folder without write permission. Creates nothing: the folder, or the nearest one above it
    that exists, is checked as it is.

    Args:
        path: the folder to be written (created if missing), e.g. `savedmodels/sst2`.
        argument: the argument that named it, e.g. "export".

    Raises:
        ArgumentError: one line, naming `argument`, the place that cannot be written and why.

    Example:
    >>> taken = tempfile.NamedTemporaryFile()
    >>> check_writable_folder(os.path.join(taken.name, "sst2"), "export")
    Traceback (most recent call last):
    ...
    keras_restext.errors.ArgumentError: `export` cannot be written: /tmp/... is a file, so no folder can be made inside it. Received: export='/tmp/.../sst2'
    """
    path = os.fspath(path)
    problem = _unwritable(path)
    if problem:
        raise ArgumentError(f"`{argument}` cannot be written: {problem}. Received: {argument}={path!r}", argument=argument)


def _unwritable(path: str) -> str | None:
    """Why `path` could not be made or written as a folder, or None."""
    if "\0" in path:
        return "a path cannot hold a NUL byte"
    if os.path.exists(path) and not os.path.isdir(path):
        return f"{path} is a file, not a folder"
    existing = os.path.abspath(path)
    while not os.path.exists(existing):  # the nearest folder above it that exists (`/` at worst)
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return f"{existing} is a file, so no folder can be made inside it"
    try:  # a real try, not access(2): that one is wrong for root on /proc, for NFS, ACLs, ...
        os.rmdir(tempfile.mkdtemp(prefix=".tmp-check-", dir=existing))
    except OSError as error:
        return f"no folder can be made in {existing} ({error.strerror or error})"
    return None


def _cannot_export(base_dir: str, error: OSError) -> ExportError:
    return ExportError(f"cannot export to {base_dir}: {error.strerror or error}")


def write_version_atomically(base_dir: str, write: Callable[[str, int], None]) -> str:
    """Writes a new version folder under `base_dir` so that it appears complete or not at all.

    `write(folder, version)` fills a temporary folder `base_dir/.tmp-<version>-<pid>`, which is then renamed
    to `base_dir/<version>`. A crash leaves only the hidden temporary folder (which TF Serving
    ignores); if another process took the version meanwhile, the next free one is used.

    Args:
        base_dir: the model's folder, e.g. `savedmodels/sst2`; created if missing.
        write: a function that writes every file of the version into the folder it is given
            (the version number is passed for reference, e.g. in a model card).

    Returns:
        The path of the new version folder.
    """
    if os.path.exists(base_dir) and not os.path.isdir(base_dir):
        raise ExportError(f"cannot export to {base_dir}: it is a file, not a folder")
    try:
        os.makedirs(base_dir, exist_ok=True)
    except OSError as error:
        raise _cannot_export(base_dir, error) from error
    remove_dead_exports(base_dir)
    version = next_version(base_dir)
    tmp = os.path.join(base_dir, f".tmp-{version}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        os.makedirs(tmp)
        write(tmp, version)
        return _rename_to_free_version(base_dir, tmp, version)
    except OSError as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(error, ExportError):
            raise
        raise _cannot_export(base_dir, error) from error
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _rename_to_free_version(base_dir: str, tmp: str, version: int) -> str:
    """Renames the written folder `tmp` to `base_dir/<version>`, or to the next free version when
    another process took that one meanwhile; returns the version folder."""
    for _ in range(100):
        target = os.path.join(base_dir, str(version))
        try:
            os.rename(tmp, target)  # atomic on one file system; fails if the target exists
            return target
        except OSError:
            if not os.path.exists(target):
                raise
            version = max(version + 1, next_version(base_dir))
    raise ExportError(f"cannot export to {base_dir}: no free version folder")


def remove_dead_exports(base_dir: str) -> list[str]:
    """Removes the temporary folders (`.tmp-<version>-<pid>`) of exports whose process is gone
    (killed mid-export); returns their paths. Those of live processes are left alone."""
    removed = dead_temporaries(base_dir, _TEMPORARY)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


__all__ = [
    "ExportError",
    "check_writable_folder",
    "list_versions",
    "next_version",
    "remove_dead_exports",
    "write_version_atomically",
]
