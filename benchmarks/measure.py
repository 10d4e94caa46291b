"""Measurement helpers shared by every method: peak memory, inference throughput and latency.

Every benchmark job runs in a fresh Python process (see `benchmarks.jobs`), so the process-wide peak
resident set size (`ru_maxrss`) is the peak of that one job: reading the data, training, exporting and
predicting, libraries (TensorFlow, fastText, ...) included.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from benchmarks.timing import timed_calls

Predict = Callable[[list[str]], Any]

# How much `measure_inference` times by default; `use_quick_settings()` shrinks it for smoke tests.
INFERENCE_SETTINGS: dict[str, int] = {"batch_size": 256, "max_batches": 20, "latency_samples": 200}


def folder_size(path: str, skip: tuple[str, ...] = ()) -> int:
    """The bytes of every file under `path`, except files named in `skip`."""
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files if f not in skip)
    return total


def use_quick_settings() -> None:
    """Makes `measure_inference` time 2 batches and 20 single texts (the `--quick` smoke test)."""
    INFERENCE_SETTINGS.update(max_batches=2, latency_samples=20)


def peak_rss_mb() -> float:
    """The peak resident set size of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def branch_accuracies(model, batches, head: str = "probabilities") -> dict[str, float]:
    """The accuracy of a wide & deep model's deep (residual) logits alone and of its wide logits alone.

    Args:
        model: a trained `build_resnet_classifier` model with a wide branch (`wide_scale` > 0).
        batches: a `tf.data.Dataset` of `(token_ids, one-hot labels)` batches.
        head: the output's name (a single task's is "probabilities").

    Returns:
        `{"deep_alone": float, "wide_alone": float}`, or `{}` for a model without a wide branch.

    Example:
    >>> branch_accuracies(model, validation_batches)  # doctest: +SKIP
    {'deep_alone': 0.78, 'wide_alone': 0.81}
    """
    import keras  # noqa: PLC0415

    names = {layer.name for layer in model.layers}
    if f"{head}_wide_logits" not in names:
        return {}
    # Inference: the deep logits' DropPath is off, so the deep logits are the Dense layer's output.
    parts = keras.Model(model.input, [model.get_layer(f"{head}_deep_logits").output,
                                      model.get_layer(f"{head}_wide_logits").output])
    correct, total = np.zeros(2), 0
    for ids, labels in batches:
        gold = np.argmax(np.asarray(labels), axis=-1)
        deep, wide = parts(ids, training=False)
        correct += [np.sum(np.argmax(np.asarray(deep), -1) == gold), np.sum(np.argmax(np.asarray(wide), -1) == gold)]
        total += len(gold)
    return {"deep_alone": float(correct[0] / total), "wide_alone": float(correct[1] / total)}


def accuracy(predicted: Sequence, expected: Sequence) -> float:
    """The fraction of equal pairs."""
    predicted, expected = np.asarray(predicted), np.asarray(expected)
    return float(np.mean(predicted == expected))


def measure_inference(
    predict: Predict,
    texts: Sequence[str],
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    latency_samples: int | None = None,
    warmup: int = 3,
) -> dict[str, float]:
    """Times raw-text prediction: throughput at `batch_size` and the median latency of one text.

    `predict` maps a list of raw strings to predictions, preprocessing included, exactly as a user
    would call the deployed model. The texts are cycled when there are fewer than needed. Arguments
    left None come from `INFERENCE_SETTINGS` (256 texts x 20 batches, 200 single texts).

    Returns:
        `{"infer_texts_per_s": ..., "p50_latency_ms": ..., "p90_latency_ms": ...}`.
    """
    batch_size = batch_size or INFERENCE_SETTINGS["batch_size"]
    max_batches = max_batches or INFERENCE_SETTINGS["max_batches"]
    latency_samples = latency_samples or INFERENCE_SETTINGS["latency_samples"]
    texts = list(texts)
    reps = -(-batch_size * max_batches // len(texts))
    pool = (texts * reps)[: batch_size * max_batches]
    batches = [pool[i : i + batch_size] for i in range(0, len(pool), batch_size)]
    for batch in batches[:warmup]:
        predict(batch)
    start = time.perf_counter()
    for batch in batches:
        predict(batch)
    throughput = len(pool) / (time.perf_counter() - start)

    singles = [[texts[i % len(texts)]] for i in range(latency_samples)]
    latencies = sorted(timed_calls(predict, singles, warmup=warmup)[0])
    return {
        "infer_texts_per_s": throughput,
        "p50_latency_ms": 1e3 * statistics.median(latencies),
        "p90_latency_ms": 1e3 * latencies[int(0.9 * (len(latencies) - 1))],
    }
