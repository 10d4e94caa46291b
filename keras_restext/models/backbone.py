"""`ResTextBackbone`: the residual trunk on token ids, as a functional `keras.Model`.

token ids `[batch, length]` (0 = padding) → embedding (with a padding mask) → stem convolution
("region embedding") → stages of `ResBlock`s, each stage after the first halving the length
(DPCNN's pyramid) → norm and activation → features `[batch, time, channels]`, masked where the
input was padding. `build_resnet_classifier` builds the same trunk with `residual_trunk`.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from keras_restext.layers import KeepWords, LimitVocabulary, MaskedConv1D, ResBlock
from keras_restext.checks import check_int, is_int, require
from keras_restext.errors import ArgumentError

# The arguments of the trunk, with their defaults: `ResTextBackbone`'s hyperparameters.
BACKBONE_DEFAULTS: dict = {
    "embedding_dim": 128,
    # None: the embedding covers every id; n: only the first n (the most frequent tokens), rarer ones
    # share the out-of-vocabulary row, while a wide branch beside the trunk still reads every id.
    "deep_vocab_size": None,
    # None: the trunk reads every id; n: the ids are a `WordTokenizer(ngrams=n)`'s (the words, then
    # their n-grams) and the trunk reads the words alone (`KeepWords`), a wide branch every id.
    "word_ngrams": None,
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
}


def check_backbone_config(vocabulary_size, config: dict) -> None:
    """Raises a `ValueError` naming the argument for a trunk configuration that cannot be built."""
    check_int("vocab_size", vocabulary_size, 2)
    if len(config["stage_filters"]) != len(config["stage_blocks"]):
        raise ValueError(
            "`stage_filters` and `stage_blocks` must have the same length. Received: "
            f"stage_filters={config['stage_filters']!r}, stage_blocks={config['stage_blocks']!r}"
        )
    for name, minimum in (("deep_vocab_size", 2), ("word_ngrams", 1)):
        value = config[name]
        require(value is None or is_int(value, minimum), name, value, f"None or an int >= {minimum}")


def residual_trunk(token_ids, vocabulary_size: int, config: dict):
    """Applies the trunk's layers to `token_ids` (a Keras input); returns the masked features.

    `config` holds every key of `BACKBONE_DEFAULTS` (other keys are ignored).
    """
    regularizer = keras.regularizers.L2(config["kernel_l2"]) if config["kernel_l2"] else None
    deep_ids, deep_vocab = token_ids, vocabulary_size
    if config["word_ngrams"] is not None and config["word_ngrams"] > 1:
        deep_ids = KeepWords(config["word_ngrams"], name="deep_words")(deep_ids)
    if config["deep_vocab_size"] is not None and config["deep_vocab_size"] < vocabulary_size:
        deep_vocab = config["deep_vocab_size"]
        deep_ids = LimitVocabulary(deep_vocab, name="deep_vocabulary")(deep_ids)
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
    return keras.layers.Activation(config["activation"], name="final_activation")(x)


@keras.saving.register_keras_serializable(package="keras_restext")
class ResTextBackbone(keras.Model):
    """The residual convolutional trunk: token ids → masked sequence features.

    A functional model whose config is its arguments. Padding (id 0) never changes the features of
    the real positions, and the output carries the padding mask for the pooling after it.

    Args:
        vocab_size: int >= 2, the token id range (ids 0 = padding and 1 = out-of-vocabulary included).
        embedding_dim: the embedding's width.
        deep_vocab_size: None, or the number of ids the embedding covers; larger ids read as
            out-of-vocabulary (a wide branch beside the trunk still sees them).
        word_ngrams: None, or the `ngrams` of the `WordTokenizer` whose ids the model reads (its
            words, then their 2..n-grams): the trunk then reads the words alone, in order, and
            a wide branch beside it every n-gram; its features are as long as the words.
        embedding_dropout: the rate of `SpatialDropout1D` after the embedding.
        stem_filters: the stem convolution's filters; None: the first stage's.
        stem_kernel_size: the stem convolution's kernel size.
        stage_filters: the filters of each stage.
        stage_blocks: the `ResBlock`s of each stage (as many entries as `stage_filters`).
        num_layers: convolutions per block.
        kernel_size: their kernel size; `kernel_sizes`: several parallel kernel sizes instead.
        kernel_sizes: None, or a tuple of kernel sizes whose branches are summed.
        dilation_rate: the convolutions' dilation.
        separable: depthwise-separable convolutions.
        downsample: the first block of every stage but the first halves the length (a pyramid).
        norm: None, "batch" or "layer".
        activation: the activation of the pre-activation blocks.
        block_dropout: dropout inside the blocks.
        drop_path: stochastic depth of the last block; earlier blocks' rates grow linearly to it.
        se_ratio: None, or the squeeze-and-excitation ratio of each block.
        residual_init: "zero" starts every block's main path scaled by 0 (a fresh trunk is its
            stem and poolings), "default" as its kernels initialise it.
        kernel_l2: L2 regularisation of the convolution kernels.
        **kwargs: `keras.Model` arguments (`name`, `dtype`, `trainable`).

    Example:
    >>> backbone = ResTextBackbone(vocab_size=100, embedding_dim=16, stage_filters=(16, 32), stage_blocks=(1, 1))
    >>> tuple(backbone(keras.ops.convert_to_tensor([[5, 9, 3, 7, 0, 0]])).shape)
    (1, 3, 32)
    """

    def __init__(
        self,
        vocab_size: int,
        *,
        embedding_dim: int = 128,
        deep_vocab_size: int | None = None,
        word_ngrams: int | None = None,
        embedding_dropout: float = 0.0,
        stem_filters: int | None = None,
        stem_kernel_size: int = 3,
        stage_filters: Sequence[int] = (128,),
        stage_blocks: Sequence[int] = (1,),
        num_layers: int = 2,
        kernel_size: int = 3,
        kernel_sizes: Sequence[int] | None = None,
        dilation_rate: int = 1,
        separable: bool = False,
        downsample: bool = True,
        norm: str | None = None,
        activation: str = "relu",
        block_dropout: float = 0.0,
        drop_path: float = 0.0,
        se_ratio: float | None = None,
        residual_init: str = "default",
        kernel_l2: float = 0.0,
        **kwargs,
    ):
        config = {
            "embedding_dim": embedding_dim,
            "deep_vocab_size": deep_vocab_size,
            "word_ngrams": word_ngrams,
            "embedding_dropout": embedding_dropout,
            "stem_filters": stem_filters,
            "stem_kernel_size": stem_kernel_size,
            "stage_filters": tuple(stage_filters),
            "stage_blocks": tuple(stage_blocks),
            "num_layers": num_layers,
            "kernel_size": kernel_size,
            "kernel_sizes": None if kernel_sizes is None else tuple(kernel_sizes),
            "dilation_rate": dilation_rate,
            "separable": separable,
            "downsample": downsample,
            "norm": norm,
            "activation": activation,
            "block_dropout": block_dropout,
            "drop_path": drop_path,
            "se_ratio": se_ratio,
            "residual_init": residual_init,
            "kernel_l2": kernel_l2,
        }
        check_backbone_config(vocab_size, config)
        kwargs.setdefault("name", "restext_backbone")
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        features = residual_trunk(token_ids, vocab_size, config)
        super().__init__(token_ids, features, **kwargs)
        self.vocab_size = vocab_size
        self.hyperparameters = config

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.saving.serialize_keras_object(self.dtype_policy),
            "vocab_size": self.vocab_size,
            **{key: list(value) if isinstance(value, tuple) else value for key, value in self.hyperparameters.items()},
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.saving.deserialize_keras_object(config["dtype"])
        return cls(**config)


def check_word_ngrams(word_ngrams: int | None, tokenizer) -> None:
    """Raises a `ValueError` when a backbone's `word_ngrams` (its trunk reads the words of a word
    tokenizer's words-then-n-grams ids) does not describe `tokenizer`'s ids."""
    if word_ngrams is None or word_ngrams == getattr(tokenizer, "ngrams", 1):
        return
    received = f"{type(tokenizer).__name__}(ngrams={getattr(tokenizer, 'ngrams', None)!r})"
    raise ArgumentError(
        f"`word_ngrams={word_ngrams}` makes the trunk read the words of a WordTokenizer(ngrams={word_ngrams})'s "
        f"ids, but the tokenizer is a {received}. Pass word_ngrams=None (the trunk reads every id) or the "
        f"word tokenizer's ngrams. Received: word_ngrams={word_ngrams!r}",
        argument="word_ngrams",
    )


def vocabulary_bound(tokenizer) -> int:
    """The id range a tokenizer can produce, known before `adapt`: what the embedding must cover."""
    try:
        return tokenizer.vocabulary_size()  # a fixed or given vocabulary
    except ValueError:
        pass
    for key in ("max_tokens", "vocab_size"):
        bound = getattr(tokenizer, key, None)
        if bound is not None:
            return int(bound)
    raise ValueError(
        f"Cannot size the model before the tokenizer {tokenizer.name!r} is adapted: it has no `max_tokens`. "
        "Adapt the tokenizer first, or give it `max_tokens`."
    )


__all__ = ["BACKBONE_DEFAULTS", "ResTextBackbone", "check_backbone_config", "check_word_ngrams", "residual_trunk", "vocabulary_bound"]
