"""The four benchmark sets: MR, TREC, SST-2 and 20 Newsgroups.

`load_benchmark(name)` returns `(train_texts, train_labels, test_texts, test_labels)`, lists of
strings. It reads the files with the package's own loader, `keras_restext.data.read_dataset`, and
falls back to the small readers below when that loader is missing or fails on a set (the reason is
kept, see `load_benchmark_with_source`), so the harness also runs while the package is in flux.

The data lives outside the repository, in `../shared/data` relative to the repository root (override
with the environment variable `RESTEXT_BENCH_DATA`):

| set    | train                 | test                 | format                                  |
|--------|-----------------------|----------------------|-----------------------------------------|
| mr     | `mr/train.csv`        | `mr/test.csv`        | CSV, header `text,label`                |
| trec   | `trec/train.tsv`      | `trec/test.tsv`      | TSV, no header, `LABEL<TAB>question`    |
| sst2   | `sst2/train.tsv`      | `sst2/test.tsv`      | TSV, header `sentence<TAB>label`        |
| 20news | `20news/train/<c>/*`  | `20news/test/<c>/*`  | one post per file, folder = class       |

SST-2's `dev.tsv` is for model selection and is not used here: every method holds out part of the
training set instead, the same way on every set.
"""

from __future__ import annotations

import csv
import os
import random
from pathlib import Path

DATASETS: tuple[str, ...] = ("mr", "trec", "sst2", "20news")

TextsAndLabels = tuple[list[str], list[str]]
Benchmark = tuple[list[str], list[str], list[str], list[str]]


def data_dir() -> Path:
    """The shared data folder: `$RESTEXT_BENCH_DATA`, else `../shared/data` next to the repository."""
    override = os.environ.get("RESTEXT_BENCH_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


# ---------------------------------------------------------------------------------------------
# Paths and the package loader.
# ---------------------------------------------------------------------------------------------


def _split_paths(name: str, root: Path) -> tuple[Path, Path]:
    files = {
        "mr": ("mr/train.csv", "mr/test.csv"),
        "trec": ("trec/train.tsv", "trec/test.tsv"),
        "sst2": ("sst2/train.tsv", "sst2/test.tsv"),
        "20news": ("20news/train", "20news/test"),
    }
    if name not in files:
        raise ValueError(f"Unknown benchmark set {name!r}. Allowed: {', '.join(DATASETS)}")
    train, test = files[name]
    return root / train, root / test


# How each set's files are described to `read_dataset`: its documentation promises that the shared
# benchmark files read as they are, so no options (kept as a table, should one ever be needed).
_PACKAGE_READ_ARGS: dict[str, dict] = {"mr": {}, "trec": {}, "sst2": {}, "20news": {}}


def _read_with_package(name: str, path: Path) -> TextsAndLabels:
    from keras_restext.data import read_dataset  # noqa: PLC0415 (optional at import time)

    texts, labels = read_dataset(str(path), **_PACKAGE_READ_ARGS[name]).texts_and_labels()
    return [str(t) for t in texts], [str(label) for label in labels]


# ---------------------------------------------------------------------------------------------
# Local fallback readers.
# ---------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> TextsAndLabels:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def _read_tsv(path: Path, *, label_first: bool, header: bool) -> TextsAndLabels:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if header:
        lines = lines[1:]
    texts, labels = [], []
    for line in lines:
        if not line.strip():
            continue
        if label_first:
            label, text = line.split("\t", 1)
        else:
            text, label = line.rsplit("\t", 1)
        texts.append(text)
        labels.append(label.strip())
    return texts, labels


def _read_folders(path: Path) -> TextsAndLabels:
    """One document per file, the class is the folder name; bytes decoded as UTF-8 with replacement."""
    texts, labels = [], []
    for class_dir in sorted(p for p in path.iterdir() if p.is_dir()):
        for file in sorted(p for p in class_dir.iterdir() if p.is_file()):
            texts.append(file.read_bytes().decode("utf-8", errors="replace"))
            labels.append(class_dir.name)
    return texts, labels


def _read_locally(name: str, path: Path) -> TextsAndLabels:
    if name == "mr":
        return _read_csv(path)
    if name == "trec":
        return _read_tsv(path, label_first=True, header=False)
    if name == "sst2":
        return _read_tsv(path, label_first=False, header=True)
    return _read_folders(path)


# ---------------------------------------------------------------------------------------------
# Public functions.
# ---------------------------------------------------------------------------------------------


def load_benchmark_with_source(
    name: str, root: str | Path | None = None, *, use_package: bool = True
) -> tuple[Benchmark, str]:
    """Like `load_benchmark`, and also says which reader was used.

    Returns:
        `((train_texts, train_labels, test_texts, test_labels), source)` where `source` is
        `"keras_restext.data.read_dataset"` or `"local reader (<why the package loader was not used>)"`.
    """
    train_path, test_path = _split_paths(name, Path(root) if root else data_dir())
    if use_package:
        try:
            train = _read_with_package(name, train_path)
            test = _read_with_package(name, test_path)
            _check(name, train, test)
            return (*train, *test), "keras_restext.data.read_dataset"
        except Exception as error:  # noqa: BLE001 (any failure: fall back and say why)
            reason = f"{type(error).__name__}: {str(error)[:160]}"
    else:
        reason = "package loader not requested"
    train = _read_locally(name, train_path)
    test = _read_locally(name, test_path)
    _check(name, train, test)
    return (*train, *test), f"local reader ({reason})"


def load_benchmark(name: str, root: str | Path | None = None) -> Benchmark:
    """Loads one benchmark set as `(train_texts, train_labels, test_texts, test_labels)`.

    Args:
        name: one of `DATASETS`: "mr", "trec", "sst2", "20news".
        root: the data folder; default `data_dir()`.

    Returns:
        Four lists of strings; labels are the class names as written in the files.

    Example:
    >>> train_x, train_y, test_x, test_y = load_benchmark("trec")  # doctest: +SKIP
    >>> len(train_x), len(test_x)  # doctest: +SKIP
    (5452, 500)
    """
    return load_benchmark_with_source(name, root)[0]


def _check(name: str, train: TextsAndLabels, test: TextsAndLabels) -> None:
    for split, (texts, labels) in (("train", train), ("test", test)):
        if not texts or len(texts) != len(labels):
            raise ValueError(f"{name}/{split}: {len(texts)} texts and {len(labels)} labels")
    unseen = set(test[1]) - set(train[1])
    if unseen:
        raise ValueError(f"{name}: test labels never seen in training: {sorted(unseen)[:5]}")


def subsample(texts: list[str], labels: list[str], limit: int | None, seed: int = 0) -> TextsAndLabels:
    """A random subset of at most `limit` examples (all of them, in order, when `limit` is None)."""
    if limit is None or limit >= len(texts):
        return texts, labels
    order = random.Random(seed).sample(range(len(texts)), limit)
    return [texts[i] for i in order], [labels[i] for i in order]


def holdout_split(
    texts: list[str], labels: list[str], fraction: float = 0.1, seed: int = 0
) -> tuple[TextsAndLabels, TextsAndLabels]:
    """Splits off a stratified `fraction` of the training set for early stopping.

    Returns:
        `((fit_texts, fit_labels), (val_texts, val_labels))`.
    """
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    val: list[int] = []
    for indices in by_label.values():
        rng.shuffle(indices)
        val.extend(indices[: max(1, round(fraction * len(indices)))])
    val_set = set(val)
    fit = [i for i in range(len(texts)) if i not in val_set]
    rng.shuffle(fit)
    rng.shuffle(val)
    return ([texts[i] for i in fit], [labels[i] for i in fit]), ([texts[i] for i in val], [labels[i] for i in val])


def compare_readers(root: str | Path | None = None) -> list[str]:
    """Checks that the package loader and the local readers see the same examples, set by set.

    Returns:
        One line per set: counts, classes, and whether the (text, label) pairs agree as multisets.
    """
    lines = []
    for name in DATASETS:
        local, _ = load_benchmark_with_source(name, root, use_package=False)
        package, source = load_benchmark_with_source(name, root)
        if not source.startswith("keras_restext"):
            lines.append(f"{name}: package loader not used: {source}")
            continue
        same = all(
            sorted(zip(package[i], package[i + 1])) == sorted(zip(local[i], local[i + 1])) for i in (0, 2)
        )
        lines.append(
            f"{name}: train {len(package[0])}, test {len(package[2])}, {len(set(package[1]))} classes; "
            f"same examples as the local reader: {same}"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(compare_readers()))
