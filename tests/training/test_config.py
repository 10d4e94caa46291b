"""TrainConfig: six groups, flat option names, the preset merged with the overrides."""

import dataclasses

import pytest

from keras_restext.training import train
from keras_restext.training.config import GROUPS, OPTIONS, DataConfig, ScheduleConfig, TrainConfig


def test_every_setting_has_one_group_and_one_option_name():
    fields = [(group, f.name) for group, kind in GROUPS.items() for f in dataclasses.fields(kind)]
    assert sorted(OPTIONS.values()) == sorted(fields)  # one name for each field, none for two
    assert list(GROUPS) == ["data", "tokenizer", "model", "schedule", "runtime", "output"]
    assert OPTIONS["output"] == ("output", "folder")
    assert OPTIONS["model_overrides"] == ("model", "overrides")
    assert OPTIONS["tokenizer_overrides"] == ("tokenizer", "overrides")


def test_options_go_to_their_groups_and_back():
    config = TrainConfig.from_options(
        train="a.csv", preset="restext_small", epochs=2, max_length=64, seed=3, steps_per_execution=4,
        output="runs/a", export="savedmodels/a", model_overrides={"head_dropout": 0.0},
    )  # fmt: skip
    assert config.data.train == "a.csv" and config.model.preset == "restext_small"
    assert config.schedule.epochs == 2 and config.schedule.seed == 3 and config.tokenizer.max_length == 64
    assert config.runtime.steps_per_execution == 4 and config.output.folder == "runs/a"
    assert config.model.overrides == {"head_dropout": 0.0}
    options = config.options()
    assert options["output"] == "runs/a" and options["model_overrides"] == {"head_dropout": 0.0}
    assert TrainConfig.from_options(**options) == config
    # replace changes what it names and nothing else, and leaves the original as it was.
    changed = config.replace(epochs=5, output="runs/b")
    assert changed.schedule.epochs == 5 and changed.output.folder == "runs/b" and changed.output.export == "savedmodels/a"
    assert config.schedule.epochs == 2 and config.output.folder == "runs/a"


def test_groups_built_directly_equal_the_flat_options():
    grouped = TrainConfig(data=DataConfig(train="a.csv", test="b.csv"), schedule=ScheduleConfig(epochs=1, seed=2))
    assert grouped == TrainConfig.from_options(train="a.csv", test="b.csv", epochs=1, seed=2)


def test_an_unknown_option_names_the_allowed_ones():
    with pytest.raises(TypeError, match=r"Unknown training option\(s\) 'epoch'\. Allowed: train, validation"):
        TrainConfig.from_options(train="a.csv", epoch=3)


def test_the_resolved_config_is_the_preset_with_the_overrides():
    resolved = TrainConfig.from_options(
        preset="restext_small", epochs=2, learning_rate=0.01, max_length=33, mixed_precision="bfloat16",
        model_overrides={"head_dropout": 0.25}, tokenizer_overrides={"lowercase": False},
    ).resolved()  # fmt: skip
    assert resolved["training"]["epochs"] == 2 and resolved["training"]["learning_rate"] == 0.01
    assert resolved["training"]["mixed_precision"] == "bfloat16"
    assert resolved["tokenizer"]["max_length"] == 33 and resolved["tokenizer"]["lowercase"] is False
    assert resolved["model"]["head_dropout"] == 0.25
    default = TrainConfig.from_options(preset="restext_small").resolved()
    assert default["training"]["batch_size"] == resolved["training"]["batch_size"]  # not overridden: the preset's


@pytest.mark.parametrize("learning_rate", [0.0, float("inf"), float("nan")])
def test_the_learning_rate_must_be_a_finite_number_above_0(learning_rate):
    with pytest.raises(ValueError, match=r"`learning_rate` must be a finite number > 0. Received: learning_rate="):
        TrainConfig.from_options(preset="restext_small", learning_rate=learning_rate).resolved()


def test_the_run_folder_follows_output_then_export():
    assert TrainConfig.from_options(output="runs/x", export="sm/y").output_dir() == "runs/x"
    assert TrainConfig.from_options(export="savedmodels/sst2/").output_dir() == "runs/sst2"
    assert TrainConfig().output_dir() == "runs/restext"


def test_training_without_training_data_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="`train` is required"):
        train(preset="restext_small", output=str(tmp_path / "run"), log=None)
