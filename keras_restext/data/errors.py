"""`DataError`: what is wrong with an input file, where, and what was expected."""

from __future__ import annotations


def _one_line(text: str) -> str:
    """Collapses newlines so that an error message always fits on one line."""
    return " ".join(str(text).split("\n")).replace("\r", " ")


class DataError(ValueError):
    """Bad input data: a missing or empty file, a missing column, a malformed row, an unknown label, ...

    `str(error)` is one readable line, `"<path>:<line>: <what is wrong>; expected <what>"`. The parts
    are also attributes, so callers (the CLI, tests) can point at the place without parsing text.

    A `DataError` subclasses `ValueError`. Raised while a `tf.data` pipeline iterates a file (a bad row
    far down a large file), it reaches the caller as a `tf.errors.InvalidArgumentError` whose message
    contains the same line; `TextData.texts_and_labels()` and `LabelVocabulary.check()` iterate in
    Python and raise the `DataError` itself.

    Args:
        problem: what is wrong, e.g. `"row has 3 fields"`.
        path: the file (or `"<memory>"`, `"tfds:NAME"`), or None.
        line: 1-based line number in the file where the row starts (for in-memory data, the 0-based
            item index), or None.
        expected: what was expected instead, e.g. `"2 fields, as in the header"`.

    Example:
    >>> err = DataError("row has 3 fields", path="train.csv", line=7, expected="2 fields, as in the header")
    >>> str(err)
    'train.csv:7: row has 3 fields; expected 2 fields, as in the header'
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | None = None,
        line: int | None = None,
        expected: str | None = None,
    ):
        self.problem = _one_line(problem)
        self.path = None if path is None else str(path)
        self.line = line
        self.expected = None if expected is None else _one_line(expected)
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        text = where + self.problem
        if self.expected:
            text += f"; expected {self.expected}"
        return text

    def __reduce__(self):  # keeps the error picklable (multiprocessing, pytest-xdist)
        return (_rebuild, (self.problem, self.path, self.line, self.expected))


def _rebuild(problem, path, line, expected) -> DataError:
    return DataError(problem, path=path, line=line, expected=expected)


def shorten(value, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters, for quoting received values in messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["DataError", "shorten"]
