"""Every read of an export checks what it reads (issue 50): a damaged or edited file is one
`DataError` line naming it, never a traceback (`IndexError: Read less bytes than requested`) and
never a silently wrong answer (an edited `labels.txt` printed as the model's class names).
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_restext import build_resnet_classifier
from keras_restext.cli.main import main
from keras_restext.data import make_tokenizer
from keras_restext.errors import DataError
from keras_restext.export import build_serving_model, load_keras_model, load_predictor, reexport, write_export
from keras_restext.export.litert import convert_ids_model, read_litert_model
from keras_restext.export.loading import predict_with_session_loader

DATA = "variables/variables.data-00000-of-00001"
LABELS = ["negative", "positive"]


def _serving_model(tasks: dict | None = None):
    keras.utils.set_random_seed(0)
    tokenizer = make_tokenizer("word", max_length=16).adapt(["a great film", "an awful film", "a plain film"])
    if tasks:
        classifier = build_resnet_classifier(vocab_size=tokenizer.vocabulary_size(), preset="restext_small", tasks=tasks)
        labels = {task: [f"{task}_{i}" for i in range(classes)] for task, classes in tasks.items()}
    else:
        classifier = build_resnet_classifier(2, tokenizer.vocabulary_size(), preset="restext_small")
        labels = LABELS
    return build_serving_model(tokenizer, classifier, labels)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    single = _serving_model()
    versions = {
        "single": write_export(str(folder / "single"), single),
        "two_tasks": write_export(str(folder / "two_tasks"), _serving_model({"sentiment": 2, "topic": 3})),
    }
    (folder / "model_ids.tflite").write_bytes(convert_ids_model(single))
    return folder, versions


@pytest.fixture
def copy(exports, tmp_path):
    """A fresh copy of an export version to damage: `copy("single")` → its folder."""
    return lambda name: Path(shutil.copytree(exports[1][name], tmp_path / name / "1"))


def _truncate(path: Path, keep: int) -> None:
    with path.open("r+b") as f:
        f.truncate(keep if keep >= 0 else path.stat().st_size + keep)


def _flip(path: Path, at: int) -> None:
    content = bytearray(path.read_bytes())
    content[at] ^= 0xFF
    path.write_bytes(bytes(content))


def test_the_exports_load_as_written(exports):
    _, versions = exports
    assert load_predictor(versions["single"]).labels == LABELS
    assert load_predictor(versions["two_tasks"]).labels == {"sentiment": ["sentiment_0", "sentiment_1"],
                                                            "topic": ["topic_0", "topic_1", "topic_2"]}  # fmt: skip
    assert predict_with_session_loader(versions["single"], ["a great film"])["probabilities"].shape == (1, 2)


# name -> (export, damage(version folder), the file named, words of the message)
DAMAGES = {
    "a truncated variables file": ("single", lambda v: _truncate(v / DATA, -1000), DATA, "truncated"),
    "an empty variables file": ("single", lambda v: _truncate(v / DATA, 0), DATA, "truncated"),
    "a flipped byte in the variables": ("single", lambda v: _flip(v / DATA, 2000), DATA, "Checksum does not match"),
    "no variables data": ("single", lambda v: (v / DATA).unlink(), "variables/variables.data-*", "missing"),
    "no variables index": ("single", lambda v: (v / "variables/variables.index").unlink(), "variables/variables.index",
                           "missing"),
    "a truncated variables index": ("single", lambda v: _truncate(v / "variables/variables.index", -100),
                                    "variables/variables.index", "changed since it was written"),
    "a truncated saved_model.pb": ("single", lambda v: _truncate(v / "saved_model.pb", -1000), "saved_model.pb",
                                   "does not parse"),
    "an empty saved_model.pb": ("single", lambda v: _truncate(v / "saved_model.pb", 0), "saved_model.pb", "no graph"),
    "an edited class name inside saved_model.pb": (
        "single", lambda v: (v / "saved_model.pb").write_bytes((v / "saved_model.pb").read_bytes().replace(
            b"\x08negative", b"\x08negativo")), "saved_model.pb", "changed since it was written"),
    "a damaged fingerprint.pb": ("single", lambda v: (v / "fingerprint.pb").write_bytes(b"\xff" * 9), "fingerprint.pb",
                                 "damaged"),
    "a class name more in labels.txt": ("single", lambda v: (v / "labels.txt").write_text("negative\npositive\nneutral\n"),
                                        "labels.txt", "3 class names for a model of 2 classes"),
    "a class name fewer in labels.txt": ("single", lambda v: (v / "labels.txt").write_text("negative\n"), "labels.txt",
                                         "1 class names for a model of 2 classes"),
    "swapped names in labels.txt": ("single", lambda v: (v / "labels.txt").write_text("positive\nnegative\n"),
                                    "labels.txt", "differ from those the SavedModel serves (negative, positive)"),
    "a renamed class in labels.txt": ("single", lambda v: (v / "labels.txt").write_text("bad\ngood\n"), "labels.txt",
                                      "differ from those the SavedModel serves"),
    "an empty labels.txt": ("single", lambda v: (v / "labels.txt").write_text(""), "labels.txt", "no class names"),
    "labels.txt not in UTF-8": ("single", lambda v: (v / "labels.txt").write_bytes(b"negative\n\xffpositive\n"),
                                "labels.txt:2", "not valid UTF-8"),
    "tasks.json not JSON": ("two_tasks", lambda v: (v / "tasks.json").write_text("{not json"), "tasks.json:1",
                            "not valid JSON"),
    "tasks.json without tasks": ("two_tasks", lambda v: (v / "tasks.json").write_text("{}"), "tasks.json",
                                 "not the tasks of a model"),
    "tasks.json with a task the model lacks": (
        "two_tasks", lambda v: (v / "tasks.json").write_text(json.dumps({"tasks": {"sentiment": ["a", "b"]}})),
        "tasks.json", "the SavedModel serves the tasks ['sentiment', 'topic']"),
    "tasks.json with a class more": (
        "two_tasks", lambda v: (v / "tasks.json").write_text(json.dumps(
            {"tasks": {"sentiment": ["sentiment_0", "sentiment_1", "x"], "topic": ["topic_0", "topic_1", "topic_2"]}})),
        "tasks.json", "3 class names of task 'sentiment' for a model of 2 classes"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(DAMAGES))
def test_a_damaged_export_is_one_line_naming_the_file(case, copy):
    name, damage, file, words = DAMAGES[case]
    version = copy(name)
    damage(version)
    with pytest.raises(DataError) as error:
        load_predictor(str(version))
    message = str(error.value)
    assert message.startswith(f"{version / file}: ") or message.startswith(f"{version / file}:"), message
    assert words in message and "\n" not in message, message


def test_single_bit_flips_of_saved_model_pb_are_all_caught(copy):
    # Most flips still parse (a float, a name, a vocabulary word): the fingerprint's checksum catches them.
    version = copy("single")
    original = (version / "saved_model.pb").read_bytes()
    rng = random.Random(0)
    for _ in range(12):
        flipped = bytearray(original)
        flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        (version / "saved_model.pb").write_bytes(bytes(flipped))
        with pytest.raises(DataError, match=f"^{version / 'saved_model.pb'}: "):
            load_predictor(str(version))
        with pytest.raises(DataError, match=f"^{version / 'saved_model.pb'}: "):
            predict_with_session_loader(str(version), ["a text"])  # TF Serving's way of loading: checked too


@pytest.mark.parametrize("damage", ["a flipped byte in the weights", "a flipped byte in config.json", "truncated"])
def test_a_damaged_keras_file_is_one_line_naming_it(copy, damage):
    path = copy("single") / "model.keras"
    if damage == "truncated":
        _truncate(path, -100)
        expected = "is not a Keras model: a .keras file is a zip archive"  # the message of before, kept
    else:
        with __import__("zipfile").ZipFile(path) as archive:
            member = "model.weights.h5" if "weights" in damage else "config.json"
            info = archive.getinfo(member)
        _flip(path, info.header_offset + 30 + len(member) + info.compress_size // 2)
        expected = f"damaged: {member} inside it fails its CRC-32 check"
    with pytest.raises(ValueError, match=expected):
        load_keras_model(str(path))


@pytest.mark.parametrize("command", ["predict", "evaluate", "export"])
def test_the_cli_says_which_file_in_one_line(copy, tmp_path, capsys, command):
    version = copy("single")
    _truncate(version / DATA, -1000)
    _truncate(version / "model.keras", -100) if command == "export" else None
    data = tmp_path / "test.tsv"
    data.write_text("text\tlabel\na great film\tpositive\n")
    argv = {
        "predict": ["predict", "--model", str(version), "a great film"],
        "evaluate": ["evaluate", "--model", str(version), "--data", str(data)],
        "export": ["export", "--model", str(version), "--export", str(tmp_path / "again")],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    named = version / ("model.keras" if command == "export" else DATA)
    assert len(err) == 1 and err[0].startswith(f"restext: error: {named}"), err


def test_a_damaged_metrics_json_is_named_by_reexport(copy, tmp_path):
    version = copy("single")
    (version / "metrics.json").write_text('{"test": ')
    with pytest.raises(DataError, match=f"^{version / 'metrics.json'}:1: not valid JSON"):
        reexport(str(version / "model.keras"), str(tmp_path / "again"))


@pytest.mark.parametrize(
    "damage, words",
    [
        (lambda b: b[: len(b) // 2], "damaged: its flatbuffer does not parse"),
        (lambda b: b[:6], "not a LiteRT model: no TFL3 identifier"),
        (lambda b: b[:4] + b"PK\x03\x04" + b[8:], "not a LiteRT model"),
        (lambda b: b[:28] + bytes(reversed(b[28:60])) + b[60:], "damaged"),
    ],
)
def test_a_damaged_litert_model_is_one_line_naming_it(exports, tmp_path, damage, words):
    original = (exports[0] / "model_ids.tflite").read_bytes()
    assert read_litert_model(str(exports[0] / "model_ids.tflite")) == original
    path = tmp_path / "model_ids.tflite"
    path.write_bytes(damage(original))
    with pytest.raises(DataError, match=f"^{path}: {words}"):
        read_litert_model(str(path))


def test_probabilities_are_unchanged_by_the_checks(exports):
    # The checks read the files; the model served is the same one.
    _, versions = exports
    texts = ["a great film", "an awful film", ""]
    expected = predict_with_session_loader(versions["single"], texts)["probabilities"]
    np.testing.assert_allclose(load_predictor(versions["single"]).predict(texts), expected, atol=1e-6)
    assert os.path.isfile(os.path.join(versions["single"], "fingerprint.pb"))
