"""A directory with one sub-folder per class and one document per file, the layout of
`keras.utils.text_dataset_from_directory`: `root/<class>/<any/sub/path>/<file>`.

The label is the sub-folder's name; classes are the sub-folders in sorted order (or `class_names`).
Files are read as bytes and decoded as UTF-8 (or as their byte-order mark says: UTF-16/32;
gzip, bzip2 and xz files decompressed; see `sources.encodings`): bytes that are not valid are
replaced with U+FFFD and counted in `TextData.decode_errors` (or, with `encoding_errors="strict"`,
raise a `DataError` naming the file and line). Hidden files and files directly under `root` are skipped
and counted in `TextData.skipped_reasons`. The file order is shuffled once with `seed` (like Keras)
so that a shuffle buffer smaller than the data still mixes classes; `shuffle_files=False` keeps the
sorted order (class by class).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence

import numpy as np

from keras_restext.data.errors import DataError
from keras_restext.data.sources.common import ENCODING_ERRORS, TextCheck, check_choice
from keras_restext.data.sources import paths
from keras_restext.data.sources.encodings import decode_document, read_document
from keras_restext.data.sources.native import native_compression, with_native_folder
from keras_restext.data.textdata import Row, Tally, TextData, from_rows


def _class_files(root: str, name: str, follow_links: bool) -> list[str]:
    files = []
    for folder, dirs, names in paths.walk(paths.join(root, name), follow_links):
        dirs.sort()
        files.extend(paths.join(folder, n) for n in sorted(names))
    return files


def _decode(path: str, encoding: str, errors: str, tally: Tally, root: str) -> str:
    """A document's text (by its byte-order mark, decompressed); bad bytes counted under `root`."""
    text, repaired = decode_document(read_document(path), path, encoding, errors)
    if repaired:
        tally.decode_error(root)
    return text


def _class_folders(directory: str, class_names: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """The class folders (`class_names`, or the visible sub-folders in sorted order) and the
    files directly under `directory`."""
    if not paths.isdir(directory):
        raise DataError("no such directory", path=directory, expected="a directory with one sub-folder per class")
    entries = paths.listdir(directory)
    folders = [e for e in entries if paths.isdir(paths.join(directory, e)) and not e.startswith(".")]
    loose = [e for e in entries if paths.isfile(paths.join(directory, e))]
    if class_names is not None:
        unknown = [c for c in class_names if c not in folders]
        if unknown:
            raise DataError(
                f"class_names {unknown} have no sub-folder",
                path=directory,
                expected=f"names among the sub-folders {folders}",
            )
        folders = list(class_names)
    if not folders:
        raise DataError(
            "the directory has no sub-folders",
            path=directory,
            expected="one sub-folder per class, one document per file (e.g. root/positive/1.txt)",
        )
    return folders, loose


def _documents(directory: str, folders: list[str], follow_links: bool) -> tuple[list[tuple[str, str]], int]:
    """The `(path, label)` of every visible file in the class folders, and the number of hidden files."""
    items, hidden = [], 0
    for label in folders:
        for path in _class_files(directory, label, follow_links):
            if os.path.basename(path).startswith("."):
                hidden += 1
            else:
                items.append((path, label))
    if not items:
        expected = "one document per file in each class sub-folder"
        raise DataError("the class sub-folders hold no files", path=directory, expected=expected)
    return items, hidden


def read_folder(
    directory: str,
    *,
    class_names: Sequence[str] | None = None,
    shuffle_files: bool = True,
    seed: int = 0,
    follow_links: bool = False,
    encoding: str = "utf-8",
    encoding_errors: str = "replace",
    limit: int | None = None,
    chunk_size: int = 512,
    native: bool = True,
) -> TextData:
    """Reads a class-per-folder directory; see the module docstring and `read_dataset`. With
    `native`, one first pass in Python reads every file, and the dataset is then `tf.data`'s C++
    reader (`tf.io.read_file` of each path) when it reads the same examples (see `sources.native`)."""
    check_choice("encoding_errors", encoding_errors, ENCODING_ERRORS)
    folders, loose = _class_folders(directory, class_names)
    items, hidden = _documents(directory, folders, follow_links)
    if shuffle_files:
        order = np.random.default_rng(seed).permutation(len(items))
        items = [items[i] for i in order]
    tally = Tally()

    def start_pass() -> None:
        tally.start(directory)
        for _ in range(hidden):
            tally.skip(directory, "hidden file")
        for _ in loose:
            tally.skip(directory, "file outside the class folders")

    start_pass()  # the skipped files are known now: report them before the first pass

    def read_all() -> Iterator[Row]:
        start_pass()
        texts = TextCheck()
        for path, label in items:
            text = _decode(path, encoding, encoding_errors, tally, directory)
            texts.see(text)
            yield Row(text, label, path, 1)
        texts.check(directory, "the files of the class folders", columns=False)
        tally.finish(directory)

    def rows() -> Iterator[Row]:
        return read_all() if limit is None else itertools.islice(read_all(), limit)

    data = from_rows(rows, path=directory, format="folder", tally=tally, label_names=list(folders), chunk_size=chunk_size)
    if native and all((native_compression(path, encoding) or ("GZIP",))[0] == "" for path, _ in items):
        with_native_folder(data, items[:limit] if limit is not None else items, tally)
    return data


__all__ = ["read_folder"]
