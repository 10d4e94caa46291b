"""The two searches of the benchmark page, each under the same wall-time budget and validation split.

* `fasttext_autotune_baseline`: fastText's own search (`train_supervised(autotuneValidationFile=...,
  autotuneDuration=...)`), trained on the training part and judged on the validation part.
* `tune_ours`: `keras_restext.training.tune` (what `restext tune` runs): Optuna's TPE over our
  recipes on the training part, judged on the validation part, then the best recipe trained on all the
  training data and exported.

Both carve the validation part with `keras_restext.data.splits.split_validation(data, 0.1, seed=seed)`,
the split `tune` makes itself, so the two searches see the same examples. The test split is scored
once, by the final model, through the export for ours.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.baselines import fasttext_predictor, write_fasttext_file
from benchmarks.datasets import TextsAndLabels
from benchmarks.measure import accuracy, measure_inference, peak_rss_mb

BUDGET_SECONDS = 900  # the 15 minutes
VALIDATION_FRACTION = 0.1


def validation_split(train: TextsAndLabels, seed: int) -> tuple[TextsAndLabels, TextsAndLabels]:
    """The training and validation parts that `tune` carves from `train` with this seed."""
    from keras_restext.data import read_dataset  # noqa: PLC0415
    from keras_restext.data.splits import split_validation  # noqa: PLC0415

    part, held_out = split_validation(read_dataset((list(train[0]), list(train[1]))), VALIDATION_FRACTION, seed=seed)
    return part.texts_and_labels(), held_out.texts_and_labels()


def fasttext_autotune_baseline(train: TextsAndLabels, test: TextsAndLabels, seed: int = 0,
                               *, budget: float = BUDGET_SECONDS) -> dict:
    """fastText's autotune for `budget` seconds on the shared validation split, scored on `test`."""
    import fasttext  # noqa: PLC0415 (a `.[bench]` extra)

    part, held_out = validation_split(train, seed)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        model = fasttext.train_supervised(
            input=write_fasttext_file(Path(tmp) / "train.txt", part), seed=seed, thread=os.cpu_count() or 1,
            verbose=0, autotuneValidationFile=write_fasttext_file(Path(tmp) / "valid.txt", held_out),
            autotuneDuration=int(budget),
        )
        seconds = time.perf_counter() - start

    predict = fasttext_predictor(model, train[1])
    args = model.f.getArgs()
    settings = {key: getattr(args, key) for key in ("lr", "epoch", "wordNgrams", "dim", "minn", "maxn", "bucket", "dsub")}
    result = {
        "accuracy": accuracy(predict(test[0]), test[1]),
        "validation_accuracy": accuracy(predict(held_out[0]), held_out[1]),
        "train_seconds": seconds,
        "budget_seconds": budget,
        "params": (len(model.words) + args.bucket) * model.get_dimension() + model.get_dimension() * len(set(train[1])),
        "settings": {"autotune": settings, "trained_on": "the training part (fastText's autotune keeps it)"},
    }
    result.update(measure_inference(predict, test[0]))
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def tune_ours(train: TextsAndLabels, test: TextsAndLabels, seed: int = 0, *, budget: float = BUDGET_SECONDS) -> dict:
    """`keras_restext.training.tune` for `budget` seconds, then its final model scored on `test`."""
    from keras_restext.export import load_predictor  # noqa: PLC0415
    from keras_restext.training.tune import tune  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = tune((list(train[0]), list(train[1])), validation_fraction=VALIDATION_FRACTION, seed=seed,
                      test=(list(test[0]), list(test[1])), budget=budget, output=str(Path(tmp) / "run"),
                      export=str(Path(tmp) / "export"), log=None)
        seconds = time.perf_counter() - start
        predictor = load_predictor(result.final.export_path)
        names = np.asarray(predictor.labels)

        def predict(texts: list[str]) -> list[str]:
            return list(names[predictor.predict(texts).argmax(axis=-1)])

        trials = result.study.trials
        record = {
            "accuracy": accuracy(predict(list(test[0])), test[1]),
            "validation_accuracy": float(result.best_trial.value),
            "train_seconds": seconds,
            "budget_seconds": budget,
            "trials": len(trials),
            "pruned_trials": sum(t.state.name == "PRUNED" for t in trials),
            "first_trial_value": float(trials[0].value) if trials and trials[0].value is not None else None,
            "params": result.final.classifier.count_params(),
            "epochs_run": result.final.epochs_run,
            "settings": {"best trial": result.best_trial.number, **result.best_trial.params},
        }
        record.update(measure_inference(predict, list(test[0])))
    record["peak_rss_mb"] = peak_rss_mb()
    return record
