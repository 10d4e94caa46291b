"""Argument checks shared by the layers, the data pipeline and the CLI.

Each check raises an `ArgumentError` (a `ValueError` whose `argument` names the argument, so that
the `restext` command line can name its flag instead) that says what the argument must be and what
it received, in one wording: "`k` must be an int >= 1. Received: k=0". The module imports only
`keras_restext.errors`, so every layer of the package may use these.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from keras_restext.errors import ArgumentError


def require(ok: bool, name: str, value, allowed: str) -> None:
    """Raises "`name` must be `allowed`. Received: name=value" unless `ok`.

    Args:
        ok: whether `value` is acceptable.
        name: the argument's name.
        value: what was received (shown with `repr`).
        allowed: what the argument must be, e.g. "a float in [0, 1)".

    Raises:
        ArgumentError: when `ok` is false, with `argument=name`.

    Example:
    >>> require(0.5 < 1, "dropout", 0.5, "a float in [0, 1)")
    >>> require(1.5 < 1, "dropout", 1.5, "a float in [0, 1)")
    Traceback (most recent call last):
    ...
    keras_restext.errors.ArgumentError: `dropout` must be a float in [0, 1). Received: dropout=1.5
    """
    if not ok:
        raise ArgumentError(f"`{name}` must be {allowed}. Received: {name}={value!r}", argument=name)


def is_int(value, minimum: int = 1) -> bool:
    """Whether `value` is an integer (Python's or NumPy's, never a bool) of at least `minimum`.

    Args:
        value: anything.
        minimum: the smallest value allowed.

    Returns:
        True for an int `>= minimum`.

    Example:
    >>> is_int(3), is_int(0), is_int(True), is_int(2.0), is_int(1, minimum=2)
    (True, False, False, False, False)
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and bool(value >= minimum)


def check_int(name: str, value, minimum: int = 1, *, allow_none: bool = False) -> int | None:
    """`value` as a Python int if it is an int `>= minimum` (or None, with `allow_none`), else
    "`name` must be an int >= minimum[ or None]. Received: name=value".

    Args:
        name: the argument's name.
        value: what was received.
        minimum: the smallest value allowed.
        allow_none: whether None is allowed too.

    Returns:
        `int(value)`, or None.

    Raises:
        ArgumentError: for anything else (a bool, a float, a smaller int).

    Example:
    >>> check_int("vocab_size", 10, 2)
    10
    >>> check_int("vocab_size", 1, 2)
    Traceback (most recent call last):
    ...
    keras_restext.errors.ArgumentError: `vocab_size` must be an int >= 2. Received: vocab_size=1
    """
    if value is None and allow_none:
        return None
    require(is_int(value, minimum), name, value, f"an int >= {minimum}{' or None' if allow_none else ''}")
    return int(value)


def check_positive_int(name: str, value, allow_none: bool = False) -> int | None:
    """`check_int(name, value, 1, allow_none=allow_none)`: an int >= 1 (or None).

    Example:
    >>> check_positive_int("max_tokens", None, allow_none=True) is None
    True
    >>> check_positive_int("ngrams", 0)
    Traceback (most recent call last):
    ...
    keras_restext.errors.ArgumentError: `ngrams` must be an int >= 1. Received: ngrams=0
    """
    return check_int(name, value, 1, allow_none=allow_none)


def check_choice(name: str, value, allowed: Sequence) -> None:
    """Raises "`name` must be one of (...). Received: name=value" unless `value` is in `allowed`.

    Example:
    >>> check_choice("norm", "group", (None, "batch", "layer"))
    Traceback (most recent call last):
    ...
    keras_restext.errors.ArgumentError: `norm` must be one of (None, 'batch', 'layer'). Received: norm='group'
    """
    require(value in allowed, name, value, f"one of {tuple(allowed)}")


__all__ = ["check_choice", "check_int", "check_positive_int", "is_int", "require"]
