"""JSON Lines files (one object per line; `.jsonl`, or `.json`), with configurable keys.

A `.json` file whose first character is `[` is read as one JSON array of objects instead (loaded
whole, not streamed; its "line" in messages is the 0-based item index).

Keys, when not given: the first key of the first object found in `TEXT_COLUMN_NAMES` ("text",
"sentence", ...) for the text, and in `LABEL_COLUMN_NAMES` ("label", ...) for the label. A text
`null` is an empty text; a label that is a list is a multi-label row (needs `label_delimiter`).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator

from keras_restext.data.errors import DataError, shorten
from keras_restext.data.sources.common import (
    BAD_ROW_POLICIES,
    ENCODING_ERRORS,
    check_choice,
    decoded_lines,
    join_label_list,
    label_to_str,
    list_files,
    text_to_str,
)
from keras_restext.data.sources.delimited import LABEL_COLUMN_NAMES, TEXT_COLUMN_NAMES
from keras_restext.data.textdata import Row, Tally, TextData, from_rows


def _is_array(path: str) -> bool:
    with open(path, "rb") as stream:
        head = stream.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] == b"["


def _objects(path: str, opts: dict, tally: Tally) -> Iterator[tuple[int, object]]:
    """Yields `(line, parsed value or a DataError)`; `None` for blank lines."""
    if _is_array(path):
        with open(path, "rb") as stream:
            raw = stream.read().decode(opts["encoding"], errors=opts["encoding_errors"])
        try:
            items = json.loads(raw.lstrip("\ufeff"))
        except json.JSONDecodeError as err:
            raise DataError(f"invalid JSON ({err.msg})", path=path, line=err.lineno, expected="a JSON array of objects") from None
        yield from enumerate(items)
        return
    with open(path, "rb") as stream:
        for line, text in enumerate(decoded_lines(stream, path, opts["encoding"], opts["encoding_errors"], tally), 1):
            if not text.strip():
                yield line, None
                continue
            try:
                yield line, json.loads(text)
            except json.JSONDecodeError as err:
                yield line, DataError(
                    f"invalid JSON ({_json_problem(err)}: {shorten(text.strip(), 40)})",
                    path=path,
                    line=line,
                    expected="one JSON object per line (or on_bad_row='skip')",
                )


def _json_problem(err: json.JSONDecodeError) -> str:
    """What is wrong at `err.pos`, in words: Python's message for a control character ends in "at"."""
    at = f"character {err.pos + 1}"
    if err.msg.startswith("Invalid control character"):
        char = err.doc[err.pos] if err.pos < len(err.doc) else ""
        return (
            f"a raw control character U+{ord(char):04X} inside a string at {at}: escape it (\\u{ord(char):04x}), "
            "or close the string before it: an unterminated string (a missing closing quote) runs into the "
            "next characters"
        )
    if err.msg.startswith(("Unterminated string", "Expecting ',' delimiter", "Expecting ':' delimiter")):
        return f"{err.msg} at {at}: is a closing quote missing?"
    return f"{err.msg.removesuffix(' at')} at {at}"


def _pick_key(obj: dict, given, names, role: str, path: str, line: int) -> list[str]:
    if given is not None:
        return [given] if isinstance(given, str) else list(given)
    for name in names:
        for key in obj:
            if key.lower() == name:
                return [key]
    raise DataError(
        f"cannot tell which key holds the {role} among {list(obj)[:10]}",
        path=path,
        line=line,
        expected=f"a key named {', '.join(names[:4])}, ... or {role}_key= naming it",
    )


def _file_rows(path: str, opts: dict, tally: Tally) -> Iterator[Row]:
    tally.start(path)
    skip = opts["on_bad_row"] == "skip"
    text_keys = label_key = None
    for line, obj in _objects(path, opts, tally):
        problem = None
        if obj is None:
            tally.skip(path, "blank line")
            continue
        if isinstance(obj, DataError):
            problem = ("invalid JSON", obj)
        elif not isinstance(obj, dict):
            problem = (
                "not a JSON object",
                DataError(f"a JSON {type(obj).__name__} ({shorten(obj, 40)})", path=path, line=line, expected="a JSON object"),
            )
        else:
            if text_keys is None:
                text_keys = _pick_key(obj, opts["text_column"], TEXT_COLUMN_NAMES, "text", path, line)
                label_key = _pick_key(obj, opts["label_column"], LABEL_COLUMN_NAMES, "label", path, line)[0]
            missing = [k for k in (*text_keys, label_key) if k not in obj]
            if missing:
                problem = (
                    "missing key",
                    DataError(
                        f"no key {missing[0]!r} in the object (keys: {list(obj)[:10]})",
                        path=path,
                        line=line,
                        expected=f"every object to have the keys {[*text_keys, label_key]}",
                    ),
                )
            else:
                value = obj[label_key]
                if isinstance(value, list):
                    label = join_label_list(value, opts["label_delimiter"], path, line)
                else:
                    label = "" if value is None else label_to_str(value)
                if not label:
                    problem = (
                        "empty label",
                        DataError(
                            f"empty label in key {label_key!r}",
                            path=path,
                            line=line,
                            expected="a label in every object (or on_bad_row='skip' to skip and count such rows)",
                        ),
                    )
        if problem is not None:
            if skip:
                tally.skip(path, problem[0])
                continue
            raise problem[1]
        text = " ".join(text_to_str(obj[k]) for k in text_keys)
        yield Row(text, label, path, line)
    tally.finish(path)


def read_jsonl(
    source: str,
    *,
    text_column=None,
    label_column=None,
    label_delimiter: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "replace",
    on_bad_row: str = "error",
    check_rows: int = 1000,
    limit: int | None = None,
    chunk_size: int = 512,
) -> TextData:
    """Reads JSON Lines file(s); see `read_dataset` for the options."""
    check_choice("on_bad_row", on_bad_row, BAD_ROW_POLICIES)
    check_choice("encoding_errors", encoding_errors, ENCODING_ERRORS)
    opts = {
        "text_column": text_column,
        "label_column": label_column,
        "label_delimiter": label_delimiter,
        "encoding": encoding,
        "encoding_errors": encoding_errors,
        "on_bad_row": on_bad_row,
    }
    files = list_files(source)
    tally = Tally()
    for path in files:
        if os.path.getsize(path) == 0:
            raise DataError("the file is empty (0 bytes)", path=path, expected="one JSON object per line")
        # Fail now, not in the middle of training, on a bad object near the top of a file.
        if sum(1 for _ in itertools.islice(_file_rows(path, opts, tally), max(check_rows, 1))) == 0:
            raise DataError("the file has no usable objects", path=path, expected="one JSON object per line")

    def rows() -> Iterator[Row]:
        stream = itertools.chain.from_iterable(_file_rows(p, opts, tally) for p in files)
        return stream if limit is None else itertools.islice(stream, limit)

    name = source if len(files) > 1 else files[0]
    return from_rows(rows, path=name, format="jsonl", tally=tally, delimiter=label_delimiter, chunk_size=chunk_size)


__all__ = ["read_jsonl"]
