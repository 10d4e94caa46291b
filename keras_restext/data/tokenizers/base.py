"""`Tokenizer`: the Keras-layer base of the word, char and wordpiece tokenizers.

Every tokenizer maps strings `[batch]` to int32 ids `[batch, length]` with 0 = padding and
1 = out-of-vocabulary, padded to the longest row of the batch (or to exactly `max_length` with
`pad_to_max_length=True`) and truncated to `max_length`. An empty string gives an all-zero row and
the output is never narrower than 1. Control characters (`CONTROL_CHARACTERS`) are spaces to every
tokenizer of text (the char tokenizer's "bytes" mode keeps every byte). Subclasses implement
`_ragged_ids(strings)`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable

import keras
import numpy as np
import tensorflow as tf

from keras_restext.checks import check_positive_int
from keras_restext.data.errors import DataError
from keras_restext.data.textdata import TextData
from keras_restext.dtypes import id_dtype_config, id_dtype_policy
from keras_restext.errors import ArgumentError
from keras_restext.token_ids import OOV_ID, OOV_TOKEN, PAD_ID, PAD_TOKEN


# C0 and C1 control characters but tab, newline and carriage return (white space already): each
# becomes a space in every tokenizer, in training and in serving alike. Kept, a NUL cut a text in
# `tf.strings.lower` (which reads a C string: "a lyr\0ical film" was "a lyr"); others glued words
# together or became tokens that no one can type.
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"


def replace_control_characters(strings: tf.Tensor) -> tf.Tensor:
    r"""Every control character of `strings` (see `CONTROL_CHARACTERS`) as a space; other bytes,
    invalid UTF-8 included, are left as they are.

    Example:
    >>> replace_control_characters(tf.constant(["a lyr\x00ical\tfilm"])).numpy().tolist()
    [b'a lyr ical\tfilm']
    """
    return tf.strings.regex_replace(strings, CONTROL_CHARACTERS, " ")


def too_few(data, counts: Counter, argument: str, minimum: int, item: str) -> ValueError:
    """The error of an `adapt()` that kept no token: blank texts (the wrong text column?), or a
    minimum count that no token reaches. Either would fail deep in TensorFlow ("keys and values
    cannot be empty tensors")."""
    if counts:
        return ArgumentError(
            f"`{argument}` leaves no {item}: none is seen {minimum} times or more in the texts. "
            f"Received: {argument}={minimum}",
            argument=argument,
        )
    return DataError(
        f"no {item} in any text: every text is empty, white space or control characters",
        path=data.path if isinstance(data, TextData) else None,
        expected="texts to learn a vocabulary from: is it the text column? (text_column= names another)",
    )


def string_batches(data, batch_size: int = 1024) -> tf.data.Dataset:
    """Any text collection as a dataset of string batches `[n]`: a `TextData`, a `tf.data.Dataset`
    of strings or of `(text, label)` pairs (batched or not), a list or array of strings."""
    if isinstance(data, TextData):
        data = data.dataset
    if isinstance(data, tf.data.Dataset):
        spec = data.element_spec
        if isinstance(spec, (tuple, list)):
            data = data.map(lambda *parts: parts[0])
            spec = spec[0]
        elif isinstance(spec, dict):
            raise ValueError("adapt() needs strings or (text, label) pairs, not dicts. Map the dataset to its text first.")
        if spec.dtype != tf.string:
            raise ValueError(f"adapt() needs strings. Received a dataset of {spec.dtype}")
        return data.batch(batch_size) if spec.shape.rank == 0 else data
    if isinstance(data, str):
        raise ValueError("adapt() needs a collection of texts, not a single string. Wrap it in a list.")
    texts = np.asarray(list(data) if not isinstance(data, np.ndarray) else data, dtype=object)
    return tf.data.Dataset.from_tensor_slices(tf.constant(texts.tolist(), dtype=tf.string, shape=[len(texts)])).batch(
        batch_size
    )


def count_items(batches: tf.data.Dataset, items_fn) -> Counter:
    """Counts the values that `items_fn(strings) -> tf.Tensor [n]` yields over all batches; the
    per-batch counting runs in the `tf.data` map, in parallel."""

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow ops: no source conversion needed
    def unique(strings):
        values, _, counts = tf.unique_with_counts(items_fn(strings))
        return values, counts

    counter: Counter = Counter()
    mapped = batches.map(unique, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)
    for values, counts in mapped.as_numpy_iterator():
        counter.update(dict(zip(values.tolist(), counts.tolist())))
    return counter


def top_items(counter: Counter, limit: int | None, min_count: int) -> list:
    """The items by decreasing count (ties by value, for a stable order), `min_count` or more."""
    items = sorted((item for item, n in counter.items() if n >= min_count), key=lambda item: (-counter[item], item))
    return items if limit is None else items[:limit]


def read_vocabulary_file(path: str) -> list[str]:
    with open(path, encoding="utf-8") as stream:
        return [line.rstrip("\r\n") for line in stream]


class Tokenizer(keras.layers.Layer):
    """Base class: input handling, truncation, padding, Keras plumbing. See the module docstring.

    Args:
        max_length: the longest output; longer texts are truncated.
        pad_to_max_length: pad every batch to exactly `max_length` (static shapes, TPU/XLA).
        lowercase: lower-case the text first.
        dtype: "int32" (the default), the dtype of the ids it returns: a tokenizer's dtype is its
            output's (Keras' convention, KerasHub's tokenizers'), so a float dtype is refused.
        **kwargs: `keras.layers.Layer` arguments (`name`, ...).
    """

    def __init__(
        self, *, max_length: int, pad_to_max_length: bool = False, lowercase: bool = True, dtype=None, **kwargs
    ):
        # The layer's dtype is its output's, as KerasHub's tokenizers: int32 ids, whatever the float policy.
        super().__init__(dtype=id_dtype_policy(dtype, int32_only=True), **kwargs)
        check_positive_int("max_length", max_length)
        self.max_length = int(max_length)
        self.pad_to_max_length = bool(pad_to_max_length)
        self.lowercase = bool(lowercase)
        # Like keras.layers.TextVectorization: string inputs, no conversion to float, no XLA.
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.supports_jit = False
        self.built = True

    @classmethod
    def from_config(cls, config: dict) -> Tokenizer:
        return super().from_config(id_dtype_config(config))  # old saves hold "string" or a float policy

    def build(self, input_shape=None):
        self.built = True

    # -- the part subclasses implement ---------------------------------------------------------
    def _ragged_ids(self, strings: tf.Tensor) -> tf.RaggedTensor:
        """strings `[batch]` → int ids `[batch, (length)]`, not yet truncated."""
        raise NotImplementedError

    def _check_ready(self) -> None:
        """Raises if the tokenizer needs `adapt()` or a vocabulary first."""

    # -- public API ---------------------------------------------------------------------------
    def tokenize_ragged(self, strings) -> tf.RaggedTensor:
        """strings `[batch]` → int32 ids `[batch, (length <= max_length)]` without padding."""
        self._check_ready()
        strings = tf.convert_to_tensor(strings, dtype=tf.string)
        if strings.shape.rank != 1:
            raise ValueError(f"tokenize_ragged() needs a batch of strings [batch]. Received shape {strings.shape}")
        ids = self._ragged_ids(strings)
        return tf.cast(ids[:, : self.max_length], tf.int32)

    def tokenize(self, strings) -> tf.Tensor:
        """strings `[batch]` (or a scalar, or `[batch, 1]`) → dense int32 ids `[batch, length]`."""
        strings = tf.convert_to_tensor(strings, dtype=tf.string)
        rank = strings.shape.rank
        if rank == 0:
            return self.tokenize(tf.expand_dims(strings, 0))[0]
        if rank == 2 and strings.shape[-1] == 1:
            strings = tf.squeeze(strings, axis=-1)
        elif rank != 1:
            raise ValueError(f"The tokenizer needs strings of shape [batch] or [batch, 1]. Received shape {strings.shape}")
        ids = self.tokenize_ragged(strings)
        if self.pad_to_max_length:
            return ids.to_tensor(default_value=PAD_ID, shape=[None, self.max_length])
        dense = ids.to_tensor(default_value=PAD_ID)
        missing = tf.maximum(1 - tf.shape(dense)[1], 0)  # an all-empty batch still has one column
        return tf.pad(dense, [[0, 0], [0, missing]])

    def call(self, inputs):
        return self.tokenize(inputs)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        batch = input_shape[0] if input_shape else None
        length = self.max_length if self.pad_to_max_length else None
        return (batch, length) if input_shape else (length,)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype="int32")

    def adapt(self, data, batch_size: int = 1024) -> Tokenizer:
        """Builds the vocabulary from texts (a `TextData`, a `tf.data.Dataset` of strings or of
        `(text, label)` pairs, or a list of strings). Returns the tokenizer itself."""
        raise NotImplementedError

    def vocabulary_size(self) -> int:
        """The id range, ids 0 (padding) and 1 (out-of-vocabulary) included: the model's `vocab_size`."""
        return len(self.get_vocabulary())

    def get_vocabulary(self) -> list[str]:
        """The token of every id: `[PAD_TOKEN, OOV_TOKEN, ...]`."""
        raise NotImplementedError

    def save_vocabulary(self, path: str | os.PathLike) -> str:
        """Writes `get_vocabulary()` one token per line (id = line number - 1)."""
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as stream:
            stream.write("".join(f"{token}\n" for token in self.get_vocabulary()))
        return path

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {"max_length": self.max_length, "pad_to_max_length": self.pad_to_max_length, "lowercase": self.lowercase}
        )
        return config


def normalize_vocabulary(vocabulary, reserved: Iterable[str] = (PAD_TOKEN, OOV_TOKEN)) -> list[str] | None:
    """A vocabulary argument (list, or path of a one-token-per-line file) as a token list without
    the reserved leading tokens; ValueError for duplicates."""
    if vocabulary is None:
        return None
    if isinstance(vocabulary, (str, os.PathLike)):
        path = os.fspath(vocabulary)
        if not os.path.isfile(path):
            raise ValueError(f"`vocabulary` must be a list of tokens or a vocabulary file. No such file: {path!r}")
        vocabulary = read_vocabulary_file(path)
    tokens = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in vocabulary]
    reserved = list(reserved)
    if tokens[: len(reserved)] == reserved:
        tokens = tokens[len(reserved):]
    seen, duplicates = set(), []
    for token in tokens:
        if token in seen:
            duplicates.append(token)
        seen.add(token)
    if duplicates:
        raise ValueError(f"`vocabulary` has duplicate tokens: {duplicates[:10]}")
    if any(t in reserved for t in tokens):
        raise ValueError(f"`vocabulary` must not contain the reserved tokens {reserved} except at the start")
    return tokens


__all__ = [
    "CONTROL_CHARACTERS",
    "OOV_ID",
    "OOV_TOKEN",
    "PAD_ID",
    "PAD_TOKEN",
    "Tokenizer",
    "check_positive_int",
    "count_items",
    "normalize_vocabulary",
    "replace_control_characters",
    "string_batches",
    "too_few",
    "top_items",
]
