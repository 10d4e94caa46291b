"""`restext export --format litert`: LiteRT models from a .keras file or a restext SavedModel folder."""

import pytest

from keras_restext.cli.main import main
from keras_restext.export import export_saved_model
from tests.export.test_litert import serving_model

FILES = {"model.tflite", "model_ids.tflite", "vocabulary.txt", "labels.txt", "tokenization.md"}


@pytest.fixture(scope="module")
def version(tmp_path_factory):
    """An export version folder as `restext train` writes it: the SavedModel and model.keras."""
    folder = tmp_path_factory.mktemp("savedmodels") / "1"
    model = serving_model("restext_small")
    export_saved_model(model, str(folder))
    model.save(folder / "model.keras")
    return folder


def test_litert_from_a_keras_file(version, tmp_path, capsys):
    out = tmp_path / "litert"
    assert main(["export", "--model", str(version / "model.keras"), "--export", str(out), "--format", "litert"]) == 0
    assert {p.name for p in out.iterdir()} == FILES
    assert f"restext: exported {out / 'model_ids.tflite'}" in capsys.readouterr().out.splitlines()


def test_litert_from_a_savedmodel_folder_quantized(version, tmp_path):
    float32, int8 = tmp_path / "float32", tmp_path / "int8"
    assert main(["export", "--model", str(version), "--export", str(float32), "--format", "litert"]) == 0
    argv = ["export", "--model", str(version.parent), "--export", str(int8), "--format", "litert"]
    assert main([*argv, "--quantize", "dynamic-int8"]) == 0  # the export folder: its latest version
    assert (int8 / "model_ids.tflite").stat().st_size < 0.6 * (float32 / "model_ids.tflite").stat().st_size


def test_a_savedmodel_without_its_keras_file_is_one_line_exit_2(version, tmp_path, capsys):
    bare = tmp_path / "bare"
    export_saved_model(serving_model("restext_small"), str(bare))
    assert main(["export", "--model", str(bare), "--export", str(tmp_path / "out"), "--format", "litert"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith(f"restext: error: {bare}: a SavedModel without model.keras")


def test_quantize_needs_the_litert_format(version, tmp_path, capsys):
    argv = ["export", "--model", str(version / "model.keras"), "--export", str(tmp_path), "--quantize", "float16"]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == (
        "restext: error: --quantize float16 applies to --format litert only. Received --format savedmodel"
    )


def test_an_unknown_quantization_is_a_usage_error(version, tmp_path):
    argv = ["export", "--model", str(version), "--export", str(tmp_path), "--format", "litert", "--quantize", "int4"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
