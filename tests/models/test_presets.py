import keras_restext
from keras_restext import get_preset


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
