"""`DataError` (defined in `keras_restext.errors`, the package's exception classes) and `shorten`,
which quotes a received value in its messages."""

from __future__ import annotations

from keras_restext.errors import DataError


def shorten(value, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters, for quoting received values in messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["DataError", "shorten"]
