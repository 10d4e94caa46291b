"""The layers that return token ids (the tokenizers, `KeepWords`, `LimitVocabulary`, `HashedNGrams`):
their dtype is their output's, an integer, under every policy; a float dtype is refused; configs
saved before they declared it still load."""

import json
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data.tokenizers import CharTokenizer, WordPieceTokenizer, WordTokenizer
from keras_restext.layers import HashedNGrams, KeepWords, LimitVocabulary

TEXTS = ["a great film", "dull, dull film", ""]


def _tokenizers():
    return [
        WordTokenizer(vocabulary=["film", "dull", "great"], max_length=8),
        CharTokenizer(alphabet="vdcnn", max_length=16),
        WordPieceTokenizer(vocabulary=["[PAD]", "[UNK]", "a", "film", "great", "du", "##ll", ","], max_length=8),
    ]


def _policy(name: str) -> dict:
    """A dtype policy as a layer's get_config holds it."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


@pytest.mark.parametrize("policy", ["float32", "mixed_float16"])
def test_a_tokenizers_dtype_is_its_outputs_under_every_policy(policy):
    keras.config.set_dtype_policy(policy)
    for tokenizer in _tokenizers():
        ids = tokenizer(tf.constant(TEXTS))
        assert tokenizer.dtype == tokenizer.compute_dtype == "int32" == ids.dtype.name, type(tokenizer).__name__
        assert tokenizer.get_config()["dtype"] == _policy("int32")
        assert tokenizer.compute_output_spec(keras.KerasTensor((3,), "string")).dtype == "int32"


@pytest.mark.parametrize("dtype", ["float32", "mixed_bfloat16", "int64", "string"])
def test_a_tokenizer_refuses_any_dtype_but_int32(dtype):
    with pytest.raises(ValueError, match=rf"`dtype` must be 'int32' \(the layer returns int32 token ids\). Received: dtype='{dtype}'"):
        WordTokenizer(max_length=8, dtype=dtype)


@pytest.mark.parametrize("old_dtype", ["string", _policy("float32"), _policy("mixed_bfloat16")])
def test_tokenizer_configs_saved_with_another_dtype_still_load(old_dtype):
    # "string": the tokenizers' compute dtype before they declared their output's; a float policy:
    # what their get_config held (the policy of the run that saved them).
    for tokenizer in _tokenizers():
        config = {**tokenizer.get_config(), "dtype": old_dtype}
        for revived in (
            type(tokenizer).from_config(config),
            keras.saving.deserialize_keras_object({**keras.saving.serialize_keras_object(tokenizer), "config": config}),
        ):
            assert revived.compute_dtype == "int32"
            np.testing.assert_array_equal(revived(tf.constant(TEXTS)), tokenizer(tf.constant(TEXTS)))


def test_an_old_keras_file_of_id_layers_loads_with_the_same_ids(tmp_path):
    inputs = keras.Input(shape=(), dtype="string")
    tokenizer = WordTokenizer(vocabulary=["film", "dull", "great", "dull film"], ngrams=2, max_length=8)
    ids = tokenizer(inputs)
    model = keras.Model(inputs, {"ids": ids, "words": KeepWords(2)(ids), "limited": LimitVocabulary(4)(ids)})
    path = tmp_path / "model.keras"
    model.save(path)
    # The file as the package wrote it before its id layers declared an integer dtype.
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    for layer in config["config"]["layers"]:
        if layer["class_name"] != "InputLayer":
            layer["config"]["dtype"] = "string" if layer["class_name"] == "WordTokenizer" else _policy("mixed_float16")
    files["config.json"] = json.dumps(config).encode()
    old = tmp_path / "old.keras"
    with zipfile.ZipFile(old, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    restored = keras.saving.load_model(old, safe_mode=True)
    before, after = model(tf.constant(TEXTS)), restored(tf.constant(TEXTS))
    for key in before:
        assert keras.backend.standardize_dtype(after[key].dtype) == "int32", key
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


@pytest.mark.parametrize("dtype", ["float32", "mixed_float16", "mixed_bfloat16"])
def test_keep_words_refuses_a_float_dtype_as_the_other_id_layers_do(dtype):
    message = rf"`dtype` must be an integer dtype such as 'int32' \(the layer returns token ids\). Received: dtype='{dtype}'"
    for layer_cls, args in ((KeepWords, (2,)), (LimitVocabulary, (4,))):
        with pytest.raises(ValueError, match=message):
            layer_cls(*args, dtype=dtype)
    with pytest.raises(ValueError, match=rf"`dtype` must be 'int32' \(the layer returns ids\). Received: dtype='{dtype}'"):
        HashedNGrams((1, 2), 100, dtype=dtype)


def test_keep_words_keeps_large_ids_exact_under_mixed_float16():
    # The case: in float16, id 3001 read as 3000.0.
    keras.config.set_dtype_policy("mixed_float16")
    layer = KeepWords(2)
    out = layer(np.array([[3001, 5, 70001, 0]], "int32"))
    assert layer.compute_dtype == "int32" and keras.backend.standardize_dtype(out.dtype) == "int32"
    np.testing.assert_array_equal(out, [[3001, 5]])
    assert KeepWords(2, dtype="int64")(np.array([[3001, 5, 0]], "int32")).dtype == "int64"  # integer dtypes stay allowed


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_keep_words_configs_saved_with_a_float_policy_load_as_int32(policy):
    layer = KeepWords.from_config({"name": "words", "trainable": True, "ngrams": 2, "dtype": _policy(policy)})
    assert layer.compute_dtype == "int32"
    np.testing.assert_array_equal(layer(np.array([[3001, 5, 70001, 0]], "int32")), [[3001, 5]])
