"""Validation accuracy of a preset (`restext_base` unless `--preset`) with overrides: how the presets were chosen.

    python -m benchmarks.tune_default mr '{"tokenizer": {"ngrams": 1, "max_length": 256}}'
    python -m benchmarks.tune_default mr --preset restext_deep32 --seed 1 --jsonl runs.jsonl
    python -m benchmarks.tune_default mr --baselines   # fastText and TF-IDF + LR on the same split

Trains on 90% of the set's training file and prints the validation accuracy of every epoch on the
other, stratified 10% (seed 0): the test file is never read. `20news-recent` validates on the
most recent 10% of each newsgroup's posts instead (by article number), which is closer to 20
Newsgroups' by-date test split. The JSON argument overrides the model
config; its "training" and "tokenizer" keys override those parts of the preset. `--seed` seeds the
initial weights and the shuffles, never the split. `--jsonl` appends one JSON line per run
(preset, set, seed, overrides, accuracies, seconds).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import keras

import keras_restext
from benchmarks.measure import branch_accuracies
from keras_restext.data import LabelVocabulary, build_pipeline, make_tokenizer, read_dataset, split_validation
from keras_restext.models import ResTextClassifier, resolve_model_config
from keras_restext.training.config import RuntimeConfig

TRAIN_FILES = {"mr": "mr/train.csv", "trec": "trec/train.tsv", "sst2": "sst2/train.tsv", "20news": "20news/train"}


def _split(dataset: str):
    if dataset == "20news-recent":
        return recent_split(read_dataset(f"../shared/data/{TRAIN_FILES['20news']}"), 0.1)
    return split_validation(read_dataset(f"../shared/data/{TRAIN_FILES[dataset]}"), 0.1, seed=0)


def recent_split(data, fraction: float):
    """The most recent `fraction` of each class's posts by article number (20 Newsgroups' file
    names, which grow with time) as validation: closer to the by-date test split than a random 10%."""
    by_label: dict[str, list] = {}
    for row in data.iter_rows():
        by_label.setdefault(row.label, []).append(row)
    train, validation = ([], []), ([], [])
    for rows in by_label.values():
        rows.sort(key=lambda row: int(Path(row.path).name))
        cut = len(rows) - round(fraction * len(rows))
        for part, chosen in ((train, rows[:cut]), (validation, rows[cut:])):
            part[0].extend(row.text for row in chosen)
            part[1].extend(row.label for row in chosen)
    return read_dataset(train), read_dataset(validation)


def baseline_accuracies(dataset: str) -> dict[str, float]:
    """fastText and TF-IDF + LR (the benchmark's settings) on the same validation split."""
    from benchmarks.baselines import fasttext_baseline, tfidf_lr_baseline  # noqa: PLC0415

    train, validation = (part.texts_and_labels() for part in _split(dataset))
    return {f.__name__: f(train, validation, 0)["accuracy"] for f in (fasttext_baseline, tfidf_lr_baseline)}


def validation_accuracy(
    dataset: str, overrides: dict, *, preset: str = "restext_base", seed: int = 0, timings: dict | None = None
) -> list[float]:
    """Trains `preset` (with `overrides`) and returns the validation accuracy of each epoch.

    Args:
        dataset: a key of `TRAIN_FILES`, or "20news-recent".
        overrides: model arguments, plus optional "training" and "tokenizer" dicts.
        preset: the preset to start from.
        seed: seeds the initial weights and the shuffles (the split is always seed 0's).
        timings: if given, receives "fit_s", the seconds `fit` took (validation passes included), and
            "branches", the validation accuracy of the deep and wide logits alone (`branch_accuracies`).

    Example:
    >>> validation_accuracy("trec", {"training": {"epochs": 1}}, preset="restext_deep32")  # doctest: +SKIP
    [0.71...]
    """
    config = keras_restext.get_preset(preset)
    config["training"].update(overrides.pop("training", {}))
    config["tokenizer"].update(overrides.pop("tokenizer", {}))
    training = config["training"]

    train, validation = _split(dataset)
    labels = LabelVocabulary.from_data(train)
    tokenizer = make_tokenizer(**config["tokenizer"]).adapt(train)
    keras.utils.set_random_seed(seed)
    batches = build_pipeline(train, tokenizer, labels, batch_size=training["batch_size"], shuffle=True, seed=seed,
                             cache=True, bucket=True)
    validation_batches = build_pipeline(validation, tokenizer, labels, batch_size=256, cache=True)

    steps = -(-len(train.texts_and_labels()[0]) // training["batch_size"]) * training["epochs"]
    # The task model, built and compiled as `train` does (its `fit` sets the wide branch's idfs, and
    # its training step adds `deep_loss_weight`'s loss).
    model = ResTextClassifier.from_model_config(resolve_model_config(preset, **overrides), tokenizer.vocabulary_size(),
                                                len(labels), recipe=training, compile=False)
    model.compile(schedule_steps=steps, steps_per_execution=RuntimeConfig.steps_per_execution)
    start = time.time()
    history = model.fit(batches, validation_data=validation_batches, epochs=training["epochs"], verbose=0)
    if timings is not None:
        timings["fit_s"] = time.time() - start
        timings["branches"] = branch_accuracies(model, validation_batches)
    return history.history["val_accuracy"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=[*TRAIN_FILES, "20news-recent"])
    parser.add_argument("overrides", nargs="?", default="{}", help="JSON: model arguments, 'training', 'tokenizer'")
    parser.add_argument("--preset", default="restext_base")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jsonl", help="append the run's result as one JSON line to this file")
    parser.add_argument("--baselines", action="store_true", help="fastText and TF-IDF + LR instead")
    args = parser.parse_args(argv)
    if args.baselines:
        print(args.dataset, {k: round(v, 4) for k, v in baseline_accuracies(args.dataset).items()})
        return
    overrides = json.loads(args.overrides)
    start, timings = time.time(), {}
    accuracies = validation_accuracy(args.dataset, json.loads(args.overrides), preset=args.preset, seed=args.seed,
                                     timings=timings)
    seconds = time.time() - start
    print(f"{args.preset} {args.dataset} seed {args.seed} {json.dumps(overrides)}: validation accuracy by epoch "
          f"{[round(a, 3) for a in accuracies]}, last {accuracies[-1]:.4f} (the weights `train` keeps), "
          f"best {max(accuracies):.4f}, fit {timings['fit_s']:.1f}s, total {seconds:.0f}s, "
          f"branches alone {json.dumps({k: round(v, 4) for k, v in timings['branches'].items()})}")
    if args.jsonl:
        record = {"preset": args.preset, "dataset": args.dataset, "seed": args.seed, "overrides": overrides,
                  "accuracies": accuracies, "last": accuracies[-1], "fit_s": timings["fit_s"], "total_s": seconds,
                  "branches": timings["branches"],
                  "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with open(args.jsonl, "a") as file:
            file.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
