"""Validation accuracy of `restext_base` with overrides: how the default preset was chosen.

    python -m benchmarks.tune_default mr '{"tokenizer": {"ngrams": 1, "max_length": 256}}'
    python -m benchmarks.tune_default mr --baselines   # fastText and TF-IDF + LR on the same split

Trains on 90% of the set's training file and prints the validation accuracy of every epoch on the
other, stratified 10% (seed 0): the test file is never read. `20news-recent` validates on the
most recent 10% of each newsgroup's posts instead (by article number), which is closer to 20
Newsgroups' by-date test split. The JSON argument overrides the model
config; its "training" and "tokenizer" keys override those parts of the preset.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import keras

import keras_restext
from keras_restext.data import LabelVocabulary, build_pipeline, make_tokenizer, read_dataset, split_validation
from keras_restext.models import set_wide_idf
from keras_restext.training import TrainConfig
from keras_restext.models.optimizers import make_optimizer
from keras_restext.training.trainer import wide_idf

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


def validation_accuracy(dataset: str, overrides: dict) -> list[float]:
    """Trains restext_base (with `overrides`) and returns the validation accuracy of each epoch."""
    config = keras_restext.get_preset("restext_base")
    config["training"].update(overrides.pop("training", {}))
    config["tokenizer"].update(overrides.pop("tokenizer", {}))
    training = config["training"]

    train, validation = _split(dataset)
    labels = LabelVocabulary.from_data(train)
    tokenizer = make_tokenizer(**config["tokenizer"]).adapt(train)
    keras.utils.set_random_seed(0)
    batches = build_pipeline(train, tokenizer, labels, batch_size=training["batch_size"], shuffle=True, seed=0,
                             cache=True, bucket=True)
    validation_batches = build_pipeline(validation, tokenizer, labels, batch_size=256, cache=True)

    steps = -(-len(train.texts_and_labels()[0]) // training["batch_size"]) * training["epochs"]
    model = keras_restext.build_resnet_classifier(
        len(labels), tokenizer.vocabulary_size(), preset="restext_base", **overrides
    )
    idf = wide_idf(batches, tokenizer.vocabulary_size(), {**config["model"], **overrides})  # as `train` does
    if idf is not None:
        set_wide_idf(model, idf)
    model.compile(
        optimizer=make_optimizer(training["learning_rate"], steps, weight_decay=training["weight_decay"],
                                 warmup_fraction=training["warmup_fraction"]),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=training["label_smoothing"]),
        metrics=["accuracy"],
        steps_per_execution=TrainConfig.steps_per_execution,  # as `train` does
    )
    history = model.fit(batches, validation_data=validation_batches, epochs=training["epochs"], verbose=0)
    return history.history["val_accuracy"]


if __name__ == "__main__":
    name, overrides = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "--baselines" else {}
    if sys.argv[2:] == ["--baselines"]:
        print(name, {k: round(v, 4) for k, v in baseline_accuracies(name).items()})
        sys.exit(0)
    start = time.time()
    accuracies = validation_accuracy(name, dict(overrides))
    print(f"{name} {json.dumps(overrides)}: validation accuracy by epoch {[round(a, 3) for a in accuracies]}, "
          f"last {accuracies[-1]:.4f} (the weights `train` keeps), best {max(accuracies):.4f}, {time.time() - start:.0f}s")
