"""JSON Lines files (one object per line; `.jsonl`, or `.json`), with configurable keys.

A `.json` file whose first character is `[` is read as one JSON array of objects instead (loaded
whole, not streamed; its "line" in messages is the 0-based item index).

Keys, when not given: the first key of the first object found in `TEXT_COLUMN_NAMES` ("text",
"sentence", ...) for the text, and in `LABEL_COLUMN_NAMES` ("label", ...) for the label. A text
`null` is an empty text; a label that is a list is a multi-label row (needs `label_delimiter`).
A text that is not a string (an object, a list, a number, a boolean), a label that is an object,
and an object that has one of these keys twice are bad rows (a `DataError`, or skipped with
`on_bad_row="skip"`), never read as their Python repr or as whichever value came last.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

from keras_restext.data.errors import DataError, shorten
from keras_restext.data.sources.common import (
    TextCheck,
    check_head,
    file_options,
    join_label_list,
    label_to_str,
    list_files,
    not_a_label,
    not_a_text,
    read_files,
    skip_hint,
    text_to_str,
)
from keras_restext.data.sources.delimited import LABEL_COLUMN_NAMES, TEXT_COLUMN_NAMES
from keras_restext.data.sources.encodings import decode_document, head_text, read_document, text_lines
from keras_restext.data.textdata import Row, Tally, TextData


class _Duplicated(dict):
    """A JSON object that has a key more than once (`json` keeps the last value): `twice` holds them."""

    twice: frozenset = frozenset()


def _object(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set = set()
        obj = _Duplicated(obj)
        obj.twice = frozenset(key for key, _ in pairs if key in seen or seen.add(key))
    return obj


# One decoder for every line: `json.loads(text, object_pairs_hook=...)` would build one per call (2x slower).
_DECODER = json.JSONDecoder(object_pairs_hook=_object)


def _is_array(path: str, encoding: str) -> bool:
    """Whether the file holds one JSON array: its first character, after white space, is "["."""
    return head_text(path, encoding).lstrip(" \t\r\n")[:1] == "["


def _objects(path: str, opts: dict, tally: Tally) -> Iterator[tuple[int, object]]:
    """Yields `(line, parsed value or a DataError)`; `None` for blank lines."""
    if _is_array(path, opts["encoding"]):
        raw, _ = decode_document(read_document(path), path, opts["encoding"], opts["encoding_errors"])
        try:
            items = _DECODER.decode(raw)
        except json.JSONDecodeError as err:
            expected = "a JSON array of objects"
            raise DataError(f"invalid JSON ({err.msg})", path=path, line=err.lineno, expected=expected) from None
        yield from enumerate(items)
        return
    for line, text in enumerate(text_lines(path, opts["encoding"], opts["encoding_errors"], tally), 1):
        if not text.strip():
            yield line, None
            continue
        try:
            yield line, _DECODER.decode(text)
        except json.JSONDecodeError as err:
            yield line, DataError(
                f"invalid JSON ({_json_problem(err)}: {shorten(text.strip(), 40)})",
                path=path,
                line=line,
                expected=f"one JSON object per line{skip_hint(opts)}",
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


def _row(obj: dict, keys: tuple[list[str], str], opts: dict, path: str, line: int) -> Row | tuple[str, DataError]:
    """One JSON object as a `Row`, or `(reason, error)` when it cannot be one."""
    text_keys, label_key = keys
    value = obj.get(label_key)
    # The usual object first, in few steps: text strings, a label string or int, each key once.
    if type(obj) is dict and type(value) in (str, int) and all(type(obj.get(k)) is str for k in text_keys):
        label = value.strip() if type(value) is str else str(value)
        if label:
            text = obj[text_keys[0]] if len(text_keys) == 1 else " ".join(obj[k] for k in text_keys)
            return Row(text, label, path, line)
    return _checked_row(obj, keys, opts, path, line)


def _checked_row(obj: dict, keys: tuple, opts: dict, path: str, line: int) -> Row | tuple[str, DataError]:
    """`_row` for any object: every check in turn."""

    def bad(reason: str, problem: str, expected: str) -> tuple[str, DataError]:
        return reason, DataError(problem, path=path, line=line, expected=expected)

    text_keys, label_key = keys
    missing = [k for k in (*text_keys, label_key) if k not in obj]
    if missing:
        problem = f"no key {missing[0]!r} in the object (keys: {list(obj)[:10]})"
        return bad("missing key", problem, f"every object to have the keys {[*text_keys, label_key]}")
    twice = [k for k in (*text_keys, label_key) if k in getattr(obj, "twice", ())]
    if twice:
        problem = f"the object has the key {twice[0]!r} more than once (JSON keeps the last value)"
        return bad("key given twice", problem, f"each key once{skip_hint(opts)}")
    for key in text_keys:
        found = not_a_text(obj[key])
        if found is not None:
            expected = f"a string (or null: an empty text){skip_hint(opts)}"
            return bad("text not a string", f"the text in key {key!r} is {found}", expected)
    value = obj[label_key]
    found = not_a_label(value)
    if found is not None:
        expected = f"a string or a number (a list of them with label_delimiter=){skip_hint(opts)}"
        return bad("label not a string", f"the label in key {label_key!r} is {found}", expected)
    if isinstance(value, list):
        label = join_label_list(value, opts["label_delimiter"], path, line)
    else:
        label = "" if value is None else label_to_str(value)
    if not label:
        expected = f"a label in every object{skip_hint(opts, ' to skip and count such rows')}"
        return bad("empty label", f"empty label in key {label_key!r}", expected)
    return Row(" ".join(text_to_str(obj[k]) for k in text_keys), label, path, line)


def _file_rows(path: str, opts: dict, tally: Tally) -> Iterator[Row]:
    tally.start(path)
    skip = opts["on_bad_row"] == "skip"
    keys = None  # (text keys, label key), from the first object
    texts = TextCheck()
    for line, obj in _objects(path, opts, tally):
        if obj is None:
            tally.skip(path, "blank line")
            continue
        if isinstance(obj, DataError):
            found = ("invalid JSON", obj)
        elif not isinstance(obj, dict):
            problem = f"a JSON {type(obj).__name__} ({shorten(obj, 40)})"
            found = ("not a JSON object", DataError(problem, path=path, line=line, expected="a JSON object"))
        else:
            if keys is None:
                text_keys = _pick_key(obj, opts["text_column"], TEXT_COLUMN_NAMES, "text", path, line)
                keys = (text_keys, _pick_key(obj, opts["label_column"], LABEL_COLUMN_NAMES, "label", path, line)[0])
            found = _row(obj, keys, opts, path, line)
        if isinstance(found, Row):
            if not texts.found:
                texts.see(found.text)
            yield found
        elif skip:
            tally.skip(path, found[0])
        else:
            raise found[1]
    if keys is not None:
        texts.check(path, ", ".join(f"key {k!r}" for k in keys[0]))
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
    opts = file_options(
        on_bad_row,
        encoding,
        encoding_errors,
        text_column=text_column,
        label_column=label_column,
        label_delimiter=label_delimiter,
    )
    files = list_files(source)
    tally = Tally()
    for path in files:
        if os.path.getsize(path) == 0:
            raise DataError("the file is empty (0 bytes)", path=path, expected="one JSON object per line")
        # Fail now, not in the middle of training, on a bad object near the top of a file.
        good = check_head(lambda options, counts: _file_rows(path, options, counts), path, opts, max(check_rows, 1))
        if not good:
            raise DataError("the file has no usable objects", path=path, expected="one JSON object per line")
    return read_files(
        source,
        files,
        lambda path: _file_rows(path, opts, tally),
        format="jsonl",
        tally=tally,
        limit=limit,
        label_delimiter=label_delimiter,
        chunk_size=chunk_size,
    )


__all__ = ["read_jsonl"]
