"""The package's exception classes, in one place at the bottom of the package (it imports nothing of it).

- `ArgumentError` (a `ValueError`): a bad argument of a library function; `argument` names it, so
  that a program (the `restext` command line) can point at the setting without parsing the message.
- `DataError` (a `ValueError`): bad input data, with its file, line and what was expected.
- `ExportError` (an `OSError`): an export that could not be written.
- `DamagedBackup` (a `ValueError`): a run's backup that fails its checks and is not loaded.
- `RunFolderInUse` (a `ValueError`): another live process holds a run folder.

Each is still importable from where it was first defined (`keras_restext.data`,
`keras_restext.export`, `keras_restext.training.backup`, `keras_restext.training.run_lock`).
"""

from __future__ import annotations


class ArgumentError(ValueError):
    """A bad argument of a library function. The message names the argument in backticks, says what it
    must be and what was received; `argument` holds its name for programs.

    Args:
        message: the whole message, e.g. "`learning_rate` must be a finite number > 0. Received: learning_rate=-1".
        argument: the argument's name as the library spells it, e.g. `"learning_rate"`.

    Example:
    >>> error = ArgumentError("`rate` must be in [0, 1). Received: rate=1.5", argument="rate")
    >>> str(error), error.argument, isinstance(error, ValueError)
    ('`rate` must be in [0, 1). Received: rate=1.5', 'rate', True)
    """

    def __init__(self, message: str, argument: str):
        super().__init__(message)
        self.argument = argument

    def __reduce__(self):  # keeps `argument` when pickled (multiprocessing, pytest-xdist)
        return (type(self), (str(self), self.argument))


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


class ExportError(OSError):
    """An export that could not be written (a read-only or full disk, a file where the folder
    should be, ...); the message names the path. Nothing of a half-written version is left."""


class DamagedBackup(ValueError):
    """A backup whose state file is missing, truncated or of another model: it is not loaded."""


class RunFolderInUse(ValueError):
    """Another live process holds the run folder's lock."""


__all__ = ["ArgumentError", "DamagedBackup", "DataError", "ExportError", "RunFolderInUse"]
