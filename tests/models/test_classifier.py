import keras
import numpy as np
import pytest

import keras_restext
from keras_restext import build_resnet_classifier
from keras_restext.layers import HashedNGrams, token_idf
from keras_restext.models.heads import wide_branch_idf


def _padded(rows: list[list[int]], length: int) -> np.ndarray:
    out = np.zeros((len(rows), length), "int32")
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


ROWS = [[5, 8, 2, 9, 4, 7, 3], [6, 6, 11], [12], [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]]


@pytest.mark.parametrize("name", list(keras_restext.presets))
def test_every_preset_builds_and_predicts(name):
    model = build_resnet_classifier(3, 64, preset=name)
    probabilities = np.asarray(model(_padded(ROWS, 16)))
    assert probabilities.shape == (4, 3)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", list(keras_restext.presets))
def test_padding_does_not_change_probabilities(name):
    model = build_resnet_classifier(3, 64, preset=name)
    _randomise_zero_initialised_weights(model)
    # An odd and an even padded length, and one far longer.
    outputs = [np.asarray(model(_padded(ROWS, n))) for n in (11, 16, 37)]
    for other in outputs[1:]:
        np.testing.assert_allclose(outputs[0], other, atol=1e-5)


def _randomise_zero_initialised_weights(model: keras.Model) -> None:
    """Zero-initialised residual scales and wide weights would hide a padding leak in their branch."""
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras_restext.ResBlock) and layer.residual_gamma is not None:
            layer.residual_gamma.assign(rng.uniform(0.5, 1.5))
        if isinstance(layer, keras_restext.BagOfTokensLogits):
            layer.token_weights.assign(rng.normal(size=layer.token_weights.shape))


def test_zero_residual_init_reaches_every_block_and_survives_a_round_trip(tmp_path):
    model = build_resnet_classifier(3, 64, preset="restext_small", residual_init="zero")
    blocks = [layer for layer in model.layers if isinstance(layer, keras_restext.ResBlock)]
    assert blocks and all(float(b.residual_gamma) == 0.0 for b in blocks)
    clone = keras.Model.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    _randomise_zero_initialised_weights(model)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    ids = _padded(ROWS, 12)
    np.testing.assert_array_equal(np.asarray(model(ids)), np.asarray(restored(ids)))


def test_zero_residual_init_starts_a_deep_trunk_as_its_stem():
    # Without downsampling or channel changes every block is the identity, so the trunk's output is
    # the stem's after the final activation, whatever the depth.
    deep = build_resnet_classifier(vocab_size=64, preset="restext_small", stage_filters=(32, 32), stage_blocks=(8, 8),
                                   downsample=False, residual_init="zero", include_top=False)
    stem = keras.Model(deep.input, keras.activations.relu(deep.get_layer("stem").output))
    ids = _padded(ROWS, 12)
    np.testing.assert_allclose(np.asarray(deep(ids)), np.asarray(stem(ids)) * (ids[..., None] > 0), atol=1e-6)


def _wide_and_deep(**overrides) -> keras.Model:
    model = build_resnet_classifier(3, 64, preset="restext_small", wide_scale=2.0, deep_drop_path=0.25, **overrides)
    # The wide weights start at zero; random ones make the checks below able to fail.
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras_restext.BagOfTokensLogits):
            layer.token_weights.assign(rng.normal(size=layer.token_weights.shape))
    return model


def test_wide_logits_add_to_the_deep_logits_and_ignore_padding():
    model = _wide_and_deep()
    outputs = [np.asarray(model(_padded(ROWS, n))) for n in (11, 16, 37)]
    for other in outputs[1:]:
        np.testing.assert_allclose(outputs[0], other, atol=1e-5)
    # With the deep model's output layer zeroed, the probabilities are the softmax of the wide logits.
    deep = model.get_layer("probabilities_deep_logits")
    deep.set_weights([np.zeros_like(w) for w in deep.get_weights()])
    ids = _padded(ROWS, 16)
    wide = np.asarray(model.get_layer("probabilities_wide_logits")(ids))
    expected = np.exp(wide) / np.exp(wide).sum(-1, keepdims=True)
    np.testing.assert_allclose(np.asarray(model(ids)), expected, atol=1e-5)


def test_wide_and_deep_saves_loads_and_serves_every_task(tmp_path):
    model = _wide_and_deep()
    ids = _padded(ROWS, 12)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_array_equal(np.asarray(model(ids)), np.asarray(restored(ids)))
    tasks = build_resnet_classifier(vocab_size=64, preset="restext_small", tasks={"topic": 4, "sentiment": 2}, wide_scale=1.0)
    assert {k: v.shape for k, v in tasks(ids).items()} == {"topic": (4, 4), "sentiment": (4, 2)}
    assert {layer.name for layer in tasks.layers if isinstance(layer, keras_restext.BagOfTokensLogits)} == {
        "topic_wide_logits",
        "sentiment_wide_logits",
    }


def test_wide_ngrams_read_the_hashed_ngrams_of_the_ids(tmp_path):
    model = _wide_and_deep(wide_ngrams=(2, 3), wide_buckets=1000)
    wide = model.get_layer("probabilities_wide_logits")
    assert wide.vocab_size == 1001
    outputs = [np.asarray(model(_padded(ROWS, n))) for n in (11, 16, 37)]
    for other in outputs[1:]:
        np.testing.assert_allclose(outputs[0], other, atol=1e-5)
    # The same ids in another order: the same bag of tokens, other bigrams.
    ids = _padded([[5, 8, 2, 9], [9, 2, 8, 5]], 6)
    bags = np.asarray(model.get_layer("wide_ngrams")(ids))
    assert sorted(set(bags[0]) - {0}) != sorted(set(bags[1]) - {0})
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_array_equal(np.asarray(model(ids)), np.asarray(restored(ids)))


def test_wide_branch_idf_counts_the_ngrams_with_wide_ngrams():
    batches = [_padded([[5, 8, 5, 8], [5, 8]], 4)]
    config = {"wide_ngrams": (2,), "wide_buckets": 1000}
    idf = wide_branch_idf(batches, 64, config)
    bigrams = np.asarray(HashedNGrams((2,), 1000)(batches[0]))
    assert idf.shape == (1001,)
    # Bigrams 5-8 (in both texts) and 8-5 (in one): two ids with an idf, the rarer one higher.
    assert np.count_nonzero(idf) == 2 and idf[bigrams[0, 1]] > idf[bigrams[0, 0]] > 0
    np.testing.assert_array_equal(wide_branch_idf(batches, 64, {}), token_idf(batches, 64))


def test_deep_vocab_size_limits_the_embedding_but_not_the_wide_branch(tmp_path):
    ids = _padded([[5, 40, 9], [5, 63, 9]], 4)  # the same text but for one token past the deep vocabulary
    deep_only = build_resnet_classifier(3, 64, preset="restext_small", deep_vocab_size=32)
    assert deep_only.get_layer("embedding").input_dim == 32
    probabilities = np.asarray(deep_only(ids))
    # Both rare tokens reach the deep model as out-of-vocabulary, so the two texts look alike ...
    np.testing.assert_allclose(probabilities[0], probabilities[1], atol=1e-6)
    # ... while the wide branch, which reads every id, tells them apart.
    model = _wide_and_deep(deep_vocab_size=32)
    assert model.get_layer("probabilities_wide_logits").vocab_size == 64
    assert not np.allclose(*np.asarray(model(ids)), atol=1e-3)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_array_equal(np.asarray(model(ids)), np.asarray(restored(ids)))
    # A limit at or past the vocabulary adds no layer.
    full = build_resnet_classifier(3, 64, preset="restext_small", deep_vocab_size=64)
    assert full.get_layer("embedding").input_dim == 64
    assert not any(isinstance(layer, keras_restext.LimitVocabulary) for layer in full.layers)


def test_keras_save_and_load_gives_identical_outputs(tmp_path):
    model = build_resnet_classifier(4, 64, preset="restext_small", norm="batch", se_ratio=0.5, pooling="max_avg")
    ids = _padded(ROWS, 12)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(np.asarray(model(ids)), np.asarray(restored(ids)))


def test_model_config_round_trip():
    model = build_resnet_classifier(3, 64, preset="restext_small", kernel_sizes=(3, 5))
    clone = keras.Model.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.count_params() == model.count_params()


def test_overrides_win_over_the_preset():
    model = build_resnet_classifier(2, 64, preset="restext_base", stage_filters=(16, 24), stage_blocks=(1, 2))
    blocks = [layer for layer in model.layers if isinstance(layer, keras_restext.ResBlock)]
    assert [b.filters for b in blocks] == [16, 24, 24]
    assert [b.downsample for b in blocks] == [False, True, False]


@pytest.mark.parametrize("name, depth", [("restext_deep32", 32), ("restext_deep64", 64)])
def test_depth_is_reachable_by_config(name, depth):
    # The block convolutions + the stem + the (deep) output layer; shortcuts and the wide branch aside.
    model = build_resnet_classifier(2, 64, preset=name)
    convs = [w for w in model.weights if w.path.endswith("conv/kernel") and "shortcut" not in w.path]
    dense = [w for w in model.weights if w.path.endswith("kernel") and "dense" in w.path
             or w.path in ("probabilities/kernel", "probabilities_deep_logits/kernel")]
    assert len(convs) + len(dense) == depth


def test_include_top_false_returns_a_reusable_backbone():
    backbone = build_resnet_classifier(vocab_size=64, preset="restext_small", include_top=False)
    features = backbone(_padded(ROWS, 12))
    assert features.shape == (4, 12, 32)
    tokens = keras.Input(shape=(None,), dtype="int32")
    pooled = keras_restext.MaskedGlobalPooling1D("max")(backbone(tokens))
    head = keras.Model(tokens, keras.layers.Dense(5)(pooled))
    assert head(_padded(ROWS, 12)).shape == (4, 5)


def test_multi_label_uses_sigmoid():
    model = build_resnet_classifier(3, 64, preset="restext_small", multi_label=True)
    assert model.get_layer("probabilities").activation.__name__ == "sigmoid"


def test_tasks_give_one_head_each():
    model = build_resnet_classifier(vocab_size=64, preset="restext_small", tasks={"topic": 4, "sentiment": 2})
    outputs = model(_padded(ROWS, 12))
    assert {k: v.shape for k, v in outputs.items()} == {"topic": (4, 4), "sentiment": (4, 2)}


def test_mixed_bfloat16_keeps_float32_probabilities():
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = build_resnet_classifier(2, 64, preset="restext_small")
    out = model(_padded(ROWS, 12))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_allclose(np.asarray(out).sum(-1), 1.0, atol=1e-3)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"num_classes": 1, "vocab_size": 64}, "`num_classes` must be an int >= 2. Received: num_classes=1"),
        ({"num_classes": 2, "vocab_size": 1}, "`vocab_size` must be an int >= 2. Received: vocab_size=1"),
        ({"num_classes": 2, "vocab_size": 64, "preset": "resnet"}, "Unknown preset 'resnet'. Allowed presets: restext_base"),
        ({"num_classes": 2, "vocab_size": 64, "pooling": "sum"}, "`pooling` must be one of"),
        ({"num_classes": 2, "vocab_size": 64, "filters": 8}, "Unknown model argument(s) ['filters']. Allowed:"),
        ({"num_classes": 2, "vocab_size": 64, "stage_filters": (8, 8)}, "must have the same length"),
        ({"vocab_size": 64}, "Pass exactly one of `num_classes`"),
        ({"num_classes": 2, "vocab_size": 64, "wide_scale": -1.0}, "`wide_scale` must be a finite number >= 0. Received: wide_scale=-1.0"),
        ({"num_classes": 2, "vocab_size": 64, "wide_scale": float("nan")}, "`wide_scale` must be a finite number >= 0. Received: wide_scale=nan"),
        ({"num_classes": 2, "vocab_size": 64, "deep_drop_path": 0.2, "wide_scale": 0.0}, "`deep_drop_path` needs a wide branch"),
        ({"num_classes": 2, "vocab_size": 64, "wide_ngrams": (2,), "wide_scale": 0.0}, "`wide_ngrams` needs a wide branch"),
        ({"num_classes": 2, "vocab_size": 64, "deep_loss_weight": 0.5, "wide_scale": 0.0}, "`deep_loss_weight` needs a wide branch"),
        ({"num_classes": 2, "vocab_size": 64, "deep_loss_weight": -1.0, "wide_scale": 1.0},
         "`deep_loss_weight` must be a finite number >= 0. Received: deep_loss_weight=-1.0"),
        ({"num_classes": 2, "vocab_size": 64, "deep_loss_weight": float("inf"), "wide_scale": 1.0},
         "`deep_loss_weight` must be a finite number >= 0. Received: deep_loss_weight=inf"),
        ({"num_classes": 2, "vocab_size": 64, "wide_ngrams": (2,), "wide_scale": 1.0, "wide_buckets": 0},
         "`wide_buckets` must be an int in [1, 1048576]. Received: wide_buckets=0"),
        ({"num_classes": 2, "vocab_size": 64, "deep_vocab_size": 1}, "`deep_vocab_size` must be None or an int >= 2. Received: deep_vocab_size=1"),
        ({"num_classes": 2, "vocab_size": 64, "word_ngrams": 0}, "`word_ngrams` must be None or an int >= 1. Received: word_ngrams=0"),
    ],
)
def test_invalid_arguments_are_explained(kwargs, fragment):
    with pytest.raises(ValueError) as error:
        build_resnet_classifier(**kwargs)
    assert fragment in str(error.value)


def test_find_layer_opens_up_a_task_models_backbone():
    from keras_restext.models.nested_layers import find_layer, leaf_layers

    classifier = keras_restext.ResTextClassifier(
        keras_restext.ResTextBackbone(64, embedding_dim=8, stage_filters=(8,), stage_blocks=(1,)), 2, compile=False
    )
    assert find_layer(classifier, "stem") is classifier.backbone.get_layer("stem")
    assert find_layer(classifier, "probabilities") is classifier.get_layer("probabilities")
    assert not [layer for layer in leaf_layers(classifier) if isinstance(layer, keras.Model)]
    with pytest.raises(ValueError, match=r"No layer 'stage9_block0' in 'restext_classifier'. Its layers: \['token_ids'"):
        find_layer(classifier, "stage9_block0")
