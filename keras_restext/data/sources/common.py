"""Helpers shared by the file sources: finding files, decoding lines, checking options and labels."""

from __future__ import annotations

import itertools
import math
import numbers
import re
from collections.abc import Callable, Iterable, Iterator

from keras_restext.checks import check_choice
from keras_restext.data.errors import DataError, shorten
from keras_restext.data.sources import paths
from keras_restext.data.textdata import Row, Tally, TextData, from_rows
from keras_restext.data.tokenizers.base import CONTROL_CHARACTERS

BAD_ROW_POLICIES = ("error", "skip")
ENCODING_ERRORS = ("replace", "strict")
GLOB_CHARS = "*?["


def list_files(source: str) -> list[str]:
    """The files a path or glob names, sorted (local, or through `tf.io.gfile`: `gs://`, `ram://`, ...);
    raises `DataError` for a missing file or no match."""
    if any(ch in source for ch in GLOB_CHARS):
        files = paths.glob_files(source)
        if not files:
            raise DataError(
                "no file matches the pattern",
                path=source,
                expected="a glob that matches at least one file (e.g. 'data/train-*.csv')",
            )
        return files
    if not paths.exists(source):
        raise DataError("no such file or directory", path=source, expected="an existing file, a glob pattern or a directory")
    if paths.isdir(source):
        raise DataError("is a directory", path=source, expected="a file (a directory is read with format='folder')")
    return [source]


def file_options(on_bad_row: str, encoding: str, encoding_errors: str, **options) -> dict:
    """The options of a file reader in one dict, once `on_bad_row` and `encoding_errors` are checked."""
    check_choice("on_bad_row", on_bad_row, BAD_ROW_POLICIES)
    check_choice("encoding_errors", encoding_errors, ENCODING_ERRORS)
    return {"encoding": encoding, "encoding_errors": encoding_errors, "on_bad_row": on_bad_row, **options}


def read_files(
    source: str,
    files: list[str],
    file_rows: Callable[[str], Iterator[Row]],
    *,
    format: str,
    tally: Tally,
    limit: int | None,
    label_delimiter: str | None,
    chunk_size: int,
) -> TextData:
    """The `TextData` of `file_rows(path)` for each of `files` in turn, cut at `limit` rows; named
    after the glob `source` when it matched several files, else after the one file."""

    def rows() -> Iterator[Row]:
        stream = itertools.chain.from_iterable(file_rows(path) for path in files)
        return stream if limit is None else itertools.islice(stream, limit)

    name = source if len(files) > 1 else files[0]
    return from_rows(rows, path=name, format=format, tally=tally, delimiter=label_delimiter, chunk_size=chunk_size)


def label_to_str(value) -> str:
    """A label as a string: ints and integral floats become `"3"`, bytes are decoded, NaN (a
    missing value of pandas) is an empty label."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip()
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return "" if math.isnan(value) else str(int(value)) if value.is_integer() else str(value)
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


def _kind(value) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, numbers.Number):
        return "a number"
    return f"a {type(value).__name__}"


def not_a_text(value) -> str | None:
    """What a value that should be a text is instead (`"an object ({'a': 1})"`), or None for a
    string, bytes or None (an empty text): anything else would be read as its Python repr."""
    if value is None or isinstance(value, (str, bytes)):
        return None
    return f"{_kind(value)} ({shorten(value, 40)})"


def not_a_label(value) -> str | None:
    """What a label value is when it cannot be a label (an object, a list that holds one), or None."""
    parts = value if isinstance(value, (list, tuple)) else [value]
    if any(isinstance(part, (dict, list, tuple)) for part in parts):
        return f"{_kind(value)} ({shorten(value, 40)})"
    return None


def text_to_str(value) -> str:
    """A text value (a string, bytes or None, see `not_a_text`) as a string."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


# A text the tokenizers see no token in: white space and control characters only (they become spaces).
_BLANK = re.compile(rf"(?:\s|{CONTROL_CHARACTERS})*")


class TextCheck:
    """Counts the rows of one pass over a file until one has a text that is not blank, so that a
    text column that is blank in every row (the wrong column, an empty export) is one line instead
    of a crash in TensorFlow. It looks at texts only until the first with a word in it: cheap."""

    def __init__(self):
        self.rows = 0
        self.found = False

    def see(self, text: str) -> None:
        """Counts a row until one has text (callers may skip the call once `found`)."""
        if not self.found:
            self.rows += 1
            self.found = _BLANK.fullmatch(text) is None

    def check(self, path: str, where: str, columns: bool = True) -> None:
        """Raises a `DataError` if every row of the pass had a blank text; `where` names the text
        column (`columns`: a column the reader chose, which `text_column=` can change)."""
        if self.rows and not self.found:
            raise DataError(
                f"the text is empty or only white space in all {self.rows} rows ({where})",
                path=path,
                expected="texts to learn from" + (": is it the text column? (text_column= names another)" * columns),
            )


def skip_hint(opts: dict, tail: str = "") -> str:
    """" (or on_bad_row='skip')" for a message about a bad row, unless `opts["skip_hint"]` is
    False: `check_head` found most of a file's first rows bad, and skipping would not help."""
    return f" (or on_bad_row='skip'{tail})" if opts.get("skip_hint", True) else ""


def check_head(rows: Callable[[dict, Tally], Iterator[Row]], path: str, opts: dict, check_rows: int) -> int:
    """Reads the first `check_rows` rows of a file now, so that a bad row near its top fails
    before training rather than in the middle of it.

    Skipping is suggested (on_bad_row='skip') only where it would help: when at least as many of
    these rows are good as bad. When most are bad, the cause is rather the file's format (the
    delimiter, the encoding, the columns) than a few broken rows: the first bad row's error comes
    without the suggestion. With on_bad_row='skip', a file none of whose first rows is good is
    refused with its first bad row's error, rather than read as nothing but skipped rows, unless
    they lack only labels (a multi-task file's column may start further down).

    Args:
        rows: `rows(opts, tally)` reads the file with those options.
        path: the file.
        opts: the reader's options (`on_bad_row`, ...).
        check_rows: how many rows to read.

    Returns:
        How many of these rows are good.

    Raises:
        DataError: the first bad row, or a problem that skipping cannot fix.
    """
    skip = opts["on_bad_row"] == "skip"
    probe = Tally(quiet=True)  # counted and reported by the passes that read the rows, once
    good = 0
    try:
        for _ in itertools.islice(rows({**opts, "on_bad_row": "skip"}, probe), check_rows):
            good += 1
    except DataError:
        if skip or not probe.bad_rows(path):
            raise  # skipping cannot fix it, and no bad row comes before it
    bad = probe.bad_rows(path)
    helps = good >= bad
    refused = skip and not good and probe.bad_rows(path, "empty label")  # malformed, not only unlabelled
    if (bad and not skip) or refused:
        try:
            strict = {**opts, "on_bad_row": "error", "skip_hint": helps}
            for _ in itertools.islice(rows(strict, Tally(quiet=True)), check_rows):
                pass
        except DataError as first:
            if not skip:
                raise
            problem = (
                f"{first.problem}; so are the {bad - 1} other rows of the first {bad}: nothing is left to read "
                "when skipping them (on_bad_row='skip')"
            )
            raise DataError(problem, path=first.path, line=first.line, expected=first.expected) from None
    return good


__all__ = [
    "BAD_ROW_POLICIES",
    "ENCODING_ERRORS",
    "TextCheck",
    "check_choice",
    "check_head",
    "file_options",
    "join_label_list",
    "label_to_str",
    "list_files",
    "not_a_label",
    "not_a_text",
    "read_files",
    "skip_hint",
    "text_to_str",
]
