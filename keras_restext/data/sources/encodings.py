"""How a data file's bytes become text: compression, byte-order marks, the encoding.

- Compressed files are read as they are, whatever their name: gzip (bytes `1f 8b`), bzip2 (`BZh`)
  and xz (`fd 37 7a 58 5a 00`), by the standard library, streamed. A zip archive or a zstd file is
  refused with one line saying to decompress it; damaged compressed data is one line too.
- A byte-order mark decides the encoding when UTF-8 (the default) is asked for: UTF-8 (the mark is
  dropped), UTF-16 LE/BE and UTF-32 LE/BE (decoded; bytes that are not valid in them are replaced
  with U+FFFD and counted, like bad UTF-8). Text that looks like UTF-16 or UTF-32 without a mark
  (NUL bytes between the characters) is refused with one line naming the encoding and how to
  convert it: read as UTF-8 it would be one NUL after every character.
- Other bytes that are not valid UTF-8 are replaced with U+FFFD and counted (or refused with
  `encoding_errors="strict"`), line by line (`decoded_lines`).

Every check looks at the first bytes of the file only: nothing here adds a pass over the data.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import gzip
import io
import lzma
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from keras_restext.data.errors import DataError, shorten
from keras_restext.data.sources.paths import open_binary
from keras_restext.data.textdata import Tally
from keras_restext.errors import ArgumentError

_HEAD = 4096  # bytes looked at to tell the compression, the byte-order mark and wide text
# (magic bytes, name, opener of a binary file object)
_COMPRESSED = (
    (b"\x1f\x8b", "gzip", lambda raw: gzip.GzipFile(fileobj=raw)),
    (b"\xfd7zXZ\x00", "xz", lzma.LZMAFile),
    (b"BZh", "bzip2", bz2.BZ2File),
)
_REFUSED = ((b"PK\x03\x04", "a zip archive", "unzip it"), (b"\x28\xb5\x2f\xfd", "zstd-compressed", "zstd -d"))
_DAMAGED = (EOFError, OSError, zlib.error, lzma.LZMAError)  # gzip.BadGzipFile is an OSError
# The longest first: UTF-32-LE's mark begins with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UTF8 = ("utf-8", "utf-8-sig")
# What a bad byte sequence decodes to in UTF-16/32 text: a lone surrogate, which no valid UTF-16 or
# UTF-32 decodes to, so that the line that held it can be counted (or named) and then repaired.
_BAD = "\udcff"
codecs.register_error("keras_restext.mark_bad", lambda error: (_BAD, error.end))


def _compression(head: bytes, path: str):
    """The `(name, opener)` of a compressed file's head, None for a plain file; refuses archives."""
    for magic, name, hint in _REFUSED:
        if head.startswith(magic):
            raise DataError(f"the file is {name}", path=path, expected=f"a text file: decompress it first ({hint})")
    for magic, name, opener in _COMPRESSED:
        if head.startswith(magic) and (name != "bzip2" or head[4:10] == b"1AY&SY"):  # "BZh" may start a text
            return name, opener
    return None


@contextlib.contextmanager
def open_data(path: str) -> Iterator[tuple[BinaryIO, str | None]]:
    """Opens a data file for reading bytes, decompressed when it is gzip, bzip2 or xz.

    Yields:
        `(stream, compression)`: a binary stream with `peek`, and "gzip", "bzip2", "xz" or None.
    """
    with open_binary(path) as raw:
        found = _compression(raw.peek(10)[:10], path)
        if found is None:
            yield raw, None
            return
        with found[1](raw) as stream:
            yield stream, found[0]


def _wide_encoding(head: bytes, encoding: str, path: str) -> tuple[str | None, int]:
    """The UTF-16/32 encoding to decode with (None: read line by line as `encoding`) and the
    length of the byte-order mark to drop first."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ArgumentError(
            f"`encoding` must be the name of a Python codec, e.g. 'utf-8' or 'latin-1'. Received: encoding={encoding!r}",
            argument="encoding",
        ) from None
    if name.startswith(("utf-16", "utf-32")):
        return name, 0  # asked for: the codec handles (or the first line drops) the mark
    if name not in _UTF8:
        return None, 0  # another encoding asked for: its bytes are read as it says
    for mark, found in _BOMS:
        if head.startswith(mark):
            return (None, 0) if found == "utf-8" else (found, len(mark))
    wide = _looks_wide(head)
    if wide is not None:
        raise DataError(
            f"the file looks like {wide.upper()} text without a byte-order mark (NUL bytes between the characters)",
            path=path,
            expected=f"UTF-8 text, or UTF-16/UTF-32 with a byte-order mark: convert it, e.g. "
            f"iconv -f {''.join(wide.upper().rsplit('-', 1))} -t UTF-8 FILE > FILE.utf8 (in Python: encoding={wide!r})",
        )
    return None, 0


def _looks_wide(head: bytes) -> str | None:
    """"utf-16-le", "utf-16-be", "utf-32-le" or "utf-32-be" when the NUL bytes of `head` fall where
    that encoding puts them for Latin text (every other byte, or three bytes in four); else None."""
    size = len(head) // 4
    if size < 2 or head.count(0) < size:
        return None
    share = [head[i : 4 * size : 4].count(0) / size for i in range(4)]  # NULs at each position mod 4
    high = [s >= 0.7 for s in share]
    low = [s <= 0.2 for s in share]
    patterns = {
        "utf-32-le": (low[0], high[1], high[2], high[3]),
        "utf-32-be": (high[0], high[1], high[2], low[3]),
        "utf-16-le": (low[0], high[1], low[2], high[3]),
        "utf-16-be": (high[0], low[1], high[2], low[3]),
    }
    return next((name for name, found in patterns.items() if all(found)), None)


def _not_valid(encoding: str, where: str, path: str, line: int, other: str = "") -> DataError:
    """The error of bytes that are not valid in `encoding` (with `encoding_errors="strict"`)."""
    return DataError(
        f"bytes that are not valid {encoding}{where}",
        path=path,
        line=line,
        expected=f"{encoding} text ({other or 'or '}encoding_errors='replace' to replace bad bytes with U+FFFD)",
    )


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
                where = f": {shorten(raw[err.start:err.end])} at byte {err.start} of the line"
                raise _not_valid(encoding, where, path, number, "pass encoding='latin-1', or ") from None
            tally.decode_error(path)
            text = raw.decode(encoding, errors="replace")
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]  # a byte-order mark
        yield text


def _wide_lines(stream: BinaryIO, encoding: str, path: str, errors: str, tally: Tally) -> Iterator[str]:
    """UTF-16/32 text line by line, line endings kept; bad bytes as in `decoded_lines`."""
    text = io.TextIOWrapper(stream, encoding=encoding, errors="keras_restext.mark_bad", newline="\n")
    for number, line in enumerate(text, 1):
        if _BAD in line:
            if errors == "strict":
                raise _not_valid(encoding, "", path, number)
            tally.decode_error(path)
            line = line.replace(_BAD, "\ufffd")
        yield line[1:] if number == 1 and line.startswith("\ufeff") else line


def text_lines(path: str, encoding: str, errors: str, tally: Tally) -> Iterator[str]:
    """The lines of a data file as text, line endings kept (as `open(..., newline="")` does, so
    that the `csv` module sees quoted newlines): decompressed, decoded by its byte-order mark or
    `encoding`, bad bytes replaced and counted in `tally` (or, with `errors="strict"`, a
    `DataError` naming the line).

    Raises:
        DataError: an archive, damaged compressed data, UTF-16/32 text without a byte-order mark.
    """
    with open_data(path) as (stream, compression):
        try:
            wide, mark = _wide_encoding(stream.peek(_HEAD)[:_HEAD], encoding, path)
            stream.read(mark)
            if wide is not None:
                yield from _wide_lines(stream, wide, path, errors, tally)
            else:
                yield from decoded_lines(stream, path, encoding, errors, tally)
        except _DAMAGED as err:
            if compression is None:
                raise
            raise _damaged(compression, err, path) from None


def head_text(path: str, encoding: str) -> str:
    """The first few KB of a data file as text (decompressed, decoded by its byte-order mark), to
    tell what it holds; a character cut at the end is dropped."""
    with open_data(path) as (stream, _):
        head = stream.peek(_HEAD)[:_HEAD]
    wide, mark = _wide_encoding(head, encoding, path)
    return _without_bom(head[mark:].decode(wide or encoding, errors="ignore"))


def decode_document(raw: bytes, path: str, encoding: str, errors: str) -> tuple[str, bool]:
    """A whole document's bytes (a file of a class folder, a JSON array) as text, by its
    byte-order mark or `encoding`: `(text, whether bad bytes were replaced)`.

    Raises:
        DataError: with `errors="strict"`, bytes that are not valid (naming the line); text that
            looks like UTF-16/32 without a byte-order mark.
    """
    wide, mark = _wide_encoding(raw[:_HEAD], encoding, path)
    name = wide or encoding
    body = raw[mark:]
    try:
        text = body.decode(name)
    except UnicodeDecodeError as err:
        if errors == "strict":
            line = body[: err.start].decode(name, errors="replace").count("\n") + 1
            raise _not_valid(name, f": {shorten(body[err.start:err.end])}", path, line) from None
        return _without_bom(body.decode(name, errors="replace")), True
    return _without_bom(text), False


def _damaged(compression: str, err: Exception, path: str) -> DataError:
    return DataError(
        f"the {compression} data is damaged or cut short ({type(err).__name__}: {err})",
        path=path,
        expected=f"a whole {compression} file (test it with {compression} -t)",
    )


def _without_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def read_document(path: str) -> bytes:
    """A whole file's bytes, decompressed when it is gzip, bzip2 or xz."""
    with open_data(path) as (stream, compression):
        try:
            return stream.read()
        except _DAMAGED as err:
            if compression is None:
                raise
            raise _damaged(compression, err, path) from None


__all__ = ["decode_document", "decoded_lines", "head_text", "open_data", "read_document", "text_lines"]
