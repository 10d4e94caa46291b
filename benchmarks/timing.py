"""The one place benchmarks time calls: per-call wall times after a warm-up, their median, round-robin.

Standard library only, so that a script run in another venv (`litert_runtime_check`'s Flex runner,
TensorFlow 2.18.1 and numpy alone) imports it too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")


def timed_calls(call: Callable[[Item], Any], items: Sequence[Item], *, warmup: int) -> tuple[list[float], list[Any]]:
    """Calls `call` on the first `warmup` items untimed, then on every item, each call timed alone.

    Args:
        call: a function of one item (a text, a batch of ids, ...).
        items: the items, in order; the warm-up reuses the first `warmup` of them.
        warmup: how many untimed calls come first (tracing, caches).

    Returns:
        `(seconds, outputs)`: the wall time of every timed call and what it returned, in `items`' order.

    Example:
    >>> seconds, outputs = timed_calls(lambda n: n * n, [1, 2, 3], warmup=1)
    >>> len(seconds), outputs
    (3, [1, 4, 9])
    """
    for item in items[:warmup]:
        call(item)
    seconds, outputs = [], []
    for item in items:
        start = time.perf_counter()
        output = call(item)
        seconds.append(time.perf_counter() - start)
        outputs.append(output)
    return seconds, outputs


def median_ms(call: Callable[[Item], Any], items: Sequence[Item], *, warmup: int) -> float:
    """The median of `timed_calls(call, items, warmup=warmup)`'s times, in milliseconds.

    Example:
    >>> median_ms(str, range(5), warmup=1) < 1000
    True
    """
    return 1000 * statistics.median(timed_calls(call, items, warmup=warmup)[0])


def time_interleaved(calls: dict[str, Callable[[], object]], *, rounds: int, warmup: int = 2) -> dict[str, dict]:
    """Times `calls` round-robin (A, B, C, A, B, C, ...), `rounds` times each after `warmup` calls each.

    Interleaving spreads a shared machine's slow spells over every call alike.

    Returns:
        name → `{"seconds": fastest, "median_seconds": median}`.

    Example:
    >>> sorted(time_interleaved({"a": list, "b": dict}, rounds=3))
    ['a', 'b']
    """
    for call in calls.values():
        for _ in range(warmup):
            call()
    names = list(calls)
    seconds = timed_calls(lambda name: calls[name](), names * rounds, warmup=0)[0]
    by_name = {name: seconds[index :: len(names)] for index, name in enumerate(names)}
    return {name: {"seconds": min(t), "median_seconds": statistics.median(t)} for name, t in by_name.items()}


class Stopwatch:
    """A context manager that records the wall time of its block in `.seconds`.

    Example:
    >>> with Stopwatch() as clock:
    ...     _ = sum(range(10))
    >>> clock.seconds >= 0
    True
    """

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start
