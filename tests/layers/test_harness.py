"""Every registered layer of keras_restext through the one layer-test harness (tests/layers/harness.py).

The layers are found by package (`keras.saving.get_custom_objects()`, keys "keras_restext>..."), so
a new layer anywhere in the package fails `test_every_registered_layer_goes_through_the_harness`
until it has a case here. The models and the optimizer go through tests/models/harness.py.
"""

import importlib
import pkgutil

import keras
import numpy as np
import pytest

import keras_restext
import keras_restext.data.tokenizers as tokenizers
import keras_restext.layers as layers
from keras_restext.serving import LabelOutputs
from keras_restext.models.preprocessor import ResTextPreprocessor
from tests.layers.harness import run_layer_test

RNG = np.random.default_rng(0)
SEQUENCES = RNG.normal(size=(3, 7, 4)).astype("float32")  # [batch, time, channels]
IDS = RNG.integers(1, 20, size=(3, 7)).astype("int32")  # token ids, 0 = padding
TEXTS = np.array(["a great film", "dull, dull film", ""], dtype=object)
PROBABILITIES = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]], "float32")
WORDS = ["film", "dull", "great"]

# (id, layer class, init kwargs, input, harness options)
CASES = [
    ("res_block_projection", layers.ResBlock, {"filters": 8}, SEQUENCES, {"padding": "mask"}),
    ("res_block_identity", layers.ResBlock, {"filters": 4}, SEQUENCES, {"padding": "mask"}),
    ("res_block_downsample_batch_norm", layers.ResBlock, {"filters": 8, "downsample": True, "norm": "batch"},
     SEQUENCES, {"padding": "mask", "expected_output_shape": (3, 4, 8)}),
    ("res_block_layer_norm_se_drop_path", layers.ResBlock,
     {"filters": 8, "norm": "layer", "se_ratio": 0.5, "dropout": 0.1, "drop_path": 0.2}, SEQUENCES,
     {"padding": "mask"}),
    ("res_block_multi_scale", layers.ResBlock, {"filters": 8, "kernel_sizes": (3, 5)}, SEQUENCES, {"padding": "mask"}),
    ("res_block_separable_dilated", layers.ResBlock, {"filters": 8, "separable": True, "dilation_rate": 2},
     SEQUENCES, {"padding": "mask"}),
    ("res_block_deep_regularized", layers.ResBlock,
     {"filters": 8, "kernel_size": 5, "num_layers": 3, "kernel_regularizer": "l2", "activation": "gelu"},
     SEQUENCES, {"padding": "mask"}),
    ("masked_conv1d", layers.MaskedConv1D, {"filters": 6, "kernel_size": 3}, SEQUENCES,
     {"padding": "mask", "expected_output_shape": (3, 7, 6)}),
    ("masked_conv1d_separable", layers.MaskedConv1D, {"filters": 6, "separable": True, "dilation_rate": 2},
     SEQUENCES, {"padding": "mask"}),
    ("masked_downsample1d", layers.MaskedDownsample1D, {}, SEQUENCES,
     {"padding": "mask", "run_training_check": False, "expected_output_shape": (3, 4, 4)}),
    *[(f"global_pooling_{mode}", layers.MaskedGlobalPooling1D, {"mode": mode}, SEQUENCES,
       {"padding": "mask", "run_training_check": False}) for mode in ("max", "avg", "max_avg")],
    ("kmax_pooling1d", layers.KMaxPooling1D, {"k": 3}, SEQUENCES,
     {"padding": "mask", "run_training_check": False, "expected_output_shape": (3, 3, 4)}),
    ("squeeze_excitation1d", layers.SqueezeExcitation1D, {"ratio": 0.5}, SEQUENCES, {"padding": "mask"}),
    ("drop_path", layers.DropPath, {"rate": 0.3, "seed": 1}, SEQUENCES, {"padding": "mask", "run_training_check": False}),
    # No gradient passes it, so there is nothing to train through it.
    ("stop_gradient", layers.StopGradient, {}, SEQUENCES, {"padding": "mask", "run_training_check": False}),
    ("limit_vocabulary", layers.LimitVocabulary, {"vocab_size": 10}, IDS,
     {"padding": "ids", "follows_policy": False, "run_training_check": False}),
    ("keep_words", layers.KeepWords, {"ngrams": 2}, IDS,
     {"follows_policy": False, "run_training_check": False, "expected_output_shape": (3, 4)}),
    ("bag_of_tokens_logits", layers.BagOfTokensLogits, {"units": 3, "vocab_size": 20, "scale": 2.0}, IDS,
     {"padding": "ids", "expected_output_shape": (3, 3)}),
    ("hashed_ngrams", layers.HashedNGrams, {"orders": (1, 3), "num_buckets": 100}, IDS,
     {"follows_policy": False, "run_training_check": False, "expected_output_shape": (3, 14)}),
    ("word_tokenizer", tokenizers.WordTokenizer, {"vocabulary": ["film", "dull", "great"], "max_length": 8},
     TEXTS, {"follows_policy": False, "run_training_check": False}),
    ("word_tokenizer_bigrams", tokenizers.WordTokenizer,
     {"vocabulary": ["film", "dull", "dull film"], "ngrams": 2, "max_length": 8, "pad_to_max_length": True},
     TEXTS, {"follows_policy": False, "run_training_check": False, "expected_output_shape": (3, 8)}),
    ("char_tokenizer", tokenizers.CharTokenizer, {"alphabet": "vdcnn", "max_length": 16}, TEXTS,
     {"follows_policy": False, "run_training_check": False}),
    ("wordpiece_tokenizer", tokenizers.WordPieceTokenizer,
     {"vocabulary": ["[PAD]", "[UNK]", "a", "film", "great", "du", "##ll", ","], "max_length": 8}, TEXTS,
     {"follows_policy": False, "run_training_check": False}),
    # The serving outputs: float32 probabilities (whatever the policy), int64 ids, strings.
    ("label_outputs", LabelOutputs, {"labels": ["neg", "pos"]}, PROBABILITIES,
     {"output_dtype": "float32", "run_training_check": False, "expected_output_shape": (3, 2)}),
    ("label_outputs_task", LabelOutputs, {"labels": ["neg", "pos"], "task": "sentiment"}, PROBABILITIES,
     {"output_dtype": "float32", "run_training_check": False}),
    # Its vocabulary is a `.keras` asset, not config: the saving check covers `save_assets`.
    ("preprocessor", ResTextPreprocessor,
     {"tokenizer": tokenizers.WordTokenizer(vocabulary=WORDS, max_length=8), "labels": ["neg", "pos"]}, TEXTS,
     {"follows_policy": False, "output_dtype": "int32", "run_training_check": False}),
    ("preprocessor_char_tasks", ResTextPreprocessor,
     {"tokenizer": tokenizers.CharTokenizer(alphabet="vdcnn", max_length=16, pad_to_max_length=True),
      "labels": {"topic": ["a", "b", "c"], "sentiment": ["neg", "pos"]}, "tasks": ["topic", "sentiment"]}, TEXTS,
     {"follows_policy": False, "output_dtype": "int32", "run_training_check": False,
      "expected_output_shape": (3, 16)}),
]  # fmt: skip


@pytest.mark.parametrize("layer_cls, init_kwargs, input_data, options", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layer(layer_cls, init_kwargs, input_data, options):
    run_layer_test(layer_cls, init_kwargs, input_data, **options)


def registered_objects() -> dict[str, type]:
    """Every Keras object that keras_restext registers, by its registered name ("keras_restext>Name"):
    every module of the package is imported first, so that none is missed for not being imported."""
    for info in pkgutil.walk_packages(keras_restext.__path__, "keras_restext."):
        importlib.import_module(info.name)
    return {key: obj for key, obj in keras.saving.get_custom_objects().items() if key.startswith("keras_restext>")}


def test_every_registered_layer_goes_through_the_harness():
    registered = {
        obj for obj in registered_objects().values() if issubclass(obj, keras.layers.Layer) and not issubclass(obj, keras.Model)
    }
    tested = {case[1] for case in CASES}
    assert {LabelOutputs, ResTextPreprocessor, layers.ResBlock, tokenizers.WordTokenizer} <= registered
    assert registered <= tested, f"registered layers without a harness case: {sorted(c.__name__ for c in registered - tested)}"
