import os
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext import build_resnet_classifier
from keras_restext.data import DataError, make_tokenizer
from keras_restext.export import (
    LabelOutputs,
    build_serving_model,
    export_saved_model,
    inference_copy,
    load_keras_model,
    load_predictor,
    resolve_model_path,
    serving_labels,
    write_export,
)
from keras_restext.export.versions import list_versions, next_version, write_version_atomically
from tests.training.helpers import predict_in_fresh_python

LABELS = ["negative", "neutral", "positive"]
TEXTS = ["a great film", "", "awful, awful, awful!", "unseen words only", "x" * 100_000, "great " * 50_000]


@pytest.fixture(params=["deep", "wide_and_deep"])
def serving_model(request):
    keras.utils.set_random_seed(0)
    tokenizer = make_tokenizer("word", max_length=16).adapt(["a great film", "an awful film", "a plain film"])
    # The wide variant also limits the deep model to the first 5 of the 8 ids, as restext_base does.
    wide = {"wide_scale": 2.0, "deep_drop_path": 0.25, "deep_vocab_size": 5} if request.param == "wide_and_deep" else {}
    classifier = build_resnet_classifier(
        3, tokenizer.vocabulary_size(), preset="restext_small", head_dropout=0.0, **wide
    )
    if wide:  # non-zero wide weights, so that parity checks cover the wide branch
        layer = classifier.get_layer("probabilities_wide_logits")
        layer.token_weights.assign(np.random.default_rng(0).normal(size=layer.token_weights.shape))
    return build_serving_model(tokenizer, classifier, LABELS)


def test_label_outputs_layer():
    layer = LabelOutputs(LABELS)
    out = layer(tf.constant([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]]))
    assert out["label"].numpy().tolist() == [b"positive", b"negative"]
    assert out["label_id"].dtype == tf.int64 and out["label_id"].numpy().tolist() == [2, 0]
    assert LabelOutputs.from_config(layer.get_config()).labels == LABELS
    with pytest.raises(ValueError, match="at least one class"):
        LabelOutputs([])


def test_serving_model_takes_raw_strings(serving_model):
    out = serving_model(tf.constant(TEXTS))
    assert out["probabilities"].shape == (len(TEXTS), 3)
    np.testing.assert_allclose(out["probabilities"].numpy().sum(axis=1), 1.0, rtol=1e-5)
    assert serving_labels(serving_model) == LABELS
    # Padding-invariant: a text alone or next to a much longer one gets the same probabilities.
    alone = serving_model(tf.constant(TEXTS[:1]))["probabilities"].numpy()
    np.testing.assert_allclose(alone[0], out["probabilities"].numpy()[0], atol=1e-6)


def test_inference_copy_leaves_the_optimizer_out(tmp_path):
    classifier = build_resnet_classifier(2, 50, preset="restext_small", norm="batch")
    classifier.compile(optimizer="adamw", loss="categorical_crossentropy")
    classifier.optimizer.build(classifier.trainable_variables)
    copy = inference_copy(classifier)
    assert getattr(copy, "optimizer", None) is None
    ids = np.array([[3, 4, 5, 0, 0], [7, 0, 0, 0, 0]], "int32")
    np.testing.assert_array_equal(copy(ids).numpy(), classifier(ids).numpy())
    copy.save(tmp_path / "copy.keras")
    classifier.save(tmp_path / "trained.keras")
    # AdamW keeps two more copies of every weight; the copy saves none of them.
    assert (tmp_path / "copy.keras").stat().st_size < 0.6 * (tmp_path / "trained.keras").stat().st_size


def test_labels_must_match_the_classifier():
    tokenizer = make_tokenizer("word", max_length=8).adapt(["a b c"])
    classifier = build_resnet_classifier(2, tokenizer.vocabulary_size(), preset="restext_small")
    with pytest.raises(ValueError, match="must name the classifier's 2 classes"):
        build_serving_model(tokenizer, classifier, LABELS)


def _saved_model_cli(path: str) -> str:
    command = [shutil.which("saved_model_cli")] if shutil.which("saved_model_cli") else [
        sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"
    ]  # fmt: skip
    result = subprocess.run([*command, "show", "--dir", path, "--all"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_saved_model_signature_and_fresh_python(tmp_path, serving_model):
    path = export_saved_model(serving_model, str(tmp_path / "1"))
    description = _saved_model_cli(path)
    assert "signature_def['serving_default']" in description
    assert "inputs['text'] tensor_info:\n        dtype: DT_STRING\n        shape: (-1)" in description
    for name, dtype in (("probabilities", "DT_FLOAT"), ("label_id", "DT_INT64"), ("label", "DT_STRING")):
        assert f"outputs['{name}'] tensor_info:\n        dtype: {dtype}" in description

    fresh = predict_in_fresh_python(path, TEXTS)
    expected = serving_model(tf.constant(TEXTS))
    np.testing.assert_allclose(fresh["probabilities"], expected["probabilities"].numpy(), atol=1e-5)
    assert fresh["label_id"] == expected["label_id"].numpy().tolist()
    assert fresh["label"] == [LABELS[i] for i in fresh["label_id"]]
    assert fresh["empty_shape"] == [0, 3]
    assert fresh["restext_imported"] == []


def test_keras_file_loads_in_safe_mode(tmp_path, serving_model):
    path = str(tmp_path / "model.keras")
    serving_model.save(path)
    loaded = load_keras_model(path)
    np.testing.assert_allclose(
        loaded(tf.constant(TEXTS))["probabilities"].numpy(),
        serving_model(tf.constant(TEXTS))["probabilities"].numpy(),
        atol=1e-6,
    )
    assert serving_labels(loaded) == LABELS


def test_export_versions_and_predictors(tmp_path, serving_model):
    base = tmp_path / "savedmodels" / "demo"
    first = write_export(str(base), serving_model, metrics=None, history=None)
    second = write_export(str(base), serving_model)
    assert (first, second) == (str(base / "1"), str(base / "2"))
    assert list_versions(str(base)) == [1, 2] and next_version(str(base)) == 3
    names = set(os.listdir(second))
    assert {"saved_model.pb", "variables", "model.keras", "labels.txt", "metrics.json", "model_card.md"} <= names
    assert (base / "2" / "labels.txt").read_text().split() == LABELS
    card = (base / "2" / "model_card.md").read_text()
    assert "# demo (version 2)" in card and 'tf.saved_model.load("savedmodels/demo/2")' in card

    assert resolve_model_path(str(base)) == ("saved_model", str(base / "2"))
    assert resolve_model_path(str(base / "1")) == ("saved_model", str(base / "1"))
    assert resolve_model_path(str(base / "1" / "model.keras")) == ("keras", str(base / "1" / "model.keras"))
    expected = serving_model(tf.constant(TEXTS[:3]))["probabilities"].numpy()
    for path in (str(base), str(base / "1" / "model.keras")):
        predictor = load_predictor(path)
        assert predictor.labels == LABELS
        np.testing.assert_allclose(predictor.predict(TEXTS[:3], batch_size=2), expected, atol=1e-5)
        assert predictor.predict([]).shape == (0, 3)


def test_not_a_model_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such file or directory"):
        resolve_model_path(str(tmp_path / "missing"))
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(DataError, match="not a model file"):
        resolve_model_path(str(tmp_path / "notes.txt"))
    with pytest.raises(DataError, match="no saved_model.pb and no version folders"):
        resolve_model_path(str(tmp_path))


def test_a_failed_export_leaves_no_version(tmp_path):
    def crash(folder, version):
        Path(folder, "saved_model.pb").write_text("half written")
        raise RuntimeError("killed mid-way")

    with pytest.raises(RuntimeError, match="killed mid-way"):
        write_version_atomically(str(tmp_path), crash)
    assert os.listdir(tmp_path) == []  # neither a version nor the temporary folder

    Path(tmp_path, "1").mkdir()
    Path(tmp_path, "1", "saved_model.pb").write_text("")
    Path(tmp_path, ".tmp-7-123").mkdir()  # a crashed export's leftover is not a version
    assert write_version_atomically(str(tmp_path), lambda folder, version: None) == str(tmp_path / "2")
