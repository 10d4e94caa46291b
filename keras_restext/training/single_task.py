"""`OneTask`: what a one-task run trains, for `run_training`.

Its training, validation and test data, one label vocabulary, and the outputs `probabilities`;
`multitask.SeveralTasks` is the same interface for several tasks.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_restext.data import LabelVocabulary, build_pipeline, read_dataset, split_validation
from keras_restext.errors import ArgumentError
from keras_restext.training.config import TrainConfig
from keras_restext.training.metrics import evaluate_texts
from keras_restext.training.run_folder import run_fingerprint, source_name


def count_examples(data) -> int:
    """The number of examples of a `TextData` (one pass over it)."""
    return int(data.dataset.reduce(np.int64(0), lambda count, _: count + 1))


def _read_data(config: TrainConfig):
    """Training, validation and test `TextData` and the label vocabulary; unseen labels fail here."""
    data = config.data
    options = {k: getattr(data, k) for k in ("format", "text_column", "label_column", "header", "on_bad_row")}
    options = {k: v for k, v in options.items() if v is not None}
    def read(source):
        return read_dataset(source, **options).with_label_names(data.label_names)

    if data.train is None:
        raise ArgumentError(
            "`train` is required: the training data (a path, a tf.data.Dataset, or (texts, labels)).", argument="train"
        )
    train_data = read(data.train)
    labels = LabelVocabulary.from_data(train_data)
    if len(labels) < 2:
        raise ValueError(f"Training needs at least 2 classes; {source_name(data.train)} has only {labels.names!r}.")
    if data.validation is not None:
        validation_data = read(data.validation)
        labels.check(validation_data)
    elif data.validation_fraction > 0:
        train_data, validation_data = split_validation(train_data, data.validation_fraction, seed=config.schedule.seed)
    else:
        validation_data = None
    test_data = None if data.test is None else read(data.test)
    if test_data is not None:
        labels.check(test_data)
    return train_data, validation_data, test_data, labels


class OneTask:
    """What a one-task run trains: `config.data.train` (with its validation and test data), one label
    vocabulary, outputs `probabilities`. `run_training` trains it; `multitask.SeveralTasks` is the
    same interface for several tasks.
    """

    def __init__(self):
        self.splits: dict = {}
        self.labels: LabelVocabulary | None = None
        self.sizes: dict = {}

    def fingerprint(self, config: TrainConfig, resolved: dict) -> dict:
        """What must not change between a killed run and its resumption (in-memory data by a digest)."""
        return run_fingerprint(config, resolved)

    def read(self, config: TrainConfig, say) -> None:
        """Reads the splits and the label vocabulary; unseen labels fail here."""
        train_data, validation_data, test_data, self.labels = _read_data(config)
        self.splits = {"train": train_data, "validation": validation_data, "test": test_data}
        self.sizes = {name: count_examples(data) for name, data in self.splits.items() if data is not None}

    def training_texts(self):
        return self.splits["train"]

    def training_size(self) -> int:
        return self.sizes["train"]

    def summary(self, tokenizer, preset: str) -> str:
        return (
            "restext: " + " / ".join(f"{n} {name}" for name, n in self.sizes.items()) + f" examples, "
            f"{len(self.labels)} classes, vocabulary {tokenizer.vocabulary_size()}, preset {preset}"
        )

    def pipeline(self, split: str, tokenizer, **options) -> tf.data.Dataset:
        return build_pipeline(self.splits[split], tokenizer, self.labels, **options)

    def heads(self) -> dict:
        """The arguments of `ResTextClassifier` that set its outputs."""
        return {"num_classes": len(self.labels)}

    def loss_weights(self) -> None:
        """The weights of the tasks' losses in `ResTextClassifier.compile` (one task: none)."""
        return None

    def monitor(self, config: TrainConfig) -> str:
        return config.schedule.monitor

    def first_callbacks(self) -> list:
        return []

    def label_names(self):
        """What the serving model and the predictor name the classes by."""
        return self.labels.names

    def evaluate(self, predict, split: str) -> tuple[dict, list[tuple[str, dict]]]:
        """The split's metrics, as raw texts through `predict`: `(metrics, [(title, report), ...])`."""
        texts, raw_labels = self.splits[split].texts_and_labels()
        report = evaluate_texts(predict, texts, [label.strip() for label in raw_labels], self.labels.names)
        return report, [("metrics", report)]

    def model_card(self, config: TrainConfig, facts: dict, monitor: str | None) -> dict:
        """The model card's `data` and `training` sections (`facts`: `run_facts`)."""
        sizes = self.sizes
        given = config.data
        data = {"train": f"{source_name(given.train)} ({sizes['train']} examples)"}
        if given.validation is not None:
            data["validation"] = f"{source_name(given.validation)} ({sizes['validation']} examples)"
        elif "validation" in sizes:
            data["validation"] = f"{sizes['validation']} examples split off the training data (seed {config.schedule.seed})"
        if given.test is not None:
            data["test"] = f"{source_name(given.test)} ({sizes['test']} examples)"
        return {"data": data, "training": facts}


__all__ = ["OneTask", "count_examples"]
