"""A trained classifier as a preset folder: `config.json`, `model.weights.h5`, `assets/`.

`ResTextClassifier.save_to_preset` writes one and `ResTextClassifier.from_preset` reads it back,
as KerasHub's presets: the config holds no vocabulary, the vocabulary is an asset beside it.
"""

from __future__ import annotations

import json
import os

import keras

import keras_restext.data  # noqa: F401  (registers the tokenizer layers that a config names)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
ASSETS_DIR = "assets"


def write_preset_folder(classifier: keras.Model, preset_dir: str) -> str:
    """Writes the classifier's config, its weights (not the optimizer's state) and its
    preprocessor's assets into `preset_dir`; returns `preset_dir`."""
    os.makedirs(os.path.join(preset_dir, ASSETS_DIR), exist_ok=True)
    with open(os.path.join(preset_dir, CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(keras.saving.serialize_keras_object(classifier), f, indent=2)
    classifier.network().save_weights(os.path.join(preset_dir, WEIGHTS_FILE))
    if classifier.preprocessor is not None:
        classifier.preprocessor.save_assets(os.path.join(preset_dir, ASSETS_DIR))
    return preset_dir


def read_preset_folder(preset_dir: str, *, load_weights: bool) -> keras.Model:
    """The classifier that `write_preset_folder` wrote, with its trained weights unless
    `load_weights=False`.

    Raises:
        ValueError: `preset_dir` has no config file.
    """
    path = os.path.join(preset_dir, CONFIG_FILE)
    if not os.path.isfile(path):
        raise ValueError(f"{preset_dir!r} is not a preset folder: it has no {CONFIG_FILE}.")
    with open(path, encoding="utf-8") as f:
        classifier = keras.saving.deserialize_keras_object(json.load(f), safe_mode=True)
    if classifier.preprocessor is not None:
        classifier.preprocessor.load_assets(os.path.join(preset_dir, ASSETS_DIR))
    if load_weights:
        classifier.network().load_weights(os.path.join(preset_dir, WEIGHTS_FILE))
    return classifier


__all__ = ["ASSETS_DIR", "CONFIG_FILE", "WEIGHTS_FILE", "read_preset_folder", "write_preset_folder"]
