"""A model's configuration: the trunk's and the heads' arguments, from the defaults, a preset and overrides."""

from __future__ import annotations

from keras_restext.models.backbone import BACKBONE_DEFAULTS
from keras_restext.models.heads import HEAD_DEFAULTS, check_head_config
from keras_restext.models.presets import get_preset

MODEL_DEFAULTS: dict = {**BACKBONE_DEFAULTS, **HEAD_DEFAULTS}


def resolve_model_config(preset: str | None = None, **overrides) -> dict:
    """Merges the defaults, a preset's model config and explicit overrides, checking every name."""
    unknown = sorted(set(overrides) - set(MODEL_DEFAULTS))
    if unknown:
        raise ValueError(
            f"Unknown model argument(s) {unknown}. Allowed: {', '.join(sorted(MODEL_DEFAULTS))}"
        )
    config = dict(MODEL_DEFAULTS)
    if preset is not None:
        config.update(get_preset(preset)["model"])
    config.update(overrides)
    check_head_config(config)
    return config


def backbone_arguments(model_config: dict) -> dict:
    """The arguments of `ResTextBackbone` in a resolved model config."""
    return {key: model_config[key] for key in BACKBONE_DEFAULTS}


def head_arguments(model_config: dict) -> dict:
    """The head arguments of `ResTextClassifier` in a resolved model config."""
    return {key: model_config[key] for key in HEAD_DEFAULTS}


__all__ = ["MODEL_DEFAULTS", "backbone_arguments", "head_arguments", "resolve_model_config"]
