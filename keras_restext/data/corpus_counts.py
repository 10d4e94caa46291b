"""What `restext prepare` counts over a whole corpus in one pass, in bounded memory: words (for the
vocabulary), labels, and a histogram of lengths.

Word counts are exact as long as the corpus has at most `max_words` distinct tokens. Beyond that
the table is pruned the Misra-Gries way (batched): when it holds `2 * max_words` entries, the
`(max_words + 1)`-th largest count is subtracted from every count and the entries left at zero or
below are dropped. Memory therefore stays under `2 * max_words` entries, and every count is at most
`count_error` below the true one (the sum of what was subtracted, at most
`tokens / (max_words + 1)`), so a word seen more than `count_error` times is never lost.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from keras_restext.checks import check_positive_int

# Histogram edges in tokens: 0, 1, 2, 4, ..., 2**16, then everything longer.
LENGTH_EDGES = [0, 1] + [2**k for k in range(1, 17)]


class BoundedCounts:
    """Token counts held in at most `2 * max_words` entries (see the module docstring).

    Args:
        max_words: the entries kept after a pruning; the table prunes when it reaches twice as many.

    Example:
    >>> counts = BoundedCounts(max_words=2)
    >>> counts.update([b"a", b"b", b"c", b"d"], [5, 3, 1, 1])
    >>> counts.update([b"a"], [1])
    >>> counts.ranked(), counts.count_error
    ([b'a', b'b'], 1)
    """

    def __init__(self, max_words: int = 1_000_000):
        check_positive_int("max_words", max_words)
        self.max_words = int(max_words)
        self.counts: dict[bytes, int] = {}
        self.count_error = 0  # the most any count is below the true one
        self.tokens = 0  # tokens counted in all
        self.prunings = 0

    def update(self, values, counts) -> None:
        """Adds `counts[i]` to `values[i]`'s count; prunes if the table has grown too large."""
        table = self.counts
        for value, count in zip(values, counts):
            table[value] = table.get(value, 0) + int(count)
        self.tokens += int(np.sum(counts))
        if len(table) >= 2 * self.max_words:
            self._prune()

    def _prune(self) -> None:
        """Subtracts the `(max_words + 1)`-th largest count from all; drops those left at zero."""
        values = np.fromiter(self.counts.values(), dtype=np.int64, count=len(self.counts))
        cut = int(np.partition(values, len(values) - self.max_words - 1)[len(values) - self.max_words - 1])
        self.counts = {token: n - cut for token, n in self.counts.items() if n > cut}
        self.count_error += cut
        self.prunings += 1

    def ranked(self, limit: int | None = None, min_count: int = 1) -> list[bytes]:
        """Tokens by decreasing count, ties by value (as `Tokenizer.adapt` ranks them)."""
        items = sorted((t for t, n in self.counts.items() if n >= min_count), key=lambda t: (-self.counts[t], t))
        return items if limit is None else items[:limit]

    def summary(self) -> dict:
        """What the manifest says about the counting."""
        return {
            "tokens_counted": self.tokens,
            "distinct_kept": len(self.counts),
            "max_words": self.max_words,
            "memory_bound_entries": 2 * self.max_words,
            "prunings": self.prunings,
            "count_error": self.count_error,
            "exact": self.prunings == 0,
        }


class CorpusCounts:
    """Labels, lengths and words of a corpus, batch by batch.

    Args:
        max_words: the bound of the word table (`BoundedCounts`).
        label_delimiter: counts each label of a multi-label field when given.
    """

    def __init__(self, max_words: int = 1_000_000, label_delimiter: str | None = None):
        self.words = BoundedCounts(max_words)
        self.labels: Counter = Counter()
        self.lengths = np.zeros(len(LENGTH_EDGES), dtype=np.int64)
        self.examples = 0
        self.label_delimiter = label_delimiter

    def add(self, labels, lengths, words, word_counts) -> None:
        """Counts one batch: its raw labels (bytes), lengths in tokens, and its words' counts."""
        for label in labels:
            label = label.decode("utf-8", errors="replace").strip()
            parts = label.split(self.label_delimiter) if self.label_delimiter else [label]
            self.labels.update(part.strip() for part in parts)
        self.lengths += np.bincount(np.searchsorted(LENGTH_EDGES, lengths, side="right") - 1,
                                    minlength=len(LENGTH_EDGES))  # fmt: skip
        self.words.update(words, word_counts)
        self.examples += len(labels)

    def histogram(self) -> dict:
        """Lengths in tokens: `counts[i]` examples have `edges[i] <= length < edges[i + 1]`."""
        return {"unit": "tokens", "edges": LENGTH_EDGES, "counts": self.lengths.tolist()}


__all__ = ["LENGTH_EDGES", "BoundedCounts", "CorpusCounts"]
