"""Paths of data files, local or remote: `tf.io.gfile` for every path with a scheme (`gs://`,
`s3://` through tensorflow-io, `hdfs://`, `ram://`), the standard library for local paths (whose
globs keep Python's `**`).

Example:
>>> import tensorflow as tf
>>> with tf.io.gfile.GFile("ram://paths-doctest/a.csv", "w") as f:
...     _ = f.write("text,label\\nfine,1\\n")
>>> glob_files("ram://paths-doctest/*.csv"), file_size("ram://paths-doctest/a.csv")
(['ram://paths-doctest/a.csv'], 18)
"""

from __future__ import annotations

import glob
import io
import os
import re
from collections.abc import Iterator
from typing import BinaryIO

import tensorflow as tf

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_remote(path: str) -> bool:
    """Whether `path` names a file system by its scheme (`gs://...`, `ram://...`)."""
    return bool(_SCHEME.match(path))


def exists(path: str) -> bool:
    return tf.io.gfile.exists(path) if is_remote(path) else os.path.exists(path)


def isdir(path: str) -> bool:
    return tf.io.gfile.isdir(path) if is_remote(path) else os.path.isdir(path)


def isfile(path: str) -> bool:
    return exists(path) and not isdir(path)


def file_size(path: str) -> int:
    """The size of a file in bytes."""
    return tf.io.gfile.stat(path).length if is_remote(path) else os.path.getsize(path)


def glob_files(pattern: str) -> list[str]:
    """The files (not folders) that a glob matches, sorted."""
    found = tf.io.gfile.glob(pattern) if is_remote(pattern) else glob.glob(pattern, recursive=True)
    return sorted(path for path in found if isfile(path))


def listdir(path: str) -> list[str]:
    """The names in a folder, sorted (without a trailing '/', which gfile adds to folders)."""
    names = tf.io.gfile.listdir(path) if is_remote(path) else os.listdir(path)
    return sorted(name.rstrip("/") for name in names)


def walk(top: str, follow_links: bool = False) -> Iterator[tuple[str, list[str], list[str]]]:
    """`os.walk` of a local folder, `tf.io.gfile.walk` of a remote one (top-down; sort `dirs` in place)."""
    if is_remote(top):
        for folder, dirs, names in tf.io.gfile.walk(top):
            yield folder, dirs, names
    else:
        yield from os.walk(top, followlinks=follow_links)


def join(folder: str, *names: str) -> str:
    return os.path.join(folder, *names)


class _GFileRaw(io.RawIOBase):
    """A `tf.io.gfile.GFile` as a raw binary stream, so that `io.BufferedReader` can `peek` it."""

    def __init__(self, path: str):
        self._file = tf.io.gfile.GFile(path, "rb")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._file.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._file.close()
        super().close()


def open_binary(path: str) -> BinaryIO:
    """A buffered binary stream of the file (with `peek`), local or remote."""
    if is_remote(path):
        return io.BufferedReader(_GFileRaw(path), buffer_size=1 << 20)
    return open(path, "rb")


__all__ = ["exists", "file_size", "glob_files", "is_remote", "isdir", "isfile", "join", "listdir", "open_binary", "walk"]
