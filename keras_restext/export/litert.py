"""LiteRT (TensorFlow Lite) exports of a serving model, for apps on phones and other devices.

Two flatbuffers, both converted from a `tf.function` over the serving model's parts:

- `model.tflite`: raw UTF-8 strings `[batch]` in, `probabilities` and `label_id` out, the tokenizer
  inside. Its string ops (lower-casing, the punctuation regex, the whitespace split) run in
  LiteRT's Flex delegate (`SELECT_TF_OPS`); the word lookup is LiteRT's builtin hash table, and
  the network builtin ops. The tokenizer is rebuilt from ops that convert
  (`keras_restext.export.litert_tokenizers`); its ids equal the package tokenizer's.
- `model_ids.tflite`: int32 token ids `[batch, length]` in (0 = padding), `probabilities` and
  `label_id` out, LiteRT builtin ops only: for apps that tokenize themselves, following the
  `tokenization.md` written beside it (`keras_restext.export.tokenization`).

A multi-task model has `<task>_probabilities` and `<task>_label_id` for every task. Both models
take any batch size of one or more and any length (resize the input tensor before allocating).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

import keras
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

from keras_restext.errors import DataError
from keras_restext.export.artifacts import write_label_files
from keras_restext.export.integrity import AS_WRITTEN
from keras_restext.export.litert_tokenizers import convertible_tokenizer
from keras_restext.export.loading import keras_model_path, load_keras_model
from keras_restext.serving import (
    INPUT_NAME,
    SIGNATURE,
    LabelOutputs,
    serving_labels,
    serving_parts,
    serving_tasks,
)
from keras_restext.export.tokenization import TOKENIZATION_FILE, tokenization_spec

TEXT_MODEL_FILE = "model.tflite"
IDS_MODEL_FILE = "model_ids.tflite"
VOCABULARY_FILE = "vocabulary.txt"
IDS_INPUT_NAME = "token_ids"
QUANTIZATIONS = (None, "float16", "dynamic-int8")


# -- the classifier's outputs ------------------------------------------------------------------
def _outputs(classifier: keras.Model, heads: Sequence[LabelOutputs], ids: tf.Tensor) -> dict[str, tf.Tensor]:
    """probabilities and label_id of every head (the label strings stay in labels.txt: a string
    gather would need Flex in the ids model)."""
    probabilities = classifier(ids, training=False)
    outputs = {}
    for head in heads:
        task_probabilities = probabilities[head.task] if head.task is not None else probabilities
        task_probabilities = tf.cast(task_probabilities, tf.float32)
        names = head.output_names
        outputs[names[0]] = task_probabilities
        outputs[names[1]] = tf.argmax(task_probabilities, axis=-1, output_type=tf.int32)
    return outputs


# -- conversion ----------------------------------------------------------------------------------
def _check_quantize(quantize: str | None) -> None:
    if quantize not in QUANTIZATIONS:
        raise ValueError(f"`quantize` must be one of {QUANTIZATIONS}. Received: quantize={quantize!r}")


class _ConversionModule(tf.Module):
    """What the converter reads: the serving model's variables, the lookup tables of the function's
    tokenizer (`tokenizer`: None for none), and one function.

    Converted from a SavedModel of this module, not from the concrete function alone: from a
    concrete function the converter (TF 2.21) neither initialises a captured lookup table nor, when
    given the model to track, freezes the variables (they stay READ_VARIABLE ops, and the
    interpreter returns NaNs).
    """

    def __init__(self, model: keras.Model, function, *, tokenizer: tf.Module | None):
        super().__init__(name="restext_litert")
        self.model_variables = [variable.value for variable in model.variables]
        # Not the serving model's tables: an unused one still brings its initialiser into the graph.
        self.tokenizer = tokenizer
        self.serve = function


def _convert(model: keras.Model, function, *, flex: bool, tokenizer: tf.Module | None, quantize: str | None) -> bytes:
    with tempfile.TemporaryDirectory(prefix="restext-litert-") as folder:
        module = _ConversionModule(model, function, tokenizer=tokenizer)
        tf.saved_model.save(module, folder, signatures={SIGNATURE: function.get_concrete_function()})
        converter = tf.lite.TFLiteConverter.from_saved_model(folder, signature_keys=[SIGNATURE])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if flex:
            converter.target_spec.supported_ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
        if quantize is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]  # alone: dynamic-range int8 weights
            if quantize == "float16":
                converter.target_spec.supported_types = [tf.float16]
        return converter.convert()


def convert_ids_model(model: keras.Model, *, quantize: str | None = None) -> bytes:
    """Converts a serving model's classifier to a LiteRT flatbuffer on token ids, builtin ops only.

    Args:
        model: a model from `build_serving_model` (or loaded from its `model.keras`).
        quantize: None (float32), "float16" (float16 weights) or "dynamic-int8" (int8 weights,
            float activations).

    Returns:
        The flatbuffer: input `token_ids` (int32 `[batch, length]`, 0 = padding), outputs
        `probabilities` (float32 `[batch, classes]`) and `label_id` (int32 `[batch]`), per task for
        a multi-task model.

    Example:
    ```python
    open("model_ids.tflite", "wb").write(convert_ids_model(serving_model))
    ```
    """
    _check_quantize(quantize)
    _, classifier, heads = serving_parts(model)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name=IDS_INPUT_NAME)])
    def serve_ids(token_ids):
        return _outputs(classifier, heads, token_ids)

    return _convert(model, serve_ids, flex=False, tokenizer=None, quantize=quantize)


def convert_text_model(model: keras.Model, *, quantize: str | None = None) -> bytes:
    """Converts a serving model, tokenizer included, to a LiteRT flatbuffer on raw strings.

    Args:
        model: a model from `build_serving_model` with a word tokenizer or a char tokenizer in
            "chars" mode.
        quantize: None, "float16" or "dynamic-int8" (see `convert_ids_model`).

    Returns:
        The flatbuffer: input `text` (tf.string `[batch]`, batch >= 1), outputs `probabilities`
        and `label_id` (per task for a multi-task model). It needs the Flex delegate
        (on Android and iOS the select-TF-ops runtime; in Python TensorFlow 2.18's `tf.lite.Interpreter`,
        not 2.20's or later, nor ai-edge-litert 2.3's).

    Raises:
        ValueError: for a WordPiece or "bytes" tokenizer (see `convertible_tokenizer`).

    Example:
    ```python
    open("model.tflite", "wb").write(convert_text_model(serving_model))
    ```
    """
    _check_quantize(quantize)
    tokenizer, classifier, heads = serving_parts(model)
    tokenize = convertible_tokenizer(tokenizer)
    function = _text_function(classifier, heads, tokenize)
    # The word tokenizer holds its words table; the char tokenizer none (its vocabulary is compared).
    tracked = tokenize if isinstance(tokenize, tf.Module) else None
    return _convert(model, function, flex=True, tokenizer=tracked, quantize=quantize)


def text_function(model: keras.Model) -> tf.types.experimental.PolymorphicFunction:
    """The `tf.function` that `convert_text_model` converts: `text` → the outputs, with the
    convertible tokenizer. Running it in TensorFlow shows what `model.tflite` computes.

    Raises:
        ValueError: for a WordPiece or "bytes" tokenizer (see `convertible_tokenizer`).

    Example:
    ```python
    text_function(serving_model)(tf.constant(["a great film"]))["probabilities"]
    ```
    """
    tokenizer, classifier, heads = serving_parts(model)
    return _text_function(classifier, heads, convertible_tokenizer(tokenizer))


def _text_function(classifier: keras.Model, heads: Sequence[LabelOutputs], tokenize) -> tf.types.experimental.PolymorphicFunction:
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=INPUT_NAME)])
    def serve_text(text):
        return _outputs(classifier, heads, tokenize(text))

    return serve_text


def export_litert(
    model: keras.Model, export_dir: str, *, quantize: str | None = None
) -> dict[str, str]:
    """Writes the LiteRT models of a serving model and the files an app needs beside them.

    `export_dir` receives `model.tflite` (raw strings in; not for a WordPiece or "bytes" tokenizer,
    see `convertible_tokenizer`), `model_ids.tflite` (token ids in, builtins only),
    `vocabulary.txt`, `tokenization.md` and `labels.txt` (a multi-task model: `labels_<task>.txt`
    for every task).

    Args:
        model: a model from `build_serving_model` (or loaded from its `model.keras`).
        export_dir: the folder to write (created if missing; files in it are replaced).
        quantize: None (float32), "float16" or "dynamic-int8": post-training quantization of both
            models.

    Returns:
        File name → path of what was written; the key "skipped" holds why `model.tflite` was not.

    Example:
    ```python
    export_litert(serving_model, "litert/sst2", quantize="dynamic-int8")["model_ids.tflite"]
    # 'litert/sst2/model_ids.tflite'
    ```
    """
    _check_quantize(quantize)
    tokenizer, _, _ = serving_parts(model)
    export_dir = os.fspath(export_dir)
    os.makedirs(export_dir, exist_ok=True)
    written: dict[str, str] = {}

    def write(name: str, content: bytes) -> None:
        path = os.path.join(export_dir, name)
        with open(path, "wb") as stream:
            stream.write(content)
        if name.endswith(".tflite"):
            read_litert_model(path)  # what an app will read: whole, a flatbuffer that parses
        written[name] = path

    write(IDS_MODEL_FILE, convert_ids_model(model, quantize=quantize))
    try:
        tokenize = convertible_tokenizer(tokenizer)
    except ValueError as error:
        tokenize, written["skipped"] = None, f"{TEXT_MODEL_FILE}: {error}"
        stale = os.path.join(export_dir, TEXT_MODEL_FILE)
        if os.path.exists(stale):  # an earlier export's: it would not match the new model_ids.tflite
            os.remove(stale)
    if tokenize is not None:
        write(TEXT_MODEL_FILE, convert_text_model(model, quantize=quantize))
    tokenizer.save_vocabulary(os.path.join(export_dir, VOCABULARY_FILE))
    written[VOCABULARY_FILE] = os.path.join(export_dir, VOCABULARY_FILE)
    write(TOKENIZATION_FILE, tokenization_spec(tokenizer).encode("utf-8"))
    tasks = serving_tasks(model)
    written.update(write_label_files(export_dir, tasks if tasks is not None else serving_labels(model)))
    return written


def read_litert_model(path: str) -> bytes:
    """The bytes of a LiteRT model file, checked: the flatbuffer's `TFL3` identifier, a structure
    that parses (a cut or damaged file does not), at least one subgraph, and buffers stored after
    the flatbuffer (models over 2 GB) within the file.

    Raises:
        DataError: naming the file and what is wrong.

    Example:
    ```python
    content = read_litert_model("litert/sst2/model_ids.tflite")
    ```
    """
    with open(path, "rb") as f:
        content = f.read()
    if content[4:8] != b"TFL3":
        raise DataError(f"not a LiteRT model: no TFL3 identifier in bytes 4-8 ({content[:8]!r})", path=path,
                        expected=AS_WRITTEN)  # fmt: skip
    try:
        model = schema.ModelT.InitFromPackedBuf(content, 0)
    except Exception as error:  # noqa: BLE001  (struct.error, ValueError, ...: the flatbuffer reader's own)
        raise DataError(f"damaged: its flatbuffer does not parse ({error})", path=path, expected=AS_WRITTEN) from None
    outside = [(b.offset, b.size) for b in model.buffers or () if b.offset > 1]
    if not model.subgraphs or any(offset + size > len(content) for offset, size in outside):
        raise DataError("damaged: cut short or without a graph", path=path, expected=AS_WRITTEN)
    return content


def export_litert_from_path(model_path: str, export_dir: str, *, quantize: str | None = None) -> dict[str, str]:
    """`export_litert` for a saved model: a `model.keras`, or a SavedModel version folder (or an
    export folder of versions, its latest) written by restext, whose `model.keras` is converted.

    The SavedModel itself holds no Keras layers to convert (it tracks only variables and tables),
    which is why its version folder's `model.keras` is read.

    Args:
        model_path: a `.keras` file, a SavedModel version folder or an export folder.
        export_dir: the folder to write.
        quantize: None, "float16" or "dynamic-int8".

    Returns:
        What `export_litert` returns.

    Raises:
        DataError: when `model_path` names no model, or a SavedModel without `model.keras` beside it.

    Example:
    ```python
    export_litert_from_path("savedmodels/sst2", "litert/sst2")["model.tflite"]
    # 'litert/sst2/model.tflite'
    ```
    """
    _check_quantize(quantize)
    return export_litert(load_keras_model(keras_model_path(model_path)), export_dir, quantize=quantize)


__all__ = [
    "IDS_MODEL_FILE",
    "QUANTIZATIONS",
    "TEXT_MODEL_FILE",
    "VOCABULARY_FILE",
    "convert_ids_model",
    "convert_text_model",
    "export_litert",
    "export_litert_from_path",
    "read_litert_model",
    "text_function",
]
