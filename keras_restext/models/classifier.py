"""`build_resnet_classifier`: the functional residual text classifier."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import keras
import numpy as np

from keras_restext.layers import (
    BagOfTokensLogits,
    DropPath,
    HashedNGrams,
    KMaxPooling1D,
    MaskedGlobalPooling1D,
    token_idf,
)
from keras_restext.layers.hashed_ngrams import MAX_BUCKETS, check_hashed_ngrams
from keras_restext.models.backbone import BACKBONE_DEFAULTS, check_backbone_config, residual_trunk
from keras_restext.models.presets import get_preset

POOLINGS = ("max", "avg", "max_avg", "kmax")

# The arguments of the heads on top of the trunk.
HEAD_DEFAULTS: dict = {
    "pooling": "max_avg",
    "kmax_k": 8,
    "head_units": (),
    "head_dropout": 0.5,
    "multi_label": False,
    # Wide & deep (Cheng et al. 2016): > 0 adds a linear bag-of-tokens classifier's logits, times
    # this scale, to the deep model's (`BagOfTokensLogits`); 0: no wide branch.
    "wide_scale": 0.0,
    "deep_drop_path": 0.0,  # drops the deep logits per example in training, so the wide branch also learns alone
    # > 0 adds this weight times the cross-entropy of the deep logits alone to the training loss
    # (deep supervision), so the residual branch learns to classify by itself beside the wide
    # branch; `ResTextClassifier`'s training step computes it.
    "deep_loss_weight": 0.0,
    # The n-gram orders that the wide branch reads, hashed into `wide_buckets` ids (`HashedNGrams`):
    # character n-grams for a character model; (): the token ids themselves.
    "wide_ngrams": (),
    "wide_buckets": MAX_BUCKETS,
}
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


def check_head_config(config: dict) -> None:
    """Raises a `ValueError` naming the argument for head settings that cannot be built."""
    # `not 0 <= x < inf` also refuses NaN, which fails every comparison.
    if not 0 <= config["wide_scale"] < np.inf:
        raise ValueError(f"`wide_scale` must be a finite number >= 0. Received: wide_scale={config['wide_scale']!r}")
    if config["deep_drop_path"] and not config["wide_scale"]:
        raise ValueError(
            "`deep_drop_path` needs a wide branch to fall back on (`wide_scale` > 0). Received: "
            f"deep_drop_path={config['deep_drop_path']!r}, wide_scale={config['wide_scale']!r}"
        )
    if not 0 <= config["deep_loss_weight"] < np.inf:
        raise ValueError(
            f"`deep_loss_weight` must be a finite number >= 0. Received: deep_loss_weight={config['deep_loss_weight']!r}"
        )
    if config["deep_loss_weight"] and not config["wide_scale"]:
        raise ValueError(
            "`deep_loss_weight` needs a wide branch (`wide_scale` > 0): without one the deep logits are "
            f"the model's own. Received: deep_loss_weight={config['deep_loss_weight']!r}, "
            f"wide_scale={config['wide_scale']!r}"
        )
    if config["wide_ngrams"]:
        if not config["wide_scale"]:
            raise ValueError(
                "`wide_ngrams` needs a wide branch (`wide_scale` > 0). Received: "
                f"wide_ngrams={config['wide_ngrams']!r}, wide_scale={config['wide_scale']!r}"
            )
        check_hashed_ngrams(config["wide_ngrams"], config["wide_buckets"], names=("wide_ngrams", "wide_buckets"))
    if config["pooling"] not in POOLINGS:
        raise ValueError(f"`pooling` must be one of {POOLINGS}. Received: pooling={config['pooling']!r}")


def check_heads(num_classes, tasks, multi_label) -> dict[str, int]:
    """The heads to build, name → classes: `{"probabilities": num_classes}` for one task, else `tasks`."""
    smallest = 1 if multi_label else 2
    if (num_classes is None) == (tasks is None):
        raise ValueError(
            "Pass exactly one of `num_classes` (one task) or `tasks` (a dict of task name -> classes). "
            f"Received: num_classes={num_classes!r}, tasks={tasks!r}"
        )
    heads = {"probabilities": num_classes} if tasks is None else dict(tasks)
    if not heads:
        raise ValueError("`tasks` must name at least one task. Received: tasks={}")
    for name, classes in heads.items():
        if not isinstance(classes, int) or classes < smallest:
            arg = "num_classes" if tasks is None else f"tasks[{name!r}]"
            raise ValueError(f"`{arg}` must be an int >= {smallest}. Received: {arg}={classes!r}")
    return heads


def build_resnet_classifier(
    num_classes: int | None = None,
    vocab_size: int | None = None,
    *,
    preset: str | None = None,
    tasks: Mapping[str, int] | None = None,
    include_top: bool = True,
    name: str = "resnet_classifier",
    **overrides,
) -> keras.Model:
    """Builds a deep residual convolutional text classifier as a functional `keras.Model`.

    The model maps int token ids `[batch, length]` (0 = padding) to class probabilities:
    embedding (with a padding mask) → stem convolution ("region embedding") → stages of `ResBlock`s,
    each stage after the first halving the length (DPCNN's pyramid) → norm and activation → masked
    global pooling → dropout → dense layers → softmax (sigmoid with `multi_label=True`).
    With `wide_scale` > 0, a linear classifier on the bag of tokens (`BagOfTokensLogits`) adds its
    logits to the deep model's before the softmax (wide & deep); give it the training texts' idfs
    with `set_wide_idf` (`train` does). With `wide_ngrams`, it reads the hashed n-grams of the
    token ids (`HashedNGrams`) instead of the ids. Padding never changes a prediction.

    Args:
        num_classes: int, the classes of a single task (>= 2; >= 1 with `multi_label=True`).
        vocab_size: int >= 2, the token id range (ids 0 = padding and 1 = out-of-vocabulary included).
        preset: optional name from `keras_restext.presets`; its model config is the starting point.
        tasks: instead of `num_classes`, a dict task name → classes: one shared trunk, one head per task,
            and the model returns a dict of probabilities keyed by task name.
        include_top: False returns the trunk (token ids → the sequence features `[batch, time, channels]`,
            with its mask) to reuse in other Keras models.
        name: the model's name.
        **overrides: any key of `MODEL_DEFAULTS`, overriding the preset: `embedding_dim`,
            `stage_filters`, `stage_blocks`, `num_layers`, `kernel_size`, `kernel_sizes`, `norm`,
            `pooling` ("max", "avg", "max_avg", "kmax"), `drop_path`, `head_units`, `head_dropout`,
            `wide_scale`, `deep_drop_path`, `wide_ngrams` and `wide_buckets` (the wide branch),
            `deep_loss_weight` (used by `ResTextClassifier`'s training step; a plain model from
            this builder trains on its output's loss alone), `deep_vocab_size` (the embedding
            covers only the first ids, and rarer tokens reach the deep model as
            out-of-vocabulary), ...

    Returns:
        A `keras.Model` with input "token_ids".

    Example:
    >>> model = build_resnet_classifier(num_classes=2, vocab_size=20000, preset="restext_small")
    >>> tuple(model(keras.ops.convert_to_tensor([[5, 9, 3, 0, 0]])).shape)
    (1, 2)
    """
    config = resolve_model_config(preset, **overrides)
    check_backbone_config(vocab_size, config)
    heads = check_heads(num_classes, tasks, config["multi_label"]) if include_top else {}
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    features = residual_trunk(token_ids, vocab_size, config)
    if not include_top:
        return keras.Model(token_ids, features, name=f"{name}_backbone")
    outputs = classification_heads(features, token_ids, heads, vocab_size, config)
    if tasks is None:
        outputs = outputs["probabilities"]
    return keras.Model(token_ids, outputs, name=name)


def classification_heads(features, token_ids, heads: Mapping[str, int], vocab_size: int, config: dict) -> dict:
    """The layers after the trunk: masked pooling → dense layers → one softmax (or sigmoid) head per
    entry of `heads` (name → classes), each with its wide branch on `token_ids` when `wide_scale` > 0.

    Returns:
        A dict head name → probabilities.
    """
    regularizer = keras.regularizers.L2(config["kernel_l2"]) if config.get("kernel_l2") else None
    x = features
    if config["pooling"] == "kmax":
        x = KMaxPooling1D(config["kmax_k"], name="kmax_pooling")(x)
        x = keras.layers.Flatten(name="flatten")(x)
    else:
        x = MaskedGlobalPooling1D(config["pooling"], name="pooling")(x)
    for i, units in enumerate(config["head_units"]):
        x = keras.layers.Dense(units, activation="relu", kernel_regularizer=regularizer, name=f"head_dense_{i}")(x)
        if config["head_dropout"]:
            x = keras.layers.Dropout(config["head_dropout"], name=f"head_dropout_{i}")(x)
    if config["head_dropout"] and not config["head_units"]:
        x = keras.layers.Dropout(config["head_dropout"], name="head_dropout")(x)

    activation = "sigmoid" if config["multi_label"] else "softmax"
    # The output layer stays float32 under mixed precision, for a stable softmax and loss.
    ngrams = wide_ngrams_layer(config)
    wide_ids = token_ids if ngrams is None else ngrams(token_ids)
    wide_vocab_size = vocab_size if ngrams is None else ngrams.output_vocab_size
    outputs = {}
    for head, classes in heads.items():
        if not config["wide_scale"]:
            outputs[head] = keras.layers.Dense(classes, activation=activation, dtype="float32", name=head)(x)
            continue
        deep = keras.layers.Dense(classes, dtype="float32", name=f"{head}_deep_logits")(x)
        if config["deep_drop_path"]:
            deep = DropPath(config["deep_drop_path"], name=f"{head}_deep_drop_path")(deep)
        wide = BagOfTokensLogits(
            classes, wide_vocab_size, config["wide_scale"], dtype="float32", name=f"{head}_wide_logits"
        )(wide_ids)
        logits = keras.layers.Add(name=f"{head}_logits")([deep, wide])
        outputs[head] = keras.layers.Activation(activation, dtype="float32", name=head)(logits)
    return outputs


def wide_ngrams_layer(config: dict) -> HashedNGrams | None:
    """The layer that maps token ids to the wide branch's hashed n-gram ids, or None when the wide
    branch reads the token ids themselves (no `wide_ngrams`)."""
    if not config.get("wide_ngrams"):
        return None
    return HashedNGrams(config["wide_ngrams"], config.get("wide_buckets", MAX_BUCKETS), name="wide_ngrams")


def wide_branch_idf(token_ids: Iterable, vocab_size: int, config: dict) -> np.ndarray:
    """The idfs (`token_idf`) of what the wide branch reads, for `set_wide_idf`: of the token ids
    that `token_ids` yields as `[batch, time]` batches, or of their hashed n-grams with `wide_ngrams`."""
    ngrams = wide_ngrams_layer(config)
    if ngrams is None:
        return token_idf(token_ids, vocab_size)
    return token_idf((keras.ops.convert_to_numpy(ngrams(batch)) for batch in token_ids), ngrams.output_vocab_size)


def set_wide_idf(model: keras.Model, idf) -> None:
    """Gives every wide branch (`BagOfTokensLogits`, one per head) of `model` the inverse document
    frequencies `idf` (`wide_branch_idf` of the training texts' token ids)."""
    for layer in model.layers:
        if isinstance(layer, BagOfTokensLogits):
            layer.idf.assign(idf)


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


def count_params(model: keras.Model) -> int:
    """The number of weights of a built model, trainable or not."""
    return int(sum(int(keras.ops.size(w)) for w in model.weights))


__all__ = [
    "HEAD_DEFAULTS",
    "find_layer",
    "leaf_layers",
    "MODEL_DEFAULTS",
    "build_resnet_classifier",
    "check_heads",
    "classification_heads",
    "count_params",
    "resolve_model_config",
    "set_wide_idf",
    "wide_branch_idf",
    "wide_ngrams_layer",
]
