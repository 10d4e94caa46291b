"""The training recipe a `ResTextClassifier` compiles with: its optimizer, losses and metrics.

A recipe is a dict of training defaults (`batch_size`, `epochs`, `learning_rate`, `weight_decay`,
`warmup_fraction`, `label_smoothing`), a preset's `training` part. The same recipe trains through
`ResTextClassifier.fit` and through `restext train`, which calls it.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras

from keras_restext.models.optimizers import make_optimizer
from keras_restext.models.presets import get_preset

# What `compile()` with no arguments trains with when a classifier was not made from a preset.
DEFAULT_RECIPE = dict(get_preset("restext_base")["training"])


def recipe_optimizer(recipe: Mapping, total_steps: int, learning_rate: float | None = None) -> keras.optimizers.AdamW:
    """The recipe's AdamW with warm-up and cosine decay over `total_steps` training steps, peaking at
    `learning_rate` (the recipe's when None)."""
    return make_optimizer(
        recipe["learning_rate"] if learning_rate is None else learning_rate,
        total_steps,
        weight_decay=recipe["weight_decay"],
        warmup_fraction=recipe["warmup_fraction"],
    )


def recipe_losses(
    heads: Mapping[str, int],
    *,
    several_tasks: bool,
    multi_label: bool,
    label_smoothing: float,
    loss_weights: Mapping[str, float] | None = None,
) -> dict:
    """The `compile` arguments of the recipe's loss and metrics.

    One task: label-smoothed cross-entropy (binary with `multi_label`) and accuracy. Several tasks:
    one such loss per task, weighted by `loss_weights` (task → weight, 1 where missing) and by the
    sample weights, which are 0 where a task's label is missing; so the accuracy of each task is a
    weighted metric, over its labelled examples only.
    """
    if multi_label:
        loss, accuracy = keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing), "binary_accuracy"
    else:
        loss, accuracy = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing), "accuracy"
    if not several_tasks:
        return {"loss": loss, "metrics": [accuracy]}
    weights = dict(loss_weights or {})
    return {
        "loss": dict.fromkeys(heads, loss),
        "loss_weights": {head: float(weights.get(head, 1.0)) for head in heads},
        "metrics": None,
        "weighted_metrics": {head: [accuracy] for head in heads},
    }


__all__ = ["DEFAULT_RECIPE", "recipe_losses", "recipe_optimizer"]
