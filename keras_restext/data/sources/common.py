"""Helpers shared by the file sources: finding files, decoding lines, checking options and labels."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

from keras_restext.data.errors import DataError, shorten
from keras_restext.data.textdata import Tally

BAD_ROW_POLICIES = ("error", "skip")
ENCODING_ERRORS = ("replace", "strict")
GLOB_CHARS = "*?["


def check_choice(name: str, value, allowed: Sequence) -> None:
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {tuple(allowed)}. Received: {name}={value!r}")


def list_files(source: str) -> list[str]:
    """The files a path or glob names, sorted; raises `DataError` for a missing file or no match."""
    if any(ch in source for ch in GLOB_CHARS):
        files = sorted(f for f in glob.glob(source, recursive=True) if os.path.isfile(f))
        if not files:
            raise DataError(
                "no file matches the pattern",
                path=source,
                expected="a glob that matches at least one file (e.g. 'data/train-*.csv')",
            )
        return files
    if not os.path.exists(source):
        raise DataError("no such file or directory", path=source, expected="an existing file, a glob pattern or a directory")
    if os.path.isdir(source):
        raise DataError("is a directory", path=source, expected="a file (a directory is read with format='folder')")
    return [source]


def decoded_lines(
    stream: BinaryIO, path: str, encoding: str, errors: str, tally: Tally
) -> Iterator[str]:
    """Decodes a binary file line by line: bad bytes are replaced with U+FFFD (and counted) or, with
    `errors="strict"`, raise a `DataError` naming the line. Keeps line endings, like `newline=""`, so
    the `csv` module sees quoted newlines. Works for ASCII-compatible encodings (UTF-8, Latin-1, ...)."""
    for number, raw in enumerate(stream, 1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as err:
            if errors == "strict":
                raise DataError(
                    f"bytes that are not valid {encoding}: {shorten(raw[err.start:err.end])} at byte {err.start} of the line",
                    path=path,
                    line=number,
                    expected=f"{encoding} text (pass encoding='latin-1', "
                    "or encoding_errors='replace' to replace bad bytes with U+FFFD)",
                ) from None
            tally.decode_error(path)
            text = raw.decode(encoding, errors="replace")
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]  # a byte-order mark
        yield text


def label_to_str(value) -> str:
    """A label as a string: ints and integral floats become `"3"`, bytes are decoded."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip()
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "item") and not isinstance(value, (str, list)):  # numpy scalars
        return label_to_str(value.item())
    return str(value).strip()


def join_label_list(value: Iterable, delimiter: str | None, path: str, line: int) -> str:
    """A list of labels (JSON, in-memory) as one delimited string; needs `label_delimiter`."""
    if delimiter is None:
        raise DataError(
            f"the label is a list ({shorten(value)})",
            path=path,
            line=line,
            expected="a single label, or label_delimiter='|' to read multi-label rows",
        )
    return delimiter.join(label_to_str(v) for v in value)


def text_to_str(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


__all__ = [
    "BAD_ROW_POLICIES",
    "ENCODING_ERRORS",
    "check_choice",
    "decoded_lines",
    "join_label_list",
    "label_to_str",
    "list_files",
    "text_to_str",
]
