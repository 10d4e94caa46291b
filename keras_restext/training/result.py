"""`TrainResult`: what `train` and `train_multitask` return."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras

from keras_restext.data import LabelVocabulary
from keras_restext.models import ResTextClassifier


@dataclass
class TrainResult:
    """What `train` and `train_multitask` return.

    Attributes:
        classifier: the trained `ResTextClassifier` (the best epoch's weights with validation data,
            else the last epoch's), with its preprocessor: it predicts raw strings (`predict`) and
            token ids (`network()`); with several tasks its outputs are a dict keyed by task.
        serving_model: tokenizer + a copy of the classifier (no optimizer state) + labels: raw
            strings in (what is exported).
        tokenizer: the adapted tokenizer.
        labels: the `LabelVocabulary`; with several tasks a dict task → `LabelVocabulary`.
        metrics: split name ("validation", "test") → `classification_report` dict; with several
            tasks split → task → report, over the examples labelled for that task.
        history: metric name → one value per epoch, over all (resumed) runs.
        config: the resolved configuration.
        output_dir: the run folder.
        export_path: the new export version folder, or None.
        initial_epoch: the epochs a previous, killed run had finished (0 for a fresh run).
        epochs_run: the epochs finished in all.
        best_epoch: the 1-based epoch whose weights were kept.
        wall_time: seconds from start to end of `train`.
        sizes: split → examples; with several tasks split → task → labelled examples.
    """

    classifier: keras.Model
    serving_model: keras.Model
    tokenizer: keras.layers.Layer
    labels: LabelVocabulary | dict[str, LabelVocabulary]
    metrics: dict
    history: dict
    config: dict
    output_dir: str
    export_path: str | None
    initial_epoch: int
    epochs_run: int
    best_epoch: int | None
    wall_time: float
    sizes: dict = field(default_factory=dict)


def finished_run(*, classifier: ResTextClassifier, tokenizer, labels, start: float, history: dict, **fields) -> TrainResult:
    """The `TrainResult` of a finished run, with the classifier's raw-string serving model (its
    preprocessor's tokenizer and class names, of one task or of several)."""
    return TrainResult(
        classifier=classifier,
        serving_model=classifier.serving_model(),
        tokenizer=tokenizer,
        labels=labels,
        history=history,
        export_path=None,
        epochs_run=len(history.get("epoch", [])),
        wall_time=time.time() - start,
        **fields,
    )


__all__ = ["TrainResult", "finished_run"]
