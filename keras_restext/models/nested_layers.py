"""Walking a model's layers with its nested models (a task model's backbone) opened up."""

from __future__ import annotations

import keras


def leaf_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers of `model` with nested models (a `ResTextClassifier`'s backbone) opened up."""
    layers = []
    for layer in model.layers:
        layers.extend(leaf_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return layers


def find_layer(model: keras.Model, name: str) -> keras.layers.Layer:
    """The layer called `name` in `model` or in a model nested in it (`model.get_layer` looks at
    the top level only).

    Raises:
        ValueError: when there is none, with the names there are.
    """
    for layer in leaf_layers(model):
        if layer.name == name:
            return layer
    raise ValueError(f"No layer {name!r} in {model.name!r}. Its layers: {[layer.name for layer in leaf_layers(model)]}")


__all__ = ["find_layer", "leaf_layers"]
