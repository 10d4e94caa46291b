"""The heads on top of the trunk: pooling, dense layers, one output per task, and the wide branch.

    features (the backbone's) -> masked pooling -> dense layers -> deep logits
    token ids -> (hashed n-grams) -> `BagOfTokensLogits` (TF-IDF, linear)  -> wide logits
    deep + wide logits -> softmax (sigmoid with `multi_label`)

`HEAD_DEFAULTS` are `ResTextClassifier`'s head arguments with their defaults.
"""

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
    StopGradient,
    token_idf,
)
from keras_restext.layers.hashed_ngrams import MAX_BUCKETS, check_hashed_ngrams
from keras_restext.checks import check_choice, check_int, require
from keras_restext.errors import ArgumentError

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
    # True: the wide & deep sum passes no gradient to the deep logits, so the trunk learns from its own
    # loss only (needs `deep_loss_weight` > 0), as if trained alone; they join the sum through a learned
    # map that starts at zero, so the sum learns how far to trust them. A character trunk beside a
    # character n-gram branch stays at chance otherwise.
    "deep_loss_only": False,
    # The n-gram orders that the wide branch reads, hashed into `wide_buckets` ids (`HashedNGrams`):
    # character n-grams for a character model; (): the token ids themselves.
    "wide_ngrams": (),
    "wide_buckets": MAX_BUCKETS,
}


def check_head_config(config: dict) -> None:
    """Raises an `ArgumentError` naming the argument for head settings that cannot be built."""
    # `0 <= x < inf` also refuses NaN, which fails every comparison.
    require(0 <= config["wide_scale"] < np.inf, "wide_scale", config["wide_scale"], "a finite number >= 0")
    if config["deep_drop_path"] and not config["wide_scale"]:
        raise ArgumentError(
            "`deep_drop_path` needs a wide branch to fall back on (`wide_scale` > 0). Received: "
            f"deep_drop_path={config['deep_drop_path']!r}, wide_scale={config['wide_scale']!r}",
            argument="deep_drop_path",
        )
    weight = config["deep_loss_weight"]
    require(0 <= weight < np.inf, "deep_loss_weight", weight, "a finite number >= 0")
    if weight and not config["wide_scale"]:
        raise ArgumentError(
            "`deep_loss_weight` needs a wide branch (`wide_scale` > 0): without one the deep logits are "
            f"the model's own. Received: deep_loss_weight={weight!r}, wide_scale={config['wide_scale']!r}",
            argument="deep_loss_weight",
        )
    if config["deep_loss_only"] and not weight:
        raise ArgumentError(
            "`deep_loss_only` trains the trunk through its own loss only, so it needs `deep_loss_weight` > 0. "
            f"Received: deep_loss_only={config['deep_loss_only']!r}, deep_loss_weight={weight!r}",
            argument="deep_loss_only",
        )
    if config["wide_ngrams"]:
        if not config["wide_scale"]:
            raise ArgumentError(
                "`wide_ngrams` needs a wide branch (`wide_scale` > 0). Received: "
                f"wide_ngrams={config['wide_ngrams']!r}, wide_scale={config['wide_scale']!r}",
                argument="wide_ngrams",
            )
        check_hashed_ngrams(config["wide_ngrams"], config["wide_buckets"], names=("wide_ngrams", "wide_buckets"))
    check_choice("pooling", config["pooling"], POOLINGS)


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
        raise ArgumentError("`tasks` must name at least one task. Received: tasks={}", argument="tasks")
    for name, classes in heads.items():
        check_int("num_classes" if tasks is None else f"tasks[{name!r}]", classes, smallest)
    return heads


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
        if config["deep_loss_only"]:
            # The trunk's logits are trained for themselves, not for the sum: the sum learns how far
            # to trust them, through a map that starts at zero (the wide branch alone).
            deep = StopGradient(name=f"{head}_deep_loss_only")(deep)
            deep = keras.layers.Dense(classes, use_bias=False, kernel_initializer="zeros", dtype="float32",
                                      name=f"{head}_deep_weight")(deep)
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


def wide_idf_is_set(model: keras.Model) -> bool:
    """Whether every wide branch of `model` holds idfs (a fresh one holds ones)."""
    wide = [layer for layer in model.layers if isinstance(layer, BagOfTokensLogits)]
    return all(np.any(keras.ops.convert_to_numpy(layer.idf) != 1.0) for layer in wide)


__all__ = [
    "HEAD_DEFAULTS",
    "POOLINGS",
    "check_head_config",
    "check_heads",
    "classification_heads",
    "set_wide_idf",
    "wide_branch_idf",
    "wide_idf_is_set",
    "wide_ngrams_layer",
]
