"""`preset="auto"`: one fixed rule that picks a preset and its overrides from the training data.

The rule was chosen on validation splits carved from the open sets' training data, never on a test
split (benchmarks/README.md, "The auto rule"): the default (`restext_base`) for sentences in few
classes, and DPCNN with deep supervision (`deep_loss_weight=1`) for many classes or long texts,
where its trunk learns what the wide branch cannot. On 20 Newsgroups' posts cut to 16-256 words,
the deep recipe won at every length with 20 classes, and with 12 or 16; with 2, 4 or 8 classes it
tied or lost on short posts and won on long ones; on MR, SST-2 and TREC (sentences, 2-6 classes)
the default won.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from keras_restext.errors import ArgumentError

AUTO = "auto"
# Data with at least this many classes, or whose texts' median has at least this many words, trains
# with DEEP_PRESET; other data with DEFAULT_PRESET. The validation ladder behind the numbers:
# 8 classes tied, 12 won (+1.6); 4 classes lost at 64 words, won at 128 (benchmarks/README.md).
MANY_CLASSES = 10
LONG_TEXT_WORDS = 100
DEFAULT_PRESET = "restext_base"
DEEP_PRESET = "dpcnn"
DEEP_OVERRIDES = {"deep_loss_weight": 1.0}
AUTO_DESCRIPTION = (
    f"The default of `restext train`: picks a preset from the training data. {DEEP_PRESET} with deep "
    f"supervision (deep_loss_weight 1.0) for {MANY_CLASSES} classes or more, or texts of {LONG_TEXT_WORDS} "
    f"words or more (the median), else {DEFAULT_PRESET}; explicit flags override its choice."
)
# The median of this many texts (the first ones) decides: reading more would not move it much.
SAMPLE_SIZE = 20000


@dataclass(frozen=True)
class PresetChoice:
    """What `choose_preset` picked.

    Attributes:
        preset: the preset's name.
        overrides: model arguments that override the preset's.
        median_words: the median length of the texts in words (split on whitespace).
        num_classes: the number of classes.
        texts: how many texts the median was taken over.
    """

    preset: str
    overrides: dict = field(default_factory=dict)
    median_words: float = 0.0
    num_classes: int = 0
    texts: int = 0

    def reason(self) -> str:
        """Why: the measures of the data against the rule's thresholds."""
        classes = f"{self.num_classes} classes {'>=' if self.num_classes >= MANY_CLASSES else '<'} {MANY_CLASSES}"
        words = f"median {self.median_words:g} words {'>=' if self.median_words >= LONG_TEXT_WORDS else '<'} "
        return f"{classes}, {words}{LONG_TEXT_WORDS}"

    def describe(self) -> str:
        """One line: what was chosen and why, e.g.
        `dpcnn, deep_loss_weight 1.0 (20 classes >= 10, median 176 words >= 100)`."""
        settings = "".join(f", {key} {value}" for key, value in self.overrides.items())
        return f"{self.preset}{settings} ({self.reason()})"

    def as_dict(self) -> dict:
        """The choice as a record: preset, overrides, the data's measures and the rule."""
        return {"preset": self.preset, "overrides": dict(self.overrides), "median_words": self.median_words,
                "num_classes": self.num_classes, "texts": self.texts,
                "rule": f"{DEEP_PRESET} {DEEP_OVERRIDES} if classes >= {MANY_CLASSES} or median words >= "
                f"{LONG_TEXT_WORDS}, else {DEFAULT_PRESET}"}  # fmt: skip


def choose_preset(texts: Iterable[str], num_classes: int) -> PresetChoice:
    """The preset (and overrides) for training data like this: one rule for every data set.

    Args:
        texts: the training texts (the first `SAMPLE_SIZE` are read).
        num_classes: the number of classes (of the task with the most, for several tasks).

    Returns:
        A `PresetChoice`.

    Raises:
        ArgumentError: no text.

    Example:
    >>> choose_preset(["a fine, witty film"] * 3, num_classes=2).preset
    'restext_base'
    >>> choice = choose_preset([" ".join(["word"] * 200)] * 3, num_classes=2)
    >>> choice.preset, choice.overrides
    ('dpcnn', {'deep_loss_weight': 1.0})
    >>> choose_preset(["a short question"] * 3, num_classes=20).describe()
    'dpcnn, deep_loss_weight 1.0 (20 classes >= 10, median 3 words < 100)'
    """
    lengths = []
    for text in texts:
        lengths.append(len(str(text).split()))
        if len(lengths) == SAMPLE_SIZE:
            break
    if not lengths:
        raise ArgumentError("`preset='auto'` chooses from the training texts, and there are none.", argument="preset")
    median = float(statistics.median(lengths))
    measures = {"median_words": median, "num_classes": int(num_classes), "texts": len(lengths)}
    if num_classes >= MANY_CLASSES or median >= LONG_TEXT_WORDS:
        return PresetChoice(DEEP_PRESET, dict(DEEP_OVERRIDES), **measures)
    return PresetChoice(DEFAULT_PRESET, {}, **measures)


__all__ = [
    "AUTO",
    "AUTO_DESCRIPTION",
    "DEFAULT_PRESET",
    "LONG_TEXT_WORDS",
    "MANY_CLASSES",
    "PresetChoice",
    "choose_preset",
]
