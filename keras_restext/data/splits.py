"""Validation data: a seeded, stratified split carved from training data, or explicit files."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from keras_restext.checks import require
from keras_restext.data.sources import read_dataset
from keras_restext.data.sources.memory import from_row_list
from keras_restext.data.textdata import TextData


def split_validation(
    data: TextData, fraction: float = 0.1, *, seed: int = 0, stratify: bool = True
) -> tuple[TextData, TextData]:
    """Splits training data into training and validation parts.

    With `stratify`, every label (the raw label string, so each multi-label combination) keeps the
    same share in both parts: `round(fraction * count)` of its examples go to validation (a label
    seen once stays in training). The choice depends only on `seed` and the data, and each part
    keeps the original order (`build_pipeline(shuffle=True)` shuffles). Rows keep their file and
    line for error messages. The data is read into memory once (for data too large for that, give
    an explicit validation file instead).

    Args:
        data: the training `TextData`.
        fraction: the validation share, in (0, 1).
        seed: the random seed of the split.
        stratify: keep label proportions; False draws `round(fraction * n)` examples at random.

    Returns:
        `(train, validation)` `TextData`s; both carry the source's `skipped` counts and label names.

    Example:
    >>> data = read_dataset((["a", "b", "c", "d"] * 5, ["x", "y"] * 10))
    >>> train, val = split_validation(data, 0.2, seed=1)
    >>> len(train.texts_and_labels()[0]), sorted(val.texts_and_labels()[1])
    (16, ['x', 'x', 'y', 'y'])
    """
    require(0.0 < fraction < 1.0, "fraction", fraction, "between 0 and 1 (exclusive)")
    rows = list(data.iter_rows())
    rng = np.random.default_rng(seed)
    groups: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        groups[row.label if stratify else ""].append(index)
    chosen: list[int] = []
    for key in sorted(groups):
        members = groups[key]
        count = int(round(fraction * len(members)))
        if len(members) < 2:
            count = 0
        count = min(count, len(members) - 1)  # never move a whole label out of training
        chosen.extend(rng.permutation(members)[:count].tolist())
    if not chosen:
        raise ValueError(
            f"A validation fraction of {fraction} of {len(rows)} examples is empty. Use a larger fraction "
            "or an explicit validation file."
        )
    in_validation = np.zeros(len(rows), dtype=bool)
    in_validation[chosen] = True
    parts = []
    for flag, name in ((False, "train"), (True, "validation")):
        part = from_row_list(
            [row for row, v in zip(rows, in_validation) if v == flag],
            path=f"{data.path} ({name} split)",
            label_names=data.label_names,
            delimiter=data.multi_label_delimiter,
            format=data.format,
        )
        part.skipped, part.skipped_reasons, part.decode_errors = data.skipped, dict(data.skipped_reasons), data.decode_errors
        parts.append(part)
    return parts[0], parts[1]


def train_validation(
    train, validation=None, *, fraction: float = 0.1, seed: int = 0, stratify: bool = True, **read_options
) -> tuple[TextData, TextData]:
    """Training and validation data: an explicit validation source when given, else a split.

    Args:
        train: a `TextData` or a source for `read_dataset`.
        validation: a `TextData`, a source for `read_dataset`, or None to split `train`.
        fraction, seed, stratify: see `split_validation`.
        **read_options: `read_dataset` options for both sources.

    Returns:
        `(train, validation)` `TextData`s.
    """
    train = train if isinstance(train, TextData) else read_dataset(train, **read_options)
    if validation is None:
        return split_validation(train, fraction, seed=seed, stratify=stratify)
    validation = validation if isinstance(validation, TextData) else read_dataset(validation, **read_options)
    return train, validation


__all__ = ["split_validation", "train_validation"]
