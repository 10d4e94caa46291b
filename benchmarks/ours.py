"""Our model on a benchmark set: `train_ours(...)` trains the default preset and measures it.

It goes through the package's public API, exactly as a user would:
`keras_restext.training.train` (the function behind `restext train`) with the preset's own recipe
(tokenizer, architecture, batch size, epochs, AdamW with warm-up and cosine decay, label smoothing;
like a user who gives no validation data, every training example trains and the last epoch's
weights are kept), then `write_export` (called by `train`)
writes the raw-string SavedModel, and `keras_restext.export.load_predictor` loads it back for the
accuracy and the inference timings. Nothing is tuned per set.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import keras
import numpy as np

from benchmarks.measure import accuracy, branch_accuracies, measure_inference, peak_rss_mb

PRESET = "restext_base"
TRAINED_WITH = "keras_restext.training.train (public API), SavedModel via keras_restext.export.load_predictor"


class _TrainingEnd(keras.callbacks.Callback):
    """Records when `fit` returns, so that evaluation and export stay out of the training time."""

    def on_train_end(self, logs=None):
        self.time = time.perf_counter()


def _saved_model_mb(folder: str) -> float:
    """The SavedModel's own files (`saved_model.pb`, `variables/`, `assets/`), in MiB."""
    root = Path(folder)
    files = [root / "saved_model.pb", *(root / "variables").rglob("*"), *(root / "assets").rglob("*")]
    return sum(f.stat().st_size for f in files if f.is_file()) / 2**20


def _auto_choice(preset: str, texts: list[str], labels: list[str]) -> dict:
    """With `preset="auto"`, what it chose for these texts (the rule `train` applied)."""
    if preset != "auto":
        return {}
    from keras_restext.models.auto_preset import choose_preset  # noqa: PLC0415

    choice = choose_preset(texts, len(set(labels)))
    return {"auto_choice": choice.as_dict(), "auto_reason": choice.describe()}


def train_ours(
    train_texts: list[str],
    train_labels: list[str],
    test_texts: list[str],
    test_labels: list[str],
    seed: int,
    *,
    preset: str = PRESET,
    epochs: int | None = None,
    model_overrides: dict | None = None,
) -> dict:
    """Trains `preset` on one set with `keras_restext.training.train`, exports it and measures it.

    Args:
        train_texts, train_labels: the training set (all of it trains: `train`'s default).
        test_texts, test_labels: the test set, scored through the exported SavedModel.
        seed: the random seed (weights, shuffling, validation split).
        preset: the preset to train; the issue's benchmark uses the default, `restext_base`.
        epochs: override the preset's epochs (the `--quick` smoke test only).
        model_overrides: model arguments over the preset's (`benchmarks.depth`'s separable rows).

    Returns:
        A dict: `accuracy` (exported SavedModel on the test texts), `train_seconds` (from the call
        of `train` to the end of `fit`: reading, tokenizer, model, training), `train_call_seconds`
        (the whole call, evaluation and export included), `params`, `epochs_run`, `best_epoch`,
        `best_val_accuracy`, `infer_texts_per_s`, `p50_latency_ms`, `p90_latency_ms`,
        `saved_model_mb`, `peak_rss_mb`, `trained_with`, `settings`, and with a wide branch
        `deep_alone_accuracy` / `wide_alone_accuracy` (each branch's logits alone on the test texts).
    """
    from keras_restext.export import load_predictor  # noqa: PLC0415
    from keras_restext.training import train  # noqa: PLC0415

    overrides = {} if epochs is None else {"epochs": epochs}
    end = _TrainingEnd()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = train(
            train=(list(train_texts), list(train_labels)),
            test=(list(test_texts), list(test_labels)),
            preset=preset,
            seed=seed,
            output=str(Path(tmp) / "run"),
            export=str(Path(tmp) / "export"),
            tensorboard=False,
            verbose=0,
            log=None,
            callbacks=[end],
            model_overrides=dict(model_overrides or {}),
            **overrides,
        )
        call_seconds = time.perf_counter() - start
        predictor = load_predictor(result.export_path)
        names = np.asarray(predictor.labels)

        def predict(texts: list[str]) -> list[str]:
            return list(names[predictor.predict(texts).argmax(axis=-1)])

        history = result.history.get("val_accuracy", [])
        record = {
            "accuracy": accuracy(predict(list(test_texts)), test_labels),
            "accuracy_in_training": result.metrics.get("test", {}).get("accuracy"),
            "train_seconds": end.time - start,
            "train_call_seconds": call_seconds,
            "params": result.classifier.count_params(),
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "best_val_accuracy": float(max(history)) if history else None,
            "saved_model_mb": _saved_model_mb(result.export_path),
            "preset": preset,
            **_auto_choice(preset, train_texts, train_labels),
            "trained_with": TRAINED_WITH,
            "settings": {"preset": preset, **result.config["training"], "max_length": result.config["tokenizer"].get("max_length")},
        }
        from keras_restext.data import build_pipeline, read_dataset  # noqa: PLC0415

        test_batches = build_pipeline(read_dataset((list(test_texts), list(test_labels))), result.tokenizer,
                                      result.labels, batch_size=256)
        branches = branch_accuracies(result.classifier, test_batches)
        record.update({f"{name}_accuracy": value for name, value in branches.items()})
        if model_overrides:
            record["settings"]["model_overrides"] = dict(model_overrides)
        record.update(measure_inference(predict, test_texts))
    record["peak_rss_mb"] = peak_rss_mb()
    return record
