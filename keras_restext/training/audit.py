"""`audit`: the training examples whose labels look wrong, ranked. `restext audit` is this function
on the command line; docs/audit.md is its guide.

1. the training data is read once, each example with its file and line (`TextData.iter_rows`);
2. k-fold cross-fitting: the examples are dealt into `folds` stratified, seeded folds
   (scikit-learn's `StratifiedKFold`); for each fold a classifier is trained on the other folds
   through the one training path (`train()`, in a temporary run folder) and predicts the class
   probabilities of the fold it did not see, so every example gets out-of-fold probabilities;
3. cleanlab's confident learning (`cleanlab.filter.find_label_issues`) flags the examples whose
   given label disagrees with what the out-of-fold probabilities, calibrated per class (the
   confident joint), say, and ranks them by `cleanlab.rank.get_label_quality_scores` (`ranked_by`):
   the lower the score, the likelier the label is wrong.

The recipe is `restext_base` for 3 epochs: on SST-2 with 5% of the labels flipped its out-of-fold
probabilities put more flipped rows at the top than `restext_small`'s, and its own 5 epochs found no
more of them (docs/audit.md).
Multi-label data is refused: confident learning here reads one label per text.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import keras
import numpy as np

try:
    import cleanlab.filter
    import cleanlab.rank
except ImportError as error:  # an optional extra
    raise ImportError("keras_restext's `audit` needs cleanlab: pip install 'keras_restext[audit]'") from error
from sklearn.model_selection import StratifiedKFold  # cleanlab's own dependency

from keras_restext.checks import check_choice, check_int, require
from keras_restext.data import LabelVocabulary, read_dataset
from keras_restext.data.textdata import Row
from keras_restext.errors import ArgumentError
from keras_restext.models.presets import get_preset
from keras_restext.training.trainer import train as train_model

DEFAULT_PRESET = "restext_base"
DEFAULT_EPOCHS = 3  # restext_base's own 5 found no more flipped rows on SST-2, in 1.3x the time (docs/audit.md)
RANKINGS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")
SUSPECTS_FILE = "suspects.csv"
COLUMNS = ("rank", "row", "file", "line", "given_label", "suggested_label", "score", "text")


@dataclass
class Suspect:
    """A training example whose label looks wrong.

    Attributes:
        rank: 1 for the likeliest mislabelled example.
        row: the example's 0-based index in the training data, in reading order.
        file: the file it was read from (`"<memory>"` for in-memory data).
        line: the 1-based line where its row starts (for in-memory data, the 0-based index).
        given_label: the label the data gives it.
        suggested_label: the class of the highest out-of-fold probability.
        score: cleanlab's label quality score in [0, 1]: the lower, the likelier the label is wrong.
        text: the example's text.
    """

    rank: int
    row: int
    file: str
    line: int
    given_label: str
    suggested_label: str
    score: float
    text: str


@dataclass
class AuditResult:
    """What `audit` returns.

    Attributes:
        suspects: the examples cleanlab flags as likely mislabelled, likeliest first.
        probabilities: `(examples, classes)` out-of-fold class probabilities, in `class_names` order.
        class_names: the classes, in the order of the probabilities' columns.
        given: each example's given label, as a class index.
        quality: each example's label quality score (`ranked_by`), lower = likelier wrong.
        preset: the preset of the folds' recipe.
        folds: the number of folds.
        wall_time: seconds from start to end.
    """

    suspects: list[Suspect]
    probabilities: np.ndarray
    class_names: list[str]
    given: np.ndarray
    quality: np.ndarray
    preset: str
    folds: int
    wall_time: float
    notes: list[str] = field(default_factory=list)


class FirstEpochTimer(keras.callbacks.Callback):
    """After the first fold's first epoch, says how long the whole audit should take: the folds ×
    (the fold's set-up until training began + its epochs × the first epoch's time)."""

    def __init__(self, started: float, epochs: int, folds: int, say: Callable[[str], None]):
        super().__init__()
        self.started, self.epochs, self.folds, self.say = started, epochs, folds, say
        self.train_began = started

    def on_train_begin(self, logs=None) -> None:
        self.train_began = time.time()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if epoch != 0:
            return
        epoch_time = time.time() - self.train_began
        estimate = self.folds * (self.train_began - self.started + self.epochs * epoch_time)
        about = f"{estimate:.0f} s" if estimate < 90 else f"{estimate / 60:.0f} min"
        self.say(f"restext: audit: about {about} in all (the first fold's first epoch took {epoch_time:.0f} s)")


def read_rows(train, label_names: Mapping[str, str] | None, data_options: Mapping) -> list[Row]:
    """The training examples with their files and lines; multi-label data is refused."""
    data = read_dataset(train, **data_options)
    if data.multi_label_delimiter is not None:
        raise ArgumentError(
            "`audit` reads one label per text; multi-label data is not supported. Received: "
            f"label_delimiter={data.multi_label_delimiter!r}",
            argument="label_delimiter",
        )
    if label_names:
        data = data.with_label_names(label_names)
    return list(data.iter_rows())


def fold_indices(labels: np.ndarray, folds: int, seed: int) -> list[np.ndarray]:
    """The held-out indices of each fold: stratified by label, dealt at random (seeded)."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    # A class with fewer examples than folds only misses some folds' held-out parts: scikit-learn
    # warns, and the class's probability is 0 where a fold's training part lacks it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return [held_out for _, held_out in splitter.split(np.zeros(len(labels)), labels)]


def fit_fold(
    texts: list[str], labels: list[str], held_out: np.ndarray, class_names: list[str], *, folder: str,
    train_options: dict, callbacks: list,
) -> np.ndarray:  # fmt: skip
    """Trains on every example but `held_out` and returns the held-out examples' probabilities, in
    `class_names` order (0 for a class the fold's training part lacks)."""
    keep = np.ones(len(texts), dtype=bool)
    keep[held_out] = False
    part = ([t for t, k in zip(texts, keep) if k], [l for l, k in zip(labels, keep) if k])
    try:
        result = train_model(train=part, output=folder, callbacks=callbacks, **train_options)
        fold_probabilities = np.asarray(result.classifier.predict([texts[i] for i in held_out], verbose=0))
        probabilities = np.zeros((len(held_out), len(class_names)), dtype=np.float64)
        columns = [class_names.index(name) for name in result.labels.names]
        probabilities[:, columns] = fold_probabilities
    finally:
        keras.utils.clear_session()  # the next fold builds its model from scratch
    return probabilities


def out_of_fold_probabilities(
    texts: list[str], labels: list[str], class_names: list[str], *, folds: int, seed: int, train_options: dict,
    say: Callable[[str], None],
) -> np.ndarray:  # fmt: skip
    """Each example's class probabilities from the classifier trained on the other folds."""
    given = np.asarray([class_names.index(label) for label in labels])
    probabilities = np.zeros((len(texts), len(class_names)), dtype=np.float64)
    started = time.time()
    epochs = int(train_options["epochs"])
    with tempfile.TemporaryDirectory(prefix="restext_audit_") as runs:
        for number, held_out in enumerate(fold_indices(given, folds, seed), start=1):
            timer = [FirstEpochTimer(time.time(), epochs, folds, say)] if number == 1 else []
            probabilities[held_out] = fit_fold(
                texts, labels, held_out, class_names, folder=os.path.join(runs, f"fold_{number}"),
                train_options=train_options, callbacks=timer,
            )  # fmt: skip
            elapsed = time.time() - started
            left = f", about {elapsed / number * (folds - number) / 60:.1f} min left" if number < folds else ""
            say(f"restext: audit: fold {number}/{folds} done ({elapsed / 60:.1f} min{left})")
    return probabilities


def rank_suspects(
    rows: list[Row], probabilities: np.ndarray, given: np.ndarray, class_names: list[str], ranked_by: str
) -> tuple[list[Suspect], np.ndarray]:
    """cleanlab's flagged examples, likeliest first, and every example's label quality score."""
    flagged = cleanlab.filter.find_label_issues(
        given, probabilities, return_indices_ranked_by=ranked_by, n_jobs=1  # no worker processes beside TensorFlow
    )
    quality = cleanlab.rank.get_label_quality_scores(given, probabilities, method=ranked_by)
    suggested = probabilities.argmax(axis=1)
    suspects = [
        Suspect(rank=rank, row=int(index), file=rows[index].path, line=int(rows[index].line),
                given_label=class_names[given[index]], suggested_label=class_names[suggested[index]],
                score=float(quality[index]), text=rows[index].text)
        for rank, index in enumerate(flagged, start=1)
    ]  # fmt: skip
    return suspects, quality


def check_audit_options(folds: int, examples: int, preset: str, ranked_by: str, epochs: int | None) -> None:
    check_int("folds", folds, 2)
    require(folds <= examples, "folds", folds, f"at most the number of training examples ({examples})")
    require(isinstance(preset, str) and bool(preset), "preset", preset, "a preset name, e.g. 'restext_base'")
    get_preset(preset)  # an unknown name fails now, listing the known ones
    check_choice("ranked_by", ranked_by, RANKINGS)
    check_int("epochs", epochs, 1, allow_none=True)


def audit(
    train,
    *,
    folds: int = 5,
    preset: str = DEFAULT_PRESET,
    epochs: int | None = DEFAULT_EPOCHS,
    seed: int = 0,
    ranked_by: str = "self_confidence",
    label_names: Mapping[str, str] | None = None,
    train_options: Mapping | None = None,
    log: Callable[[str], None] | None = print,
    **data_options,
) -> AuditResult:
    """Finds the training examples whose labels are likely wrong: k-fold cross-fitting of a
    classifier, then cleanlab's confident learning on its out-of-fold probabilities.

    Args:
        train: the training data: a path (csv, tsv, jsonl, folder, glob), "tfds:NAME[:SPLIT]", or
            a `(texts, labels)` pair.
        folds: the number of folds, from 2 to the number of examples; each example's probabilities
            come from a classifier trained on the other folds.
        preset: the recipe of the folds' classifiers.
        epochs: the epochs of each fold's training; None: the preset's own.
        seed: seeds the folds and each fold's training.
        ranked_by: cleanlab's label quality score that ranks the suspects: "self_confidence" (the
            probability of the given label), "normalized_margin" or "confidence_weighted_entropy".
        label_names: the data's labels renamed, e.g. `{"0": "negative", "1": "positive"}`.
        train_options: other `train()` options of every fold (e.g. `{"batch_size": 32}`).
        log: prints the plan, the time estimate and each fold's end; None is silent.
        **data_options: how to read the data, as `read_dataset` takes it (`format`,
            `text_column`, `label_column`, `header`, `on_bad_row`, ...).

    Returns:
        An `AuditResult`; `write_suspects` writes its suspects to `suspects.csv`.

    Raises:
        DataError: unreadable data. ValueError: a bad setting, multi-label data, fewer than 2 classes.

    Example:
    ```python
    result = audit("../shared/data/sst2/train.tsv", folds=5)
    [(s.file, s.line, s.given_label, s.suggested_label) for s in result.suspects[:3]]
    ```
    """
    start = time.time()
    say = log or (lambda message: None)
    rows = read_rows(train, label_names, data_options)
    check_audit_options(folds, len(rows), preset, ranked_by, epochs)
    texts, labels = [row.text for row in rows], [row.label for row in rows]
    class_names = LabelVocabulary.from_data(labels).names
    if len(class_names) < 2:
        raise ArgumentError(f"`train` must hold at least 2 classes to audit. Received: the classes {class_names}",
                            argument="train")  # fmt: skip
    options = {"preset": preset, "seed": seed, "export": None, "tensorboard": False, "verbose": 0, "log": None,
               **dict(train_options or {})}  # fmt: skip
    options["epochs"] = epochs or options.get("epochs") or get_preset(preset)["training"]["epochs"]
    say(f"restext: audit: {folds} folds of {preset} ({options['epochs']} epochs each) on {len(rows):,} texts")
    probabilities = out_of_fold_probabilities(texts, labels, class_names, folds=folds, seed=seed,
                                              train_options=options, say=say)  # fmt: skip
    given = np.asarray([class_names.index(label) for label in labels])
    suspects, quality = rank_suspects(rows, probabilities, given, class_names, ranked_by)
    minutes = (time.time() - start) / 60
    say(f"restext: audit: {len(suspects):,} of {len(rows):,} labels look wrong ({minutes:.1f} min)")
    return AuditResult(suspects, probabilities, class_names, given, quality, preset, folds, time.time() - start)


def write_suspects(suspects: list[Suspect], folder: str | os.PathLike) -> str:
    """Writes `suspects.csv` (columns `COLUMNS`, likeliest first) into `folder` and returns its path.

    Example:
    ```python
    path = write_suspects(audit("../shared/data/sst2/train.tsv").suspects, "runs/sst2_audit")
    ```
    """
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(os.fspath(folder), SUSPECTS_FILE)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for s in suspects:
            writer.writerow([s.rank, s.row, s.file, s.line, s.given_label, s.suggested_label, f"{s.score:.6f}", s.text])
    return path


__all__ = ["AuditResult", "Suspect", "audit", "write_suspects"]
