"""Starting a classifier from more than random weights: pretrained word vectors and staged training.

Both `train` (one task) and `train_multitask` call these between building the tokenizer and the
main `fit`:

- `prepare_embeddings` reads `TrainConfig.model.embeddings` (a word2vec / GloVe / fastText `.vec` text
  file) for the tokenizer's vocabulary, sets the model's `embedding_dim` to the vectors' dimension
  and prints the coverage; `apply_embeddings` loads the matrix into a built classifier, frozen
  ("static", `embeddings_trainable=False`) or fine-tuned ("non-static").
- `pretrain_stages` runs the schedule of `keras_restext.training.progressive` (`progressive=True`):
  the first `S - 1` growing networks are trained, then their weights are copied into the full
  classifier, which the caller then trains as usual.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from keras_restext.data.pipeline import quiet_end_of_data
from keras_restext.models.model_config import MODEL_DEFAULTS
from keras_restext.models.word_vectors import WordVectors, load_word_vectors, set_embedding_weights
from keras_restext.training.progressive import grow, stage_count, stage_epochs, transfer_weights

EMBEDDINGS_MODES = {"static": False, "non-static": True}  # mode → embeddings_trainable


def prepare_embeddings(config, resolved: dict, tokenizer, log: Callable[[str], None]):
    """Reads the word vectors `config.model.embeddings` names for `tokenizer`'s vocabulary.

    The model's `embedding_dim` is set from the file (in `resolved["model"]` and in the returned
    config's `model_overrides`), so any vectors file fits any word-level preset.

    Args:
        config: a `TrainConfig`.
        resolved: `config.resolved()`; its model part is updated in place.
        tokenizer: the adapted tokenizer.
        log: prints the coverage line.

    Returns:
        `(config, vectors)`: the config to build the classifier from, and the `WordVectors` (None
        when `config.model.embeddings` is None).

    Raises:
        DataError: a missing or malformed vectors file (naming the file and line).
        ValueError: a character-level tokenizer, or an explicit `embedding_dim` override that
            differs from the vectors' dimension.
    """
    if not config.model.embeddings:
        return config, None
    kind = resolved["tokenizer"].get("kind")
    if kind == "char":
        raise ValueError(
            f"Pretrained word vectors need a word-level tokenizer; preset {config.model.preset!r} tokenizes characters."
        )
    vectors = load_word_vectors(config.model.embeddings, tokenizer.get_vocabulary(), seed=config.schedule.seed)
    dim = int(vectors.matrix.shape[1])
    explicit = config.model.overrides.get("embedding_dim")
    if explicit is not None and explicit != dim:
        raise ValueError(
            f"model_overrides sets embedding_dim={explicit}, but the word vectors in {config.model.embeddings!r} have "
            f"{dim} dimensions. Leave embedding_dim out: it is taken from the vectors file."
        )
    previous = resolved["model"].get("embedding_dim")
    resolved["model"]["embedding_dim"] = dim
    mode = "fine-tuned (non-static)" if config.model.embeddings_trainable else "frozen (static)"
    note = f"; embedding_dim {previous} -> {dim}, the vectors' dimension" if previous != dim else ""
    log(f"restext: {vectors.summary()}, {mode}{note}")
    config = config.replace(model_overrides={**config.model.overrides, "embedding_dim": dim})
    return config, vectors


def apply_embeddings(classifier: keras.Model, vectors: WordVectors | None, trainable: bool) -> None:
    """Loads the vectors into the classifier's embedding (nothing when `vectors` is None)."""
    if vectors is not None:
        set_embedding_weights(classifier, vectors.matrix, trainable=trainable)


def pretrain_stages(
    classifier: keras.Model,
    *,
    build: Callable[[dict, int], keras.Model],
    train_data: tf.data.Dataset,
    validation_data: tf.data.Dataset | None,
    model_config: dict,
    epochs: int,
    steps_per_epoch: int,
    freeze: bool = False,
    vectors: WordVectors | None = None,
    embeddings_trainable: bool = True,
    strategy: tf.distribute.Strategy | None = None,
    verbose="auto",
    log: Callable[[str], None] = print,
) -> list[str]:
    """Progressive training: trains the first `S - 1` growing networks and copies them into `classifier`.

    The schedule is `keras_restext.training.progressive`'s: each earlier network trains
    `max(1, E // S)` epochs with its own warm-up and cosine decay (no early stopping, no backup);
    then every layer of the last one is copied into `classifier` (by name and shape), frozen with
    `freeze=True`. The caller then trains `classifier` for `E` epochs as usual.

    Args:
        classifier: the full, compiled classifier.
        build: `(model overrides, total optimizer steps) → compiled model`: the caller's own model
            recipe with fewer stages.
        train_data, validation_data: the `fit` inputs.
        model_config: the resolved model config of the full network.
        epochs: `E`, the full network's epochs.
        steps_per_epoch: optimizer steps per epoch, for each stage's learning-rate schedule.
        freeze: keep the layers carried over from a smaller network frozen.
        vectors, embeddings_trainable: pretrained word vectors for each stage's embedding.
        strategy: the distribution strategy the models are built under.
        verbose: Keras' verbosity for the stages' `fit`.
        log: progress lines.

    Returns:
        The names of the layers copied into `classifier` (empty for a one-stage model).
    """
    strategy = strategy or tf.distribute.get_strategy()
    model_config = {**MODEL_DEFAULTS, **model_config}
    each = stage_epochs(model_config, epochs)

    def build_stage(overrides: dict) -> keras.Model:
        with strategy.scope():
            model = build(overrides, max(1, steps_per_epoch * each))
        apply_embeddings(model, vectors, embeddings_trainable)
        return model

    def fit(model: keras.Model, stage_epochs_: int) -> None:
        with quiet_end_of_data():
            model.fit(train_data, validation_data=validation_data, epochs=stage_epochs_, shuffle=False, verbose=verbose)

    stages = stage_count(model_config)
    last = grow(build_stage, fit, model_config, epochs, freeze=freeze, log=log)
    if last is None:
        log("restext: progressive: the model has a single stage, nothing to grow; training it as usual")
        return []
    copied = transfer_weights(last, classifier, freeze=freeze)
    frozen = ", the earlier stages frozen" if freeze else ""
    log(f"restext: progressive stage {stages}/{stages}: {epochs} epoch(s), starting from {len(copied)} copied layers{frozen}")
    return copied


__all__ = ["EMBEDDINGS_MODES", "apply_embeddings", "prepare_embeddings", "pretrain_stages"]
