"""`build_resnet_classifier`: the functional residual text classifier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras

from keras_restext.layers import (
    BagOfTokensLogits,
    DropPath,
    KMaxPooling1D,
    LimitVocabulary,
    MaskedConv1D,
    MaskedGlobalPooling1D,
    ResBlock,
)
from keras_restext.models.presets import get_preset

POOLINGS = ("max", "avg", "max_avg", "kmax")

MODEL_DEFAULTS: dict = {
    "embedding_dim": 128,
    # None: the embedding covers every id; n: only the first n (the most frequent tokens), rarer ones
    # share the out-of-vocabulary row, while the wide branch still reads every id.
    "deep_vocab_size": None,
    "embedding_dropout": 0.0,
    "stem_filters": None,  # None: the first stage's filters
    "stem_kernel_size": 3,
    "stage_filters": (128,),
    "stage_blocks": (1,),
    "num_layers": 2,
    "kernel_size": 3,
    "kernel_sizes": None,
    "dilation_rate": 1,
    "separable": False,
    "downsample": True,  # pyramid: the first block of every stage but the first halves the length
    "norm": None,
    "activation": "relu",
    "block_dropout": 0.0,
    "drop_path": 0.0,  # the last block's rate; earlier blocks' rates grow linearly towards it
    "se_ratio": None,
    # "zero": every block's main path starts scaled by 0 (ResBlock), so a deep trunk starts as the
    # stem alone; "default": blocks as initialised by their kernels.
    "residual_init": "default",
    "kernel_l2": 0.0,
    "pooling": "max_avg",
    "kmax_k": 8,
    "head_units": (),
    "head_dropout": 0.5,
    "multi_label": False,
    # Wide & deep (Cheng et al. 2016): > 0 adds a linear bag-of-tokens classifier's logits, times
    # this scale, to the deep model's (`BagOfTokensLogits`); 0: no wide branch.
    "wide_scale": 0.0,
    "deep_drop_path": 0.0,  # drops the deep logits per example in training, so the wide branch also learns alone
}


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
    if len(config["stage_filters"]) != len(config["stage_blocks"]):
        raise ValueError(
            "`stage_filters` and `stage_blocks` must have the same length. Received: "
            f"stage_filters={config['stage_filters']!r}, stage_blocks={config['stage_blocks']!r}"
        )
    if config["wide_scale"] < 0:
        raise ValueError(f"`wide_scale` must be >= 0. Received: wide_scale={config['wide_scale']!r}")
    if config["deep_drop_path"] and not config["wide_scale"]:
        raise ValueError(
            "`deep_drop_path` needs a wide branch to fall back on (`wide_scale` > 0). Received: "
            f"deep_drop_path={config['deep_drop_path']!r}, wide_scale={config['wide_scale']!r}"
        )
    deep_vocab = config["deep_vocab_size"]
    if deep_vocab is not None and (not isinstance(deep_vocab, int) or deep_vocab < 2):
        raise ValueError(f"`deep_vocab_size` must be None or an int >= 2. Received: deep_vocab_size={deep_vocab!r}")
    if config["pooling"] not in POOLINGS:
        raise ValueError(f"`pooling` must be one of {POOLINGS}. Received: pooling={config['pooling']!r}")
    return config


def _check_heads(num_classes, tasks, multi_label) -> dict[str, int]:
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
    with `set_wide_idf` (`train` does). Padding never changes a prediction.

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
            `wide_scale` and `deep_drop_path` (the wide branch), `deep_vocab_size` (the embedding
            covers only the first ids, and rarer tokens reach the deep model as out-of-vocabulary), ...

    Returns:
        A `keras.Model` with input "token_ids".

    Example:
    >>> model = build_resnet_classifier(num_classes=2, vocab_size=20000, preset="restext_small")
    >>> model(keras.ops.convert_to_tensor([[5, 9, 3, 0, 0]])).shape
    (1, 2)
    """
    config = resolve_model_config(preset, **overrides)
    if not isinstance(vocab_size, int) or vocab_size < 2:
        raise ValueError(f"`vocab_size` must be an int >= 2. Received: vocab_size={vocab_size!r}")
    heads = _check_heads(num_classes, tasks, config["multi_label"]) if include_top else {}
    regularizer = keras.regularizers.L2(config["kernel_l2"]) if config["kernel_l2"] else None

    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    deep_ids, deep_vocab = token_ids, vocab_size
    if config["deep_vocab_size"] is not None and config["deep_vocab_size"] < vocab_size:
        deep_vocab = config["deep_vocab_size"]
        deep_ids = LimitVocabulary(deep_vocab, name="deep_vocabulary")(token_ids)
    x = keras.layers.Embedding(deep_vocab, config["embedding_dim"], mask_zero=True, name="embedding")(deep_ids)
    if config["embedding_dropout"]:
        # Drops whole embedding channels, a regulariser that suits small data (Kim 2014 style).
        x = keras.layers.SpatialDropout1D(config["embedding_dropout"], name="embedding_dropout")(x)
    x = MaskedConv1D(
        config["stem_filters"] or config["stage_filters"][0],
        config["stem_kernel_size"],
        kernel_regularizer=regularizer,
        name="stem",
    )(x)

    total_blocks = sum(config["stage_blocks"])
    block_index = 0
    for stage, (filters, blocks) in enumerate(zip(config["stage_filters"], config["stage_blocks"])):
        for block in range(blocks):
            rate = config["drop_path"] * block_index / max(total_blocks - 1, 1)
            x = ResBlock(
                filters,
                config["kernel_size"],
                config["num_layers"],
                kernel_sizes=config["kernel_sizes"],
                dilation_rate=config["dilation_rate"],
                separable=config["separable"],
                downsample=config["downsample"] and stage > 0 and block == 0,
                norm=config["norm"],
                activation=config["activation"],
                dropout=config["block_dropout"],
                drop_path=rate,
                se_ratio=config["se_ratio"],
                residual_init=config["residual_init"],
                kernel_regularizer=regularizer,
                name=f"stage{stage}_block{block}",
            )(x)
            block_index += 1
    # Pre-activation blocks leave the last sum un-normalised: finish with norm → activation.
    if config["norm"] == "batch":
        x = keras.layers.BatchNormalization(name="final_norm")(x)
    elif config["norm"] == "layer":
        x = keras.layers.LayerNormalization(name="final_norm")(x)
    x = keras.layers.Activation(config["activation"], name="final_activation")(x)
    if not include_top:
        return keras.Model(token_ids, x, name=f"{name}_backbone")

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
    outputs = {}
    for head, classes in heads.items():
        if not config["wide_scale"]:
            outputs[head] = keras.layers.Dense(classes, activation=activation, dtype="float32", name=head)(x)
            continue
        deep = keras.layers.Dense(classes, dtype="float32", name=f"{head}_deep_logits")(x)
        if config["deep_drop_path"]:
            deep = DropPath(config["deep_drop_path"], name=f"{head}_deep_drop_path")(deep)
        wide = BagOfTokensLogits(
            classes, vocab_size, config["wide_scale"], dtype="float32", name=f"{head}_wide_logits"
        )(token_ids)
        logits = keras.layers.Add(name=f"{head}_logits")([deep, wide])
        outputs[head] = keras.layers.Activation(activation, dtype="float32", name=head)(logits)
    if tasks is None:
        outputs = outputs["probabilities"]
    return keras.Model(token_ids, outputs, name=name)


def set_wide_idf(model: keras.Model, idf) -> None:
    """Gives every wide branch (`BagOfTokensLogits`, one per head) of `model` the inverse document
    frequencies `idf` (`keras_restext.layers.token_idf` of the training texts' token ids)."""
    for layer in model.layers:
        if isinstance(layer, BagOfTokensLogits):
            layer.idf.assign(idf)


def count_params(model: keras.Model) -> int:
    """The number of weights of a built model, trainable or not."""
    return int(sum(int(keras.ops.size(w)) for w in model.weights))


__all__ = ["MODEL_DEFAULTS", "build_resnet_classifier", "count_params", "resolve_model_config", "set_wide_idf"]
