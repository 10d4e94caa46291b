"""Small helpers for the data tests: write generated files, copy small slices of the shared data."""

from __future__ import annotations

from pathlib import Path


def write(path: Path, content: str | bytes) -> Path:
    """Writes text (UTF-8, exactly as given: no newline translation) or bytes to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def head_lines(source: Path, target: Path, lines: int) -> Path:
    """Copies the first `lines` lines of a shared data file (a small slice) to `target`."""
    with open(source, "rb") as stream:
        chunk = b"".join(line for _, line in zip(range(lines), stream))
    return write(target, chunk)
