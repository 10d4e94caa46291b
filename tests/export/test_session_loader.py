"""Exports load the way TF Serving loads them: the TF1 session loader and `saved_model_cli run`.

`tf.saved_model.load` (TF2, eager) restores objects, the session loader restores variables by the
checkpoint's saver into a graph and runs the signature's tensors there; an export can pass the first
and fail the second, so every kind of export is checked with both.
"""

import json
import re
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext import build_resnet_classifier, get_preset
from keras_restext.data import make_tokenizer
from keras_restext.export import (
    SIGNATURE,
    build_serving_model,
    export_saved_model,
    inference_copy,
    load_keras_model,
    predict_with_session_loader,
)
from keras_restext.layers import BagOfTokensLogits

TRAIN_TEXTS = ["a great film", "an awful film", "a plain film", "great acting, awful plot", "plain and dull"]
TEXTS = ["a great film", "dull", "", "words never seen before", "great " * 300]
# The tiny tokenizer and model settings of each export kind; the presets' own architecture otherwise.
TINY_TOKENIZER = {"max_tokens": 50, "max_length": 64}


def eager_predict(path: str, texts: list[str]) -> dict[str, np.ndarray]:
    outputs = tf.saved_model.load(path).signatures[SIGNATURE](text=tf.constant(texts, tf.string))
    return {name: value.numpy() for name, value in outputs.items()}


def _tokenizer(preset: str, kind: str | None = None):
    config = get_preset(preset)["tokenizer"]
    if kind == "wordpiece":
        config = {"kind": "wordpiece", "vocab_size": 60, "max_length": 64}
    elif config["kind"] == "word":
        config.update(TINY_TOKENIZER)
    return make_tokenizer(**config).adapt(TRAIN_TEXTS)


def _serving_model(
    preset: str, *, kind: str | None = None, tasks: dict | None = None, random_wide: bool = False, **overrides
):
    keras.utils.set_random_seed(0)
    tokenizer = _tokenizer(preset, kind)
    if get_preset(preset)["model"].get("deep_vocab_size"):
        overrides.setdefault("deep_vocab_size", 20)
    if tasks:
        classifier = build_resnet_classifier(
            vocab_size=tokenizer.vocabulary_size(), preset=preset, tasks=tasks, **overrides
        )
        labels = {task: [f"{task}_{i}" for i in range(classes)] for task, classes in tasks.items()}
    else:
        classifier = build_resnet_classifier(2, tokenizer.vocabulary_size(), preset=preset, **overrides)
        labels = ["negative", "positive"]
    if random_wide:  # the wide weights start at zero: random ones put the wide branch into every parity check
        rng = np.random.default_rng(0)
        for layer in classifier.layers:
            if isinstance(layer, BagOfTokensLogits):
                layer.token_weights.assign(rng.normal(size=layer.token_weights.shape))
    return build_serving_model(tokenizer, inference_copy(classifier), labels)


EXPORTS = {
    "restext_small": lambda: _serving_model("restext_small"),
    "restext_base": lambda: _serving_model("restext_base"),  # bigrams, the wide branch, the vocabulary limit
    "dpcnn": lambda: _serving_model("dpcnn"),
    "restext_deep32": lambda: _serving_model("restext_deep32", stage_filters=(8,) * 5, stem_filters=8),
    # Hashed character n-grams in the wide branch, into fewer buckets than the preset's.
    "vdcnn_9_chars": lambda: _serving_model("vdcnn_9", head_units=(16,), wide_buckets=4096, random_wide=True),
    "wordpiece": lambda: _serving_model("restext_small", kind="wordpiece"),
    "two_tasks": lambda: _serving_model("restext_base", tasks={"sentiment": 2, "topic": 3}),
}


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_session_loader_serves_what_tf_saved_model_load_serves(tmp_path, kind):
    serving_model = EXPORTS[kind]()
    path = export_saved_model(serving_model, str(tmp_path / "1"))
    session = predict_with_session_loader(path, TEXTS)
    eager = eager_predict(path, TEXTS)
    assert set(session) == set(eager) == set(serving_model.output)
    for name, value in eager.items():
        if value.dtype.kind == "f":
            np.testing.assert_allclose(session[name], value, atol=1e-6)
        else:
            np.testing.assert_array_equal(session[name], value)
    in_memory = serving_model(tf.constant(TEXTS))
    for name, value in in_memory.items():
        if value.dtype.is_floating:
            np.testing.assert_allclose(session[name], value.numpy(), atol=1e-5)


def test_bfloat16_trained_model_serves_through_the_session_loader(tmp_path):
    keras.config.set_dtype_policy("mixed_bfloat16")  # as `train --mixed-precision bfloat16` builds it
    serving_model = _serving_model("restext_base")
    keras.config.set_dtype_policy("float32")
    assert serving_model.get_layer("resnet_classifier").get_layer("stem").compute_dtype == "bfloat16"
    path = export_saved_model(serving_model, str(tmp_path / "1"))
    np.testing.assert_allclose(
        predict_with_session_loader(path, TEXTS)["probabilities"], eager_predict(path, TEXTS)["probabilities"], atol=1e-6
    )


def test_reexported_keras_file_serves_through_the_session_loader(tmp_path):
    serving_model = _serving_model("restext_base")
    serving_model.save(tmp_path / "model.keras")
    path = export_saved_model(load_keras_model(str(tmp_path / "model.keras")), str(tmp_path / "2"))
    expected = serving_model(tf.constant(TEXTS))["probabilities"].numpy()
    np.testing.assert_allclose(predict_with_session_loader(path, TEXTS)["probabilities"], expected, atol=1e-5)


def test_empty_batch_through_the_session_loader(tmp_path):
    path = export_saved_model(_serving_model("restext_small"), str(tmp_path / "1"))
    outputs = predict_with_session_loader(path, [])
    assert outputs["probabilities"].shape == (0, 2) and outputs["label"].shape == (0,)


def test_each_weight_is_stored_once(tmp_path):
    serving_model = _serving_model("restext_base")
    path = export_saved_model(serving_model, str(tmp_path / "1"))
    stored = [name for name, _ in tf.train.list_variables(f"{path}/variables/variables") if "VARIABLE_VALUE" in name]
    assert len(stored) == len(serving_model.variables)


def _saved_model_cli(*args: str) -> subprocess.CompletedProcess:
    command = [shutil.which("saved_model_cli")] if shutil.which("saved_model_cli") else [
        sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"
    ]  # fmt: skip
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_saved_model_cli_show_and_run_on_raw_strings(tmp_path):
    serving_model = _serving_model("restext_base")
    path = export_saved_model(serving_model, str(tmp_path / "1"))
    shown = _saved_model_cli("show", "--dir", path, "--tag_set", "serve", "--signature_def", SIGNATURE)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "inputs['text'] tensor_info:" in shown.stdout and "outputs['probabilities'] tensor_info:" in shown.stdout

    texts = ["a great film", "dull"]
    outputs = tmp_path / "out"
    ran = _saved_model_cli(
        "run", "--dir", path, "--tag_set", "serve", "--signature_def", SIGNATURE,
        "--input_exprs", f"text={json.dumps(texts)}", "--outdir", str(outputs),
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert re.search(r"probabilities\.npy", ran.stdout + ran.stderr), ran.stdout[-2000:]
    expected = serving_model(tf.constant(texts))
    np.testing.assert_allclose(np.load(outputs / "probabilities.npy"), expected["probabilities"].numpy(), atol=1e-5)
    np.testing.assert_array_equal(np.load(outputs / "label_id.npy"), expected["label_id"].numpy())


@pytest.mark.slow
def test_session_loader_brings_in_text_ops_for_wordpiece(tmp_path):
    """In a process that has not imported tensorflow_text, a WordPiece export still serves."""
    path = export_saved_model(_serving_model("restext_small", kind="wordpiece"), str(tmp_path / "1"))
    script = (
        "import sys\n"
        "from keras_restext.export import predict_with_session_loader\n"
        "assert 'tensorflow_text' not in sys.modules\n"
        "print(predict_with_session_loader(sys.argv[1], ['a great film'])['probabilities'].shape)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, path], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "(1, 2)"
