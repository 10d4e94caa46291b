"""LiteRT exports: every preset kind converts, the ids model runs on builtins only and agrees with the
SavedModel, and the raw-string model's tokenizer (rebuilt without StringNGrams or ragged ops) gives
the package tokenizer's ids on real texts.

`model.tflite` needs the Flex delegate, which neither TensorFlow 2.21's `tf.lite.Interpreter` nor
`ai-edge-litert` 2.3 ship; its checks here are its op list and the very function it was converted
from, run in TensorFlow. `benchmarks/litert_runtime_check.py --flex-venv` runs the flatbuffer itself
in TensorFlow 2.18.1's interpreter, which has the delegate.
"""

import csv
import functools
import os

import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data import make_tokenizer
from keras_restext.export import SIGNATURE, export_saved_model
from keras_restext.export.flatbuffer_ops import operator_names
from keras_restext.export.litert import convert_ids_model, convert_text_model, export_litert, text_function
from keras_restext.export.litert_tokenizers import convertible_tokenizer
from tests.export.test_session_loader import EXPORTS, TEXTS, eager_predict

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
EDGE_TEXTS = [
    "", " ", "...", "!!!great!!!", "Crème brûlée, s'il vous plaît.", "a\u00a0b\u3000c  d\te\nf",
    "İstanbul ΣΑΣ Straße", "日本語のテキスト。", "emoji 😀 ok 👍🏽", "don't -- stop",
    "UPPER lower MiXeD",
]  # fmt: skip
# The Flex ops the raw-string models may use: strings only (all numeric work is builtin; n-grams are
# found from word keys, so no strings are joined or concatenated).
STRING_FLEX_OPS = {
    "FlexStaticRegexReplace", "FlexStringLower", "FlexStringSplitV2", "FlexSubstr", "FlexUnicodeDecode",
    "FlexUnicodeTranscode",
}  # fmt: skip


def _read(path: str, column: str, delimiter: str, limit: int) -> list[str]:
    with open(path, encoding="utf-8", newline="") as stream:
        return [row[column] for _, row in zip(range(limit), csv.DictReader(stream, delimiter=delimiter))]


@functools.cache
def real_texts() -> tuple[str, ...]:
    """Slices of the MR and SST-2 test sets (SST-2 has non-ASCII: crème brûlée), plus edge cases."""
    mr = _read(os.path.join(DATA, "mr", "test.csv"), "text", ",", 150)
    sst2 = _read(os.path.join(DATA, "sst2", "test.tsv"), "sentence", "\t", 150)
    return tuple(mr + sst2 + EDGE_TEXTS)


@functools.cache
def serving_model(kind: str):
    return EXPORTS[kind]()


@functools.cache
def ids_model(kind: str, quantize: str | None = None) -> bytes:
    return convert_ids_model(serving_model(kind), quantize=quantize)


def run_ids_model(flatbuffer: bytes, ids: np.ndarray) -> dict[str, np.ndarray]:
    # No default delegates: the plain builtin kernels, the ones a Flex-free app links.
    interpreter = tf.lite.Interpreter(
        model_content=flatbuffer,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    return interpreter.get_signature_runner(SIGNATURE)(token_ids=ids.astype(np.int32))


def _tokenizer(**config):
    return make_tokenizer(**config).adapt(list(real_texts()))


TOKENIZERS = {
    "words": lambda: _tokenizer(kind="word", max_tokens=2000, max_length=40),
    "bigrams_words_first": lambda: _tokenizer(kind="word", ngrams=2, words_first=True, max_tokens=5000, max_length=48),
    "trigrams_strip": lambda: _tokenizer(kind="word", ngrams=3, punctuation="strip", max_tokens=5000, max_length=64),
    "keep_cased_padded": lambda: _tokenizer(
        kind="word", punctuation="keep", lowercase=False, max_tokens=3000, max_length=30, pad_to_max_length=True
    ),
    "chars_vdcnn": lambda: make_tokenizer(kind="char", alphabet="vdcnn", max_length=120),
    "chars_learned": lambda: _tokenizer(kind="char", max_tokens=60, max_length=100),
}


@pytest.mark.parametrize("name", sorted(TOKENIZERS))
def test_convertible_tokenizer_gives_the_tokenizers_ids_on_real_texts(name):
    tokenizer = TOKENIZERS[name]()
    tokenize = tf.function(convertible_tokenizer(tokenizer))
    texts = list(real_texts())
    batches = [texts, texts[:1], [""], ["", " "], EDGE_TEXTS, *([text] for text in texts[::15])]
    for batch in batches:
        expected = tokenizer(tf.constant(batch)).numpy()
        np.testing.assert_array_equal(tokenize(tf.constant(batch)).numpy(), expected, err_msg=repr(batch[:2]))


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_ids_model_uses_builtins_only_and_matches_the_savedmodel(tmp_path, kind):
    model = serving_model(kind)
    flatbuffer = ids_model(kind)
    custom = [name for name in operator_names(flatbuffer) if not name.isupper()]  # builtins: CONV_2D, ...
    assert not custom and "CONV_2D" in operator_names(flatbuffer)
    texts = TEXTS + EDGE_TEXTS
    saved = eager_predict(export_saved_model(model, str(tmp_path / "1")), texts)
    tokenizer = model.layers[1]
    # The whole batch padded to its longest text, and every text alone (batch 1, its own length).
    batched = run_ids_model(flatbuffer, tokenizer(tf.constant(texts)).numpy())
    alone = [run_ids_model(flatbuffer, tokenizer(tf.constant([text])).numpy()) for text in texts]
    probability_names = [name for name in saved if name.endswith("probabilities")]
    label_names = {name[: -len("probabilities")] + "label_id" for name in probability_names}
    assert probability_names and label_names <= set(batched)
    for name in probability_names:
        label_name = name[: -len("probabilities")] + "label_id"
        for outputs in [batched, {key: np.concatenate([o[key] for o in alone]) for key in batched}]:
            assert np.abs(outputs[name] - saved[name]).max() < 1e-4
            np.testing.assert_array_equal(outputs[label_name], saved[label_name])


@pytest.mark.parametrize("kind", ["restext_small", "restext_base", "dpcnn", "vdcnn_9_chars", "two_tasks"])
def test_text_model_converts_with_string_flex_ops_only_and_its_function_matches_the_savedmodel(tmp_path, kind):
    model = serving_model(kind)
    operators = operator_names(convert_text_model(model))
    flex = {name for name in operators if name.startswith("Flex")}
    assert flex and flex <= STRING_FLEX_OPS, flex
    assert "FlexStringNGrams" not in operators and not [name for name in operators if "Ragged" in name]
    texts = list(real_texts())
    saved = eager_predict(export_saved_model(model, str(tmp_path / "1")), texts)
    converted = {name: value.numpy() for name, value in text_function(model)(tf.constant(texts)).items()}
    for name, value in saved.items():
        if name.endswith("probabilities"):
            assert np.abs(converted[name] - value).max() < 1e-4
        elif name.endswith("label_id"):
            np.testing.assert_array_equal(converted[name], value)


def test_the_text_model_stores_the_words_but_no_ngram_strings():
    model = serving_model("restext_base")
    flatbuffer = convert_text_model(model)
    vocabulary = model.layers[1].get_vocabulary()
    words = [token for token in vocabulary[2:] if " " not in token]
    ngrams = [token for token in vocabulary[2:] if " " in token]
    assert len(ngrams) >= 10 and all(word.encode() in flatbuffer for word in words)
    assert not [ngram for ngram in ngrams if ngram.encode() in flatbuffer]


def test_wordpiece_exports_the_ids_model_and_says_why_there_is_no_text_model(tmp_path):
    model = serving_model("wordpiece")
    with pytest.raises(ValueError, match="FastWordpieceTokenizeWithOffsets"):
        convert_text_model(model)
    (tmp_path / "model.tflite").write_bytes(b"an earlier export's")  # it must not stay beside the new ids model
    written = export_litert(model, str(tmp_path))
    assert "model.tflite" not in written and "model_ids.tflite" in written
    assert written["skipped"].startswith("model.tflite: ") and not (tmp_path / "model.tflite").exists()
    vocabulary = (tmp_path / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    assert vocabulary[:2] == ["[PAD]", "[UNK]"] and "WordPiece" in (tmp_path / "tokenization.md").read_text()


def test_export_writes_the_models_and_the_files_an_app_needs(tmp_path):
    model = serving_model("restext_base")
    written = export_litert(model, str(tmp_path))
    expected = {"model.tflite", "model_ids.tflite", "vocabulary.txt", "labels.txt", "tokenization.md"}
    assert set(written) == expected and {p.name for p in tmp_path.iterdir()} == expected
    assert (tmp_path / "labels.txt").read_text().splitlines() == ["negative", "positive"]
    vocabulary = (tmp_path / "vocabulary.txt").read_text(encoding="utf-8").split("\n")[:-1]
    assert vocabulary == model.layers[1].get_vocabulary()
    assert (tmp_path / "model_ids.tflite").read_bytes() == ids_model("restext_base")


def test_a_multitask_export_writes_the_labels_of_every_task(tmp_path):
    written = export_litert(serving_model("two_tasks"), str(tmp_path))
    assert {"labels_sentiment.txt", "labels_topic.txt"} <= set(written) and "labels.txt" not in written
    assert (tmp_path / "labels_topic.txt").read_text().splitlines() == ["topic_0", "topic_1", "topic_2"]


@pytest.mark.parametrize("kind", ["restext_small", "dpcnn", "vdcnn_9_chars"])
def test_quantized_ids_models_are_smaller_and_agree(kind):
    model = serving_model(kind)
    tokenizer = model.layers[1]
    ids = tokenizer(tf.constant(list(real_texts()))).numpy()
    reference = run_ids_model(ids_model(kind), ids)["probabilities"]
    for quantize, size_ratio, tolerance in [("float16", 0.7, 2e-2), ("dynamic-int8", 0.6, 5e-2)]:
        flatbuffer = ids_model(kind, quantize)
        assert len(flatbuffer) < size_ratio * len(ids_model(kind)), (quantize, len(flatbuffer))
        probabilities = run_ids_model(flatbuffer, ids)["probabilities"]
        assert np.abs(probabilities - reference).max() < tolerance, quantize


def test_bad_quantize_is_refused():
    expected = r"`quantize` must be one of \(None, 'float16', 'dynamic-int8'\). Received: quantize='int4'"
    with pytest.raises(ValueError, match=expected):
        convert_ids_model(serving_model("restext_small"), quantize="int4")


def test_a_float16_wide_model_answers_a_text_without_known_tokens():
    # The wide branch's norm has a floor; one that float16 cannot hold turned these into NaN.
    model = serving_model("restext_base")
    ids = model.layers[1](tf.constant(["", "zzzunseenzzz", "a great film"])).numpy()
    probabilities = run_ids_model(ids_model("restext_base", "float16"), ids)["probabilities"]
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities, run_ids_model(ids_model("restext_base"), ids)["probabilities"], atol=2e-2)
