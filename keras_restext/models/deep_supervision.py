"""Deep supervision: the deep logits' own loss beside a wide branch (`deep_loss_weight`).

A wide linear branch can learn so fast that the trunk gets little gradient; adding the cross-entropy
of the deep logits alone to the loss makes the residual branch learn to classify by itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras

from keras_restext.models.preprocessor import SINGLE_TASK


def deep_logits_view(model: keras.Model, heads: Mapping[str, int]) -> keras.Model:
    """The same layers as a functional model that also returns each head's deep logits (the input
    of its wide & deep sum), as a dict keyed by head. It adds no weights."""
    deep = {head: model.get_layer(f"{head}_deep_logits").output for head in heads}
    return keras.Model(model.input, [model.output, deep], name=f"{model.name}_with_deep_logits")


def deep_loss(y, deep_logits: dict, sample_weight, *, several_tasks: bool, multi_label: bool, label_smoothing: float):
    """The mean over heads of the deep logits' cross-entropy with the targets (the sample weights
    mask a task's missing labels)."""
    if multi_label:
        loss = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=label_smoothing)
    else:
        loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=label_smoothing)
    if not several_tasks:
        return loss(y, deep_logits[SINGLE_TASK], sample_weight)
    weights = sample_weight if isinstance(sample_weight, Mapping) else dict.fromkeys(deep_logits, sample_weight)
    return sum(loss(y[head], logits, weights.get(head)) for head, logits in deep_logits.items()) / len(deep_logits)


__all__ = ["deep_logits_view", "deep_loss"]
