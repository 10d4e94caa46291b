"""Named configurations: tokenizer, architecture and training defaults that work together.

`PRESETS[name]` is a dict with a one-line `description` and a `config` of three parts:
`tokenizer` (arguments of `keras_restext.data.make_tokenizer`), `model` (arguments of
`build_resnet_classifier`) and `training` (defaults of `keras_restext.training`).
"""

from __future__ import annotations

import copy

_WORD = {"kind": "word", "max_tokens": 30000, "min_count": 1, "max_length": 256}
_CHAR = {"kind": "char", "mode": "chars", "alphabet": "vdcnn", "max_length": 1024}
_TRAINING = {
    "batch_size": 64,
    "epochs": 10,
    "learning_rate": 2e-3,
    "weight_decay": 0.05,
    "warmup_fraction": 0.1,
    "label_smoothing": 0.1,
    "patience": 3,
}


def _vdcnn(blocks: tuple[int, ...], depth: int) -> dict:
    return {
        "description": (
            f"VDCNN-{depth} (Conneau et al. 2017): characters, 64-128-256-512 filters, k-max pooling k=8, 3 dense "
            "layers. Unlike the paper: pre-activation residual blocks (batch norm, ReLU, convolution), AdamW "
            "with warm-up and cosine decay and batches of 32 instead of SGD with momentum and 128, and a linear "
            "TF-IDF branch on hashed character 2- to 5-grams (wide & deep). The trunk learns from its own loss "
            "alone (`deep_loss_only`) and joins the sum through a learned map, so the n-gram branch cannot "
            "starve it. Data it needs: the paper's sets hold 120,000 to 3.6 million texts; on 7,000-10,000 "
            "sentences the trunk alone reaches about 70% (MR, SST-2) and the n-gram branch carries most of "
            "the model (benchmarks/README.md, 'Characters')."
        ),
        "config": {
            "tokenizer": dict(_CHAR),
            "model": {
                "embedding_dim": 16,
                "stem_filters": 64,
                "stage_filters": (64, 128, 256, 512),
                "stage_blocks": blocks,
                "num_layers": 2,
                "norm": "batch",
                "pooling": "kmax",
                "kmax_k": 8,
                "head_units": (2048, 2048),
                "head_dropout": 0.5,
                # A character n-gram TF-IDF model beside the trunk, as restext_base has a word one:
                # on 6,000-9,000 sentences the trunk alone stays near chance in 10 epochs
                # (benchmarks/README.md, "Characters").
                "wide_scale": 5.0,
                "wide_ngrams": (2, 3, 4, 5),
                "deep_drop_path": 0.5,
                # The trunk trains for itself: beside the n-gram branch it stays at chance otherwise.
                # Batches of 32 (4x the steps of the paper's 128) and label smoothing (calibrated trunk
                # logits for the learned map) from the validation runs in benchmarks/README.md,
                # "Characters: a trunk that learns".
                "deep_loss_weight": 1.0,
                "deep_loss_only": True,
            },
            "training": {**_TRAINING, "batch_size": 32, "learning_rate": 1e-3},
        },
    }


# The default's recipe, shared by every word-level deep preset: its tokenizer (words, then bigrams;
# 200,000 entries for the wide branch, the first 30,000 for the deep model), its linear TF-IDF branch
# and its 5-epoch schedule (validation figures with it: benchmarks/README.md, "Deep presets").
# Their trunks read the words alone, as the default's does (`word_ngrams`; validation below).
_RECIPE_TOKENIZER = {**_WORD, "ngrams": 2, "max_tokens": 200000, "max_length": 2048, "words_first": True}
_RECIPE_MODEL = {
    "embedding_dim": 128,
    "deep_vocab_size": 30000,
    "embedding_dropout": 0.2,
    "head_dropout": 0.0,
    "wide_scale": 5.0,
    "deep_drop_path": 0.25,
    # The trunk reads the words alone, the wide branch words and bigrams, as restext_base's. Validation,
    # seeds 0 and 1, against the trunk over every token: MR / SST-2 / TREC restext_deep32 80.5 -> 81.9,
    # 80.6 -> 80.1, 88.2 -> 89.8; restext_deep64 79.8 -> 80.9, 81.4 -> 80.5, 87.5 -> 88.3; dpcnn 80.8 ->
    # 81.1, 80.1 -> 80.7, 89.8 -> 91.4 (benchmarks/README.md, "The deep presets over the words, adopted").
    "word_ngrams": 2,
    # Every block starts as the identity (a zero-initialised scalar on its main path), so a deep
    # stack starts as a shallow one and learns in 5 epochs on a few thousand texts: restext_deep32 on
    # MR validation 79.8 with it, 77.9 without it (its residual branch alone then 49.7, seed 0;
    # benchmarks/README.md, "Deep presets").
    "residual_init": "zero",
}
_RECIPE_TRAINING = {**_TRAINING, "epochs": 5}


def _deep(blocks: tuple[int, ...], depth: int, drop_path: float) -> dict:
    return {
        "description": (
            f"A {depth}-layer text ResNet: restext_base's block (one 64-filter convolution, zero-initialised "
            "residual), a 64-filter stem, a 5-stage pyramid that halves the length from the second stage on "
            f"(128 filters in the last two), stochastic depth up to {drop_path}, and the default's recipe: its "
            "tokenizer (the trunk reads the words, a wide TF-IDF branch words and bigrams) and 5 epochs, the deep "
            "logits dropped for half the training examples; the first version had two convolutions per block and "
            "batch norm."
        ),
        "config": {
            "tokenizer": dict(_RECIPE_TOKENIZER),
            "model": {
                **_RECIPE_MODEL,
                "stem_filters": 64,
                # Narrow and halved early, so that 64 layers train on MR in 3-4x restext_base's time; 128
                # filters throughout doubled restext_deep32's time for no gain (MR 80.6 -> 80.5).
                "stage_filters": (64, 64, 64, 128, 128),
                "stage_blocks": blocks,
                "num_layers": 1,
                "norm": None,
                "pooling": "max_avg",
                "drop_path": drop_path,
                # The deep logits dropped for half the training examples, not a quarter: a deep trunk
                # fits the training texts sooner and then leaves the linear branch little to learn
                # (restext_deep32 validation, seed 0: MR 79.8 -> 80.6, SST-2 79.2 -> 79.5, TREC 88.3
                # -> 88.8; restext_deep64: MR +0.2, SST-2 +1.3, TREC -1.3; benchmarks/README.md,
                # "Deep presets").
                "deep_drop_path": 0.5,
            },
            "training": dict(_RECIPE_TRAINING),
        },
    }


PRESETS: dict[str, dict] = {
    "restext_base": {
        "description": "The default: words + word bigrams, a 3-stage pyramid of pre-activation ResBlocks (one 128-filter convolution each) over the words, max+mean pooling, plus a linear TF-IDF branch (wide & deep) that reads 200,000 words and bigrams where the deep model reads 30,000 words.",
        "config": {
            # Bigram tokens, appended after the words, gained 0.3-1.5 points of validation accuracy on
            # MR, TREC and SST-2 (validation splits carved from training data; benchmarks/README.md).
            # 2048 tokens: with 1024, a fifth of the 20 Newsgroups posts lost their bigrams or words
            # (a third of all tokens). 512 -> 1024 gained 1.0 on 20 Newsgroups validation, 1024 ->
            # 2048 0.6 on 20news-recent (89.6 -> 90.1, 2 seeds; the by-date test split did not gain,
            # benchmarks/README.md); sentences are far shorter, and batches are padded per bucket.
            # words_first: on long posts bigrams had crowded out two thirds of the words (20
            # Newsgroups validation: 78.1 -> 81.1 on its most recent posts, 83.5 -> 84.6 at random);
            # the sentence sets' vocabularies are unchanged by it.
            # 200,000 entries (every word and bigram of MR, SST-2 and TREC) for the wide branch; the
            # deep model's embedding keeps the first 30,000 (`deep_vocab_size`), whose 128 weights per
            # entry would otherwise slow training ~1.6x on MR. Validation, 3 seeds (20 Newsgroups 2):
            # MR 79.1 -> 79.7, TREC 89.4 -> 90.2, SST-2 79.7 -> 79.5, 20news-recent 87.4 -> 88.1.
            "tokenizer": {**_WORD, "ngrams": 2, "max_tokens": 200000, "max_length": 2048, "words_first": True},
            "model": {
                "embedding_dim": 128,
                "deep_vocab_size": 30000,
                # The trunk reads the words alone, the wide branch words and bigrams: half the
                # positions to convolve, the same accuracy. Validation against the trunk over every
                # token (MR 5 seeds, SST-2 and TREC 3, 20news-recent 2): MR 80.5 vs 80.7, SST-2
                # 81.0 vs 80.4, TREC 89.5 vs 89.3, 20news-recent 89.8 vs 89.7; fit 0.75x on MR,
                # 0.52x on 20news-recent (benchmarks/README.md).
                "word_ngrams": 2,
                "embedding_dropout": 0.2,
                "stem_filters": 128,
                "stage_filters": (128, 128, 128),
                "stage_blocks": (1, 1, 1),
                # One convolution per block (x + conv(relu(x))) instead of two: three quarters of the
                # MR training time; validation, 3 seeds (20 Newsgroups 2): MR 80.9 -> 80.9, SST-2
                # 79.7 -> 79.4, TREC 90.0 -> 89.5, 20news-recent 88.65 -> 88.7 (benchmarks/README.md).
                "num_layers": 1,
                "norm": None,
                "pooling": "max_avg",
                "drop_path": 0.1,
                # No dropout before the classifier: within 5 epochs it slowed the learning of many
                # classes from long posts (20 Newsgroups validation 82.1 -> 85.2 without it; TREC
                # 89.9 -> 91.0, MR 79.7 -> 78.7, SST-2 78.9 -> 78.1; benchmarks/README.md).
                "head_dropout": 0.0,
                # Wide & deep: a linear bag-of-tokens classifier's logits (x5) added to the deep
                # model's, which are dropped for a quarter of the training examples so that the linear
                # model also learns alone. Validation, 3 seeds (20 Newsgroups 2): MR 78.7 -> 79.3,
                # SST-2 78.1 -> 79.4, 20news-recent 84.7 -> 87.4, TREC 91.0 -> 89.7 at x3; with the
                # 200,000-entry vocabulary, x5 against x3 (5 seeds; 20news 2): MR 79.7 -> 80.4, SST-2
                # 80.1 -> 80.1, TREC 90.1 -> 90.0, 20news-recent 88.1 -> 88.6 (benchmarks/README.md).
                # The linear model reads a binary TF-IDF vector (idfs of the training texts, `train`
                # sets them) instead of raw counts: validation, 3 seeds (20news 2), MR 80.9 -> 81.2,
                # SST-2 79.4 -> 80.3, TREC 89.5 -> 89.6, 20news-recent 88.7 -> 89.6.
                "wide_scale": 5.0,
                "deep_drop_path": 0.25,
            },
            # 5 epochs (the warm-up and cosine decay compressed into them) matched or beat 10 on the
            # MR and SST-2 validation splits and halve the training time; 4 lost 0.65 on 20news-recent.
            "training": {**_TRAINING, "epochs": 5},
        },
    },
    "restext_small": {
        "description": "A tiny word-level model for quick runs and tests: 1 stage of 32 filters.",
        "config": {
            "tokenizer": {**_WORD, "max_tokens": 10000, "max_length": 128},
            "model": {
                "embedding_dim": 32,
                "stem_filters": 32,
                "stage_filters": (32,),
                "stage_blocks": (1,),
                "num_layers": 2,
                "pooling": "max_avg",
                "head_dropout": 0.2,
            },
            "training": {**_TRAINING, "batch_size": 32, "epochs": 3},
        },
    },
    "dpcnn": {
        "description": (
            "DPCNN (Johnson & Zhang 2017): a 250-filter region embedding and 250-filter blocks in a pyramid of "
            "[pool/2 + conv] x 6 after one unpooled block. Unlike the paper: one convolution per block instead of "
            "two, zero-initialised residuals, max + mean pooling, and the default's recipe: its tokenizer (the trunk "
            "reads the words, a wide TF-IDF branch words and bigrams) and 5 epochs."
        ),
        "config": {
            "tokenizer": dict(_RECIPE_TOKENIZER),
            "model": {
                **_RECIPE_MODEL,
                "stem_filters": 250,
                "stage_filters": (250,) * 7,
                "stage_blocks": (1,) * 7,
                # One convolution per block: the unpooled first block with two cost most of the time.
                # Validation, seed 0: MR 81.4, SST-2 80.3, TREC 88.3, 20news-recent 90.7 against
                # restext_base's 82.2 / 79.9 / 91.0 / 90.0; its residual branch alone reads 20news-recent
                # far better (77.6% against 65.0%; benchmarks/README.md, "Deep presets").
                "num_layers": 1,
                "norm": None,
                "pooling": "max_avg",
                "drop_path": 0.15,
            },
            "training": dict(_RECIPE_TRAINING),
        },
    },
    "vdcnn_9": _vdcnn((1, 1, 1, 1), 9),
    "vdcnn_17": _vdcnn((2, 2, 2, 2), 17),
    "vdcnn_29": _vdcnn((5, 5, 2, 2), 29),
    # 30 and 62 one-convolution blocks, + the stem and the output layer: 32 and 64 weight layers.
    # Stochastic depth: the last block's rate, earlier blocks' growing linearly to it, so a deeper stack
    # drops more blocks (restext_base 0.1). 0.5 for restext_deep32 did not gain (MR 80.6 -> 80.4 with
    # the deep logits dropped for half the examples); 0.2 instead of 0.3 for restext_deep64 over the
    # words, validation, seeds 0-2: MR 80.9 -> 81.4, SST-2 80.6 -> 81.2, TREC 88.5 -> 88.7 (0.4: 80.9,
    # 81.2, 88.3; benchmarks/README.md, "restext_deep64's stochastic depth").
    "restext_deep32": _deep((1, 8, 8, 8, 5), 32, 0.2),
    "restext_deep64": _deep((2, 15, 15, 15, 15), 64, 0.2),
}


def get_preset(name: str) -> dict:
    """Returns a deep copy of the preset's `config` (`tokenizer`, `model`, `training`).

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}. Allowed presets: {', '.join(PRESETS)}")
    return copy.deepcopy(PRESETS[name]["config"])
