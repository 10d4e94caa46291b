import keras_restext
from keras_restext import get_preset
from keras_restext.layers import ResBlock


def test_presets_list_description_and_config():
    assert {"restext_base", "restext_small", "dpcnn", "vdcnn_9", "vdcnn_17", "vdcnn_29"} <= set(keras_restext.presets)
    for name, preset in keras_restext.presets.items():
        assert preset["description"] and "\n" not in preset["description"], name
        assert set(preset["config"]) == {"tokenizer", "model", "training"}, name


def test_get_preset_returns_an_independent_copy():
    config = get_preset("dpcnn")
    config["model"]["stage_filters"] = (1,)
    assert get_preset("dpcnn")["model"]["stage_filters"] == (250,) * 7


def test_vdcnn_presets_follow_the_paper():
    for name, blocks in {"vdcnn_9": (1, 1, 1, 1), "vdcnn_17": (2, 2, 2, 2), "vdcnn_29": (5, 5, 2, 2)}.items():
        config = get_preset(name)
        assert config["tokenizer"]["kind"] == "char"
        assert config["model"]["stage_filters"] == (64, 128, 256, 512)
        assert config["model"]["stage_blocks"] == blocks
        assert config["model"]["pooling"] == "kmax" and config["model"]["kmax_k"] == 8
        assert len(config["model"]["head_units"]) == 2  # + the output layer: 3 dense layers
        # Unlike the paper, a linear branch on the characters' n-grams.
        assert config["model"]["wide_scale"] > 0 and config["model"]["wide_ngrams"] == (2, 3, 4, 5)
        # ... which would starve the trunk: it learns from its own loss alone.
        assert config["model"]["deep_loss_only"] and config["model"]["deep_loss_weight"] > 0


WORD_DEEP = {"restext_deep32": 32, "restext_deep64": 64, "dpcnn": None}


def test_word_level_deep_presets_use_the_default_recipe():
    base = get_preset("restext_base")
    for name in WORD_DEEP:
        config = get_preset(name)
        assert config["tokenizer"] == base["tokenizer"], name
        for key in ("deep_vocab_size", "word_ngrams", "embedding_dim", "embedding_dropout", "wide_scale"):
            assert config["model"][key] == base["model"][key], (name, key)
        assert config["model"]["deep_drop_path"] >= base["model"]["deep_drop_path"], name
        assert config["model"]["residual_init"] == "zero", name
        assert config["training"]["epochs"] == base["training"]["epochs"], name


def _dropped_blocks_per_step(preset: str) -> float:
    """The sum of the built backbone's per-block stochastic depth rates: blocks skipped per step."""
    backbone = keras_restext.ResTextClassifier.from_preset(preset, num_classes=2).backbone
    return sum(layer.drop_path for layer in backbone.layers if isinstance(layer, ResBlock))


def test_deep_presets_keep_their_depth_and_scale_stochastic_depth_with_it():
    for name, depth in WORD_DEEP.items():
        if depth is None:
            continue
        model = get_preset(name)["model"]
        # The block convolutions, the stem and the output layer.
        assert sum(model["stage_blocks"]) * model["num_layers"] + 2 == depth, name
        assert model["drop_path"] >= get_preset("restext_base")["model"]["drop_path"], name
    dropped = {name: _dropped_blocks_per_step(name) for name in ("restext_base", "restext_deep32", "restext_deep64")}
    assert dropped["restext_deep64"] > dropped["restext_deep32"] > dropped["restext_base"], dropped


def test_dpcnn_keeps_its_region_embedding_and_pyramid():
    model = get_preset("dpcnn")["model"]
    assert model["stem_filters"] == 250
    assert model["stage_filters"] == (250,) * 7 and model["stage_blocks"] == (1,) * 7  # [pool/2 + conv] x 6


def test_deep_presets_say_what_differs_from_the_paper():
    for name in ("dpcnn", "vdcnn_9", "vdcnn_17", "vdcnn_29"):
        assert "Unlike the paper" in keras_restext.presets[name]["description"], name
