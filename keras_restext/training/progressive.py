"""Staged ("progressive") training: grow the residual network one stage at a time.

The schedule, for a model of `S` stages trained for `E` epochs:
1. stage 1 alone (embedding, stem, the first stage's blocks, the head) trains for
   `max(1, E // S)` epochs, with its own warm-up and cosine decay;
2. stage `k` (2 ≤ k < S) is added, every weight the smaller network had is copied over (layers are
   matched by name; the head is copied when its input width is unchanged) and the network trains for
   `max(1, E // S)` epochs; with `freeze=True` the copied layers stay frozen;
3. the full network starts from the grown weights and trains for `E` epochs as usual (early stopping,
   backup, ...), with the earlier stages frozen too when `freeze=True`.

`train(progressive=True, freeze_grown=...)`, `train_multitask(...)` and `restext train --progressive
[--freeze-grown]` run this schedule (`keras_restext.training.warmstart.pretrain_stages`); the earlier
stages have no early stopping or backup, and a resumed run does not repeat them. See docs/progressive.md.
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from keras_restext.models.nested_layers import leaf_layers

STAGE_PREFIX = "stage"


def stage_count(model_config: dict) -> int:
    """The number of stages of a resolved model config."""
    return len(model_config["stage_filters"])


def stage_epochs(model_config: dict, epochs: int) -> int:
    """The epochs each earlier stage trains: `max(1, E // S)`."""
    return max(1, epochs // stage_count(model_config))


def first_stages(model_config: dict, stages: int) -> dict:
    """The overrides that keep only the first `stages` stages."""
    return {
        "stage_filters": tuple(model_config["stage_filters"][:stages]),
        "stage_blocks": tuple(model_config["stage_blocks"][:stages]),
    }


def transfer_weights(source: keras.Model, target: keras.Model, *, freeze: bool = False) -> list[str]:
    """Copies the weights of every layer of `source` that `target` has, by name and shape.

    Args:
        source: the smaller, trained network.
        target: the grown network.
        freeze: make the copied layers of `target` non-trainable (the head excepted: it must adapt
            to the new stage's features).

    Returns:
        The names of the layers copied.
    """
    copied = []
    twins = {layer.name: layer for layer in leaf_layers(target)}  # a task model's backbone opened up
    for layer in leaf_layers(source):
        twin = twins.get(layer.name)
        if not layer.weights or twin is None:
            continue
        if [tuple(w.shape) for w in twin.weights] != [tuple(w.shape) for w in layer.weights]:
            continue
        twin.set_weights(layer.get_weights())
        copied.append(layer.name)
        if freeze and layer.name.startswith((STAGE_PREFIX, "stem", "embedding")):
            twin.trainable = False
    return copied


def grow(
    build: Callable[[dict], keras.Model],
    fit: Callable[[keras.Model, int], None],
    model_config: dict,
    epochs: int,
    *,
    freeze: bool = False,
    log: Callable[[str], None] = print,
) -> keras.Model | None:
    """Trains the first `S - 1` growing networks and returns the last one (None when `S == 1`).

    Args:
        build: returns a compiled model given overrides of the model config.
        fit: trains a model for a number of epochs.
        model_config: the resolved model config of the full network.
        epochs: the full network's epochs `E`; each earlier stage trains `max(1, E // S)`.
        freeze: freeze the layers carried over from the previous network.
        log: progress lines.
    """
    stages = stage_count(model_config)
    each = stage_epochs(model_config, epochs)
    previous = None
    for stage in range(1, stages):
        model = build(first_stages(model_config, stage))
        if previous is not None:
            transfer_weights(previous, model, freeze=freeze)
        log(f"restext: progressive stage {stage}/{stages}: {each} epoch(s)")
        fit(model, each)
        previous = model
    return previous


__all__ = ["first_stages", "grow", "stage_count", "stage_epochs", "transfer_weights"]
