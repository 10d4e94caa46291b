"""`train` with the device options: mixed precision, static shapes + XLA, the CLI flags."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext.training import train
from tests.training.helpers import write_tsv


@pytest.fixture
def files(tmp_path):
    return {
        "train": str(write_tsv(tmp_path / "train.tsv", 200, seed=0)),
        "validation": str(write_tsv(tmp_path / "dev.tsv", 50, seed=1)),
        "test": str(write_tsv(tmp_path / "test.tsv", 37, seed=2)),
    }


def test_bfloat16_trains_and_exports_with_float32_probabilities(tmp_path, files):
    result = train(
        **files, preset="restext_small", epochs=1, mixed_precision="bfloat16",
        output=str(tmp_path / "run"), export=str(tmp_path / "export"), verbose=0, log=None,
    )  # fmt: skip
    stem = result.classifier.backbone.get_layer("stem")
    assert stem.compute_dtype == "bfloat16" and stem.variable_dtype == "float32"
    assert result.classifier.get_layer("probabilities").compute_dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"  # the global policy is left as it was
    serve = tf.saved_model.load(result.export_path).signatures["serving_default"]
    outputs = serve(text=tf.constant(["great superb", ""]))
    assert outputs["probabilities"].dtype == tf.float32
    np.testing.assert_allclose(outputs["probabilities"].numpy().sum(-1), 1.0, atol=1e-3)
    assert result.metrics["test"]["examples"] == 37


def test_static_shapes_compile_with_xla_and_evaluate_every_example(tmp_path, files):
    result = train(
        **files, preset="restext_small", epochs=2, batch_size=16, static_shapes=True, max_length=32,
        output=str(tmp_path / "run"), verbose=0, log=None,
    )  # fmt: skip
    assert result.classifier.jit_compile
    # 37 test examples do not fill 16-example batches: metrics still count them all.
    assert result.metrics["test"]["examples"] == 37
    assert result.metrics["validation"]["examples"] == 50


def test_mixed_precision_must_be_known(files):
    with pytest.raises(ValueError, match=r"`mixed_precision` must be one of .* Received: mixed_precision='int8'"):
        train(**files, preset="restext_small", mixed_precision="int8", log=None)
