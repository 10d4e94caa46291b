"""LiteRT (TensorFlow Lite) exports of a serving model, for apps on phones and other devices.

Two flatbuffers, both converted from a `tf.function` over the serving model's parts:

- `model.tflite`: raw UTF-8 strings `[batch]` in, `probabilities` and `label_id` out, the tokenizer
  inside. Its string ops (lower-casing, the punctuation regex, the whitespace split) run in
  LiteRT's Flex delegate (`SELECT_TF_OPS`); the word lookup is LiteRT's builtin hash table, and
  the network builtin ops. TensorFlow's `StringNGrams` op has no Flex kernel, and ragged tensors
  do not convert, so the tokenizer is rebuilt here from the split's sparse output: every n-gram's
  id comes from the keys of its adjacent words of one row (`NGramLookup`: only the words are
  stored as strings), placed after the row's words, and the ids are scattered into the padded
  `[batch, length]` matrix the classifier reads. The ids equal the tokenizer's (tests compare
  them on real texts).
- `model_ids.tflite`: int32 token ids `[batch, length]` in (0 = padding), `probabilities` and
  `label_id` out, LiteRT builtin ops only: for apps that tokenize themselves, following the
  `tokenization.md` written beside it.

A multi-task model has `<task>_probabilities` and `<task>_label_id` for every task. Both models
take any batch size of one or more and any length (resize the input tensor before allocating).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence

import keras
import tensorflow as tf

from keras_restext.data.tokenizers import OOV_ID, CharTokenizer, WordPieceTokenizer, WordTokenizer
from keras_restext.export.ngram_lookup import NGramLookup
from keras_restext.export.serving import (
    INPUT_NAME,
    SIGNATURE,
    LabelOutputs,
    serving_labels,
    serving_tasks,
)

TEXT_MODEL_FILE = "model.tflite"
IDS_MODEL_FILE = "model_ids.tflite"
VOCABULARY_FILE = "vocabulary.txt"
LITERT_LABELS_FILE = "labels.txt"
TOKENIZATION_FILE = "tokenization.md"
IDS_INPUT_NAME = "token_ids"
QUANTIZATIONS = (None, "float16", "dynamic-int8")


def serving_parts(model: keras.Model) -> tuple[keras.layers.Layer, keras.Model, list[LabelOutputs]]:
    """The tokenizer, the classifier and the `LabelOutputs` layers of a serving model.

    Args:
        model: a model from `build_serving_model` (or loaded from its `model.keras`).

    Returns:
        `(tokenizer, classifier, label_layers)`, the label layers in the order of the model's layers.

    Raises:
        ValueError: for a model that is not a restext serving model.

    Example:
    ```python
    tokenizer, classifier, heads = serving_parts(serving_model)
    ```
    """
    from keras_restext.data.tokenizers import Tokenizer  # the base class of every restext tokenizer

    tokenizers = [layer for layer in model.layers if isinstance(layer, Tokenizer)]
    heads = [layer for layer in model.layers if isinstance(layer, LabelOutputs)]
    classifiers = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if len(tokenizers) != 1 or len(classifiers) != 1 or not heads:
        raise ValueError(
            f"Model {model.name!r} is not a restext serving model (a tokenizer, a classifier and LabelOutputs). "
            f"Received layers: {[layer.name for layer in model.layers]}"
        )
    return tokenizers[0], classifiers[0], heads


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


# -- the tokenizer, in ops that convert --------------------------------------------------------
def _scatter_ids(rows, positions, ids, batch, longest: tf.Tensor, max_length: int, pad_to_max_length: bool) -> tf.Tensor:
    """Sparse tokens (row, position, id) → dense int32 ids `[batch, length]`, truncated to
    `max_length` and padded like `Tokenizer.tokenize`: to the longest row, at least one column, or
    to exactly `max_length` with `pad_to_max_length`."""
    keep = positions < max_length
    rows, positions, ids = (tf.boolean_mask(x, keep) for x in (rows, positions, ids))
    if pad_to_max_length:
        width = tf.constant(max_length, tf.int32)
    else:
        width = tf.clip_by_value(longest, 1, max_length)
    indices = tf.stack([rows, positions], axis=1)
    return tf.scatter_nd(indices, tf.cast(ids, tf.int32), tf.stack([batch, width]))


def _row_counts(rows: tf.Tensor, batch: tf.Tensor) -> tf.Tensor:
    """How many items each of the `batch` rows has, from the sorted row index of every item."""
    return tf.math.unsorted_segment_sum(tf.ones_like(rows), rows, batch)


class LiteRTWordTokenizer(tf.Module):
    """`WordTokenizer.tokenize` rebuilt from ops that LiteRT converts (builtins and Flex).

    The words come from `StringSplitV2` (the op behind `tf.strings.split`) as sparse
    `(row, column)` indices. Their keys come from a string table of the words alone, and the
    n-grams of width k, the runs of k adjacent words of one row, get their ids from those keys
    (`NGramLookup`: no n-gram strings are joined or stored). They are placed after the row's words
    and its shorter n-grams, as `tf.strings.ngrams` orders them.

    Args:
        tokenizer: an adapted `WordTokenizer`.

    Example:
    ```python
    LiteRTWordTokenizer(tokenizer)(tf.constant(["a great film"]))  # == tokenizer(["a great film"])
    ```
    """

    def __init__(self, tokenizer: WordTokenizer):
        super().__init__(name="litert_word_tokenizer")
        # The settings, not the layer: tracking it would bring its table of every entry along.
        self._standardize = tokenizer.standardize
        self._ngrams, self._max_length = tokenizer.ngrams, tokenizer.max_length
        self._pad_to_max_length = tokenizer.pad_to_max_length
        self.lookup = NGramLookup(tokenizer.get_vocabulary(), tokenizer.ngrams)

    def __call__(self, text: tf.Tensor) -> tf.Tensor:
        """tf.string `[batch]` → int32 ids `[batch, length]`, equal to `tokenizer(text)`."""
        lookup = self.lookup
        batch = tf.shape(text)[0]
        strings = self._standardize(text)
        split = tf.raw_ops.StringSplitV2(input=strings, sep="", maxsplit=-1)  # "" = runs of whitespace
        rows = tf.cast(split.indices[:, 0], tf.int32)
        columns = tf.cast(split.indices[:, 1], tf.int32)
        keys = lookup.word_keys(split.values)
        counts = _row_counts(rows, batch)
        ids, token_rows, positions = [lookup.word_ids(keys)], [rows], [columns]
        offset = counts  # where the next width's n-grams start in each row
        total = tf.size(keys)
        nodes = keys  # the trie node of the n-gram starting at each word, one width at a time
        for width in range(2, self._ngrams + 1):
            # The n-gram starting at word i spans words i .. i+width-1: valid when they share a row.
            starts = tf.maximum(total - width + 1, 0)
            nodes = lookup.extend(nodes[:starts], keys[width - 1 : width - 1 + starts], width)
            first_rows = rows[:starts]
            same_row = tf.equal(first_rows, rows[width - 1 : width - 1 + starts])
            ids.append(tf.boolean_mask(lookup.ngram_ids(nodes, width), same_row))
            gram_rows = tf.boolean_mask(first_rows, same_row)
            token_rows.append(gram_rows)
            positions.append(tf.gather(offset, gram_rows) + tf.boolean_mask(columns[:starts], same_row))
            offset = offset + tf.maximum(counts - width + 1, 0)
        ids, token_rows, positions = (tf.concat(x, axis=0) for x in (ids, token_rows, positions))
        longest = tf.reduce_max(tf.concat([offset, [0]], axis=0))
        return _scatter_ids(token_rows, positions, ids, batch, longest, self._max_length, self._pad_to_max_length)


def char_token_ids(tokenizer: CharTokenizer, text: tf.Tensor) -> tf.Tensor:
    """`CharTokenizer.tokenize` ("chars" mode) rebuilt from ops that LiteRT converts.

    Args:
        tokenizer: a `CharTokenizer` in "chars" mode with its vocabulary.
        text: tf.string `[batch]`.

    Returns:
        int32 ids `[batch, length]`, equal to `tokenizer(text)`.

    Example:
    ```python
    char_token_ids(CharTokenizer(alphabet="vdcnn"), tf.constant(["Hi!"]))
    ```
    """
    batch = tf.shape(text)[0]
    decoded = tf.raw_ops.UnicodeDecode(
        input=tokenizer._prepare(text), input_encoding="UTF-8", errors="replace",
        replacement_char=0xFFFD, Tsplits=tf.int32,
    )  # fmt: skip
    splits, points = decoded.row_splits, decoded.char_values
    index = tf.range(tf.size(points), dtype=tf.int32)
    # The row of code point i: how many rows end at or before it (no ragged ops in LiteRT).
    rows = tf.reduce_sum(tf.cast(splits[1:][tf.newaxis, :] <= index[:, tf.newaxis], tf.int32), axis=1)
    positions = index - tf.gather(splits, rows)
    ids = _lookup_characters(tokenizer, points)
    longest = tf.reduce_max(tf.concat([splits[1:] - splits[:-1], [0]], axis=0))
    return _scatter_ids(rows, positions, ids, batch, longest, tokenizer.max_length, tokenizer.pad_to_max_length)


def _lookup_characters(tokenizer: CharTokenizer, points: tf.Tensor) -> tf.Tensor:
    """The id of every code point, by comparison with the character list: LiteRT's builtin hash
    tables map strings to ints, not ints to ints. The comparison is `[characters, vocabulary]`:
    cheap for VDCNN's 69 characters, heavy for a learned vocabulary of thousands."""
    keys = tf.constant([ord(c) for c in tokenizer.get_vocabulary()[2:]], tf.int32)
    equal = tf.equal(points[:, tf.newaxis], keys[tf.newaxis, :])
    found = tf.reduce_any(equal, axis=1)
    return tf.where(found, tf.argmax(tf.cast(equal, tf.int32), axis=1, output_type=tf.int32) + 2, OOV_ID)


def convertible_tokenizer(tokenizer: keras.layers.Layer) -> Callable[[tf.Tensor], tf.Tensor]:
    """The function strings `[batch]` → int32 ids that `model.tflite` runs in place of `tokenizer`.

    Raises:
        ValueError: for a tokenizer whose ops LiteRT cannot run (WordPiece: tensorflow-text's ops
            are neither builtins nor Flex ops; "bytes" mode: not rebuilt here).

    Example:
    ```python
    ids = convertible_tokenizer(tokenizer)(tf.constant(["a great film"]))
    ```
    """
    if isinstance(tokenizer, WordTokenizer):
        return LiteRTWordTokenizer(tokenizer)
    if isinstance(tokenizer, CharTokenizer) and tokenizer.mode == "chars":
        return lambda text: char_token_ids(tokenizer, text)
    if isinstance(tokenizer, WordPieceTokenizer):
        raise ValueError(
            "model.tflite cannot hold a WordPiece tokenizer: tensorflow-text's ops are neither LiteRT builtins nor "
            "Flex ops (the converter: \"'tf.FastWordpieceTokenizeWithOffsets' op is neither a custom op nor a flex "
            "op\"). Use model_ids.tflite and tokenize in the app (tokenization.md)."
        )
    raise ValueError(
        f"model.tflite supports the word tokenizer and the char tokenizer in 'chars' mode. Received "
        f"{type(tokenizer).__name__}{' in mode ' + repr(tokenizer.mode) if hasattr(tokenizer, 'mode') else ''}: "
        "use model_ids.tflite."
    )


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


def operator_names(flatbuffer: bytes) -> list[str]:
    """The distinct operators of a LiteRT flatbuffer: builtin names (`"CONV_2D"`) and custom ones
    (Flex ops are custom ops named `"Flex<TensorFlow op>"`, e.g. `"FlexStringLower"`).

    Example:
    ```python
    [name for name in operator_names(open("model.tflite", "rb").read()) if name.startswith("Flex")]
    # ['FlexStringLower', ...]
    ```
    """
    from tensorflow.lite.python import schema_py_generated as schema

    builtins = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    model = schema.ModelT.InitFromPackedBuf(flatbuffer, 0)
    names = []
    for operator in model.operatorCodes:
        # Codes above 127 live in builtinCode; older ones in deprecatedBuiltinCode too.
        code = max(operator.builtinCode, operator.deprecatedBuiltinCode)
        if code == schema.BuiltinOperator.CUSTOM:
            custom = operator.customCode
            names.append(custom.decode("utf-8") if isinstance(custom, bytes) else custom)
        else:
            names.append(builtins[code])
    return sorted(set(names))


# -- the files beside the models -----------------------------------------------------------------
def tokenization_spec(tokenizer: keras.layers.Layer) -> str:
    """The Markdown spec of what an app must do to turn a text into `model_ids.tflite`'s input.

    Example:
    ```python
    print(tokenization_spec(tokenizer))
    ```
    """
    length = (
        f"exactly {tokenizer.max_length} (pad every text to it)"
        if tokenizer.pad_to_max_length
        else f"from 1 to {tokenizer.max_length}: pad a batch to its longest text (the model masks padding, so "
        "it does not change the probabilities); a batch of one text needs no padding"
    )
    common_tail = [
        "",
        "## Ids, truncation and padding",
        f"- Keep the first {tokenizer.max_length} ids of a text (`max_length`); drop the rest.",
        "- Padding is id 0, appended at the end. An empty text is one id 0.",
        f"- Input: int32 `[batch, length]`, the length {length}. Resize the input tensor to the batch's shape "
        "before allocating tensors.",
        "- Outputs: `probabilities` float32 `[batch, classes]` (classes in the order of `labels.txt`) and "
        "`label_id` int32 `[batch]` (the line of `labels.txt`, from 0).",
    ]
    if isinstance(tokenizer, WordTokenizer):
        punctuation = {
            "split": "put a space before and after every punctuation mark or symbol (every character of Unicode "
            "general category P* or S*: regex `[\\p{P}\\p{S}]`), so that each becomes a word of its own",
            "strip": "replace every punctuation mark or symbol (Unicode category P* or S*) with a space",
            "keep": "leave punctuation as it is",
        }[tokenizer.punctuation]
        lines = [
            "# Tokenization for model_ids.tflite",
            "",
            "Word tokens. `vocabulary.txt` holds one token per line; the id of a token is its line number "
            "minus 1 (line 1 is the empty padding token, id 0; line 2 `[UNK]`, id 1).",
            "",
            "## Steps",
            "1. Lower-case: "
            + ("Unicode lower-casing of every character (full case mapping)." if tokenizer.lowercase else "none."),
            f"2. Punctuation: {punctuation}.",
            "3. Split on runs of ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r) and drop empty words; other "
            "spaces (such as U+00A0) stay inside words.",
        ]
        if tokenizer.ngrams > 1:
            widths = ", ".join(str(n) for n in range(2, tokenizer.ngrams + 1))
            lines.append(
                f"4. N-grams of {widths} words: after the words, append every run of n adjacent words joined by one "
                "space (\"not\", \"good\" → \"not good\"), in order of position"
                + (", all 2-grams before the 3-grams, and so on." if tokenizer.ngrams > 2 else ".")
            )
        lines.append(
            f"{5 if tokenizer.ngrams > 1 else 4}. Map every token to its id: a token missing from `vocabulary.txt` "
            "is 1."
        )
        return "\n".join(lines + common_tail) + "\n"
    if isinstance(tokenizer, CharTokenizer):
        if tokenizer.mode == "bytes":
            steps = [
                f"1. Lower-case: {'ASCII letters A-Z only' if tokenizer.lowercase else 'none'}.",
                "2. Every UTF-8 byte b of the text is one token, id b + 2.",
            ]
        else:
            steps = [
                "1. Replace every invalid UTF-8 sequence with U+FFFD.",
                f"2. Lower-case: {'Unicode lower-casing of every character' if tokenizer.lowercase else 'none'}.",
                "3. Every Unicode code point is one token; its id is the line number minus 1 of that character in "
                "`vocabulary.txt`, 1 when it is missing (line 1 is padding, id 0; line 2 `[UNK]`, id 1).",
            ]
        lines = ["# Tokenization for model_ids.tflite", "", "Character tokens.", "", "## Steps", *steps]
        return "\n".join(lines + common_tail) + "\n"
    if isinstance(tokenizer, WordPieceTokenizer):
        lines = [
            "# Tokenization for model_ids.tflite",
            "",
            "WordPiece tokens, as BERT's tokenizer produces them (`vocabulary.txt` is a BERT vocabulary: line 1 "
            "`[PAD]`, id 0; line 2 `[UNK]`, id 1; the id of a piece is its line number minus 1).",
            "",
            "## Steps",
            "1. Replace every invalid UTF-8 sequence with U+FFFD.",
            "2. "
            + (
                "Case-fold, normalise to NFD and remove combining marks (Unicode category Mn), as BERT uncased."
                if tokenizer.lowercase
                else "No normalisation."
            ),
            "3. Split on whitespace and around every punctuation character, as BERT's basic tokenizer does.",
            "4. Split each word greedily into the longest pieces in `vocabulary.txt`, continuation pieces with the "
            "prefix `##`; a word that cannot be split is one `[UNK]` (id 1).",
            "",
            "Any BERT WordPiece implementation (e.g. the TensorFlow Lite Support library's `BertTokenizer`) does this "
            "with this vocabulary.",
        ]
        return "\n".join(lines + common_tail) + "\n"
    raise ValueError(
        f"No tokenization spec for {type(tokenizer).__name__}: expected a word, char or wordpiece tokenizer"
    )


def _write_lines(path: str, lines: Sequence[str]) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("".join(f"{line}\n" for line in lines))


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
    if tasks is None:
        _write_lines(os.path.join(export_dir, LITERT_LABELS_FILE), serving_labels(model))
        written[LITERT_LABELS_FILE] = os.path.join(export_dir, LITERT_LABELS_FILE)
    else:
        for task, labels in tasks.items():
            name = f"labels_{task}.txt"
            _write_lines(os.path.join(export_dir, name), labels)
            written[name] = os.path.join(export_dir, name)
    return written


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
    from keras_restext.export.loading import keras_model_path, load_keras_model

    _check_quantize(quantize)
    return export_litert(load_keras_model(keras_model_path(model_path)), export_dir, quantize=quantize)


__all__ = [
    "IDS_MODEL_FILE",
    "LiteRTWordTokenizer",
    "QUANTIZATIONS",
    "TEXT_MODEL_FILE",
    "TOKENIZATION_FILE",
    "VOCABULARY_FILE",
    "char_token_ids",
    "convert_ids_model",
    "convert_text_model",
    "convertible_tokenizer",
    "export_litert",
    "export_litert_from_path",
    "operator_names",
    "serving_parts",
    "text_function",
    "tokenization_spec",
]
