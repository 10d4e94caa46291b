"""Validation runs behind `preset="auto"`: where does the long-document recipe start to pay?

    python -m benchmarks.auto_validation --jsonl benchmarks/results/auto_validation.jsonl

Trains the two candidate recipes (`restext_base` as it is; `dpcnn` with deep supervision, weight 1)
on the validation splits of `benchmarks.tune_default` (the test files are never read): the sentence
sets as they are, and 20 Newsgroups' training posts (validated on each group's most recent 10%) cut
to their first 16, 24, 32, 64, 128 and 256 words, a ladder of lengths with the same labels, so that the
crossover in median length is measured rather than guessed. Each finished run is one JSON line
(`benchmarks.tune_default`'s record plus the set's median words); a run already in the file is
skipped, so the command resumes where a killed one stopped. `--table` prints the runs as the
Markdown table of benchmarks/README.md ("The auto rule") instead of training.

    python -m benchmarks.auto_validation --jsonl benchmarks/results/auto_validation.jsonl --table
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks import tune_default
from keras_restext.data import read_dataset

# (preset, overrides): the default and the long-document candidate.
RECIPES = (("restext_base", {}), ("dpcnn", {"deep_loss_weight": 1.0}))
WORD_CUTS = (16, 24, 32, 64, 128, 256)
# Cheap runs first: the ladder at seed 0 (its short rungs first: where the recipes cross), the
# sentence sets' missing seeds, the ladder at seed 1, then whole posts.
PLAN = (
    [(f"20news-recent-w{words}", 0) for words in (64, 128, 32, 16, 24)]
    # The classes' ladder: the same posts with 2, 4, 8, 12 or 16 of the 20 groups, short and whole.
    + [(f"20news-recent-w32-c{classes}", 0) for classes in (2, 4, 8)]
    + [("20news-recent-w256", 0)]
    + [(f"20news-recent-w32-c{classes}", 0) for classes in (12, 16)]
    + [(f"20news-recent-w2048-c{classes}", 0) for classes in (4, 8)]
    + [(f"20news-recent-w{words}-c4", 0) for words in (64, 128)]
    + [(f"20news-recent-w32-c{classes}", 1) for classes in (4, 8, 12, 16)]
    + [(name, seed) for seed in (1, 2) for name in ("trec", "sst2", "mr")]
    + [(f"20news-recent-w{words}", 1) for words in (16, 24, 32, 64, 128)]
    + [("20news-recent", seed) for seed in (1, 2)]
)


_SPLIT = tune_default._split  # the sets' own splits (`main` routes tune_default to `split` while it trains)


def _cut(data, words: int, classes: list[str] | None):
    pairs = [(" ".join(text.split()[:words]), label) for text, label in zip(*data.texts_and_labels())
             if classes is None or label in classes]  # fmt: skip
    return read_dataset(tuple(zip(*pairs)))


def split(dataset: str):
    """The train / validation split of `dataset`: a `tune_default` set, or `20news-recent-wN[-cK]`
    (both parts cut to their first N whitespace-separated words; with `-cK`, K of the 20 groups,
    spread over the sorted names)."""
    if "-w" not in dataset:
        return _SPLIT(dataset)
    name, cut = dataset.rsplit("-w", 1)
    words, _, classes = cut.partition("-c")
    parts = _SPLIT(name)
    kept = None
    if classes:
        names = sorted(set(parts[0].texts_and_labels()[1]))
        kept = names[:: len(names) // int(classes)][: int(classes)]
    return tuple(_cut(part, int(words), kept) for part in parts)


def median_words(data) -> float:
    return statistics.median(len(text.split()) for text in data.texts_and_labels()[0])


def _done(path: Path) -> set[tuple]:
    if not path.exists():
        return set()
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(r["preset"], r["dataset"], r["seed"], json.dumps(r["overrides"], sort_keys=True)) for r in rows}


def table(rows: list[dict]) -> str:
    """One line per set: each recipe's validation accuracy (mean over the seeds both recipes ran),
    the difference, the seeds, and the fit time."""
    runs: dict[str, dict[int, dict[str, dict]]] = {}
    for row in rows:
        runs.setdefault(row["dataset"], {}).setdefault(row["seed"], {})[row["preset"]] = row
    lines = ["| set | classes | median words | restext_base | dpcnn + deep supervision | difference | seeds "
             "| fit s (base / dpcnn) |", "|---|---:|---:|---:|---:|---:|---|---|"]  # fmt: skip
    for dataset, seeds in runs.items():
        pairs = [pair for _, pair in sorted(seeds.items()) if len(pair) == 2]
        if not pairs:
            continue
        mean = {p: statistics.mean(100 * pair[p]["last"] for pair in pairs) for p in ("restext_base", "dpcnn")}
        fit = {p: statistics.mean(pair[p]["fit_s"] for pair in pairs) for p in ("restext_base", "dpcnn")}
        classes, words = _measures(dataset)
        lines.append(
            f"| {dataset} | {classes} | {words:g} | {mean['restext_base']:.2f} | {mean['dpcnn']:.2f} | "
            f"{mean['dpcnn'] - mean['restext_base']:+.2f} | {', '.join(str(s) for s, p in sorted(seeds.items()) if len(p) == 2)} "
            f"| {fit['restext_base']:.0f} / {fit['dpcnn']:.0f} |"
        )  # fmt: skip
    return "\n".join(lines)


def _measures(dataset: str) -> tuple[int, float]:
    train = split(dataset)[0]
    texts, labels = train.texts_and_labels()
    return len(set(labels)), statistics.median(len(text.split()) for text in texts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jsonl", required=True)
    parser.add_argument("--table", action="store_true", help="print the Markdown table of the runs instead")
    args = parser.parse_args(argv)
    path = Path(args.jsonl)
    if args.table:
        print(table([json.loads(line) for line in path.read_text().splitlines() if line.strip()]))
        return
    for dataset, seed in PLAN:
        for preset, overrides in RECIPES:
            key = (preset, dataset, seed, json.dumps(overrides, sort_keys=True))
            if key in _done(path):
                continue
            tune_default._split = split
            words = median_words(split(dataset)[0])
            start, timings = time.time(), {}
            accuracies = tune_default.validation_accuracy(dataset, json.loads(json.dumps(overrides)), preset=preset,
                                                          seed=seed, timings=timings)
            record = {"preset": preset, "dataset": dataset, "seed": seed, "overrides": overrides,
                      "median_words": words, "accuracies": accuracies, "last": accuracies[-1],
                      "fit_s": timings["fit_s"], "total_s": time.time() - start, "branches": timings["branches"],
                      "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            print(json.dumps(record), flush=True)
            with path.open("a") as file:
                file.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
