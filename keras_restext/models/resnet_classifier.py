"""`build_resnet_classifier`: the residual text classifier on token ids, as one functional model.

The same trunk (`residual_trunk`) and heads (`classification_heads`) as `ResTextClassifier`, without
the task's preprocessor, recipe and training step: for token-id pipelines and other Keras models.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras

from keras_restext.models.backbone import check_backbone_config, residual_trunk
from keras_restext.models.heads import check_heads, classification_heads
from keras_restext.models.model_config import resolve_model_config


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


__all__ = ["build_resnet_classifier"]
