"""`CharTokenizer`: characters (or UTF-8 bytes) → ids, with core TensorFlow ops only."""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_restext.checks import check_choice, check_positive_int
from keras_restext.data.tokenizers.base import (
    Tokenizer,
    count_items,
    normalize_vocabulary,
    replace_control_characters,
    string_batches,
    too_few,
    top_items,
)
from keras_restext.token_ids import OOV_ID, OOV_TOKEN, PAD_TOKEN

MODES = ("chars", "bytes")
# The character set of Zhang et al. (2015), which VDCNN (Conneau et al., 2017) uses: 26 letters,
# 10 digits, 32 punctuation marks and the space. Anything else maps to id 1 (out-of-vocabulary).
VDCNN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+=<>()[]{} "
ALPHABETS = {"vdcnn": VDCNN_ALPHABET}
_REPLACEMENT = 0xFFFD


@keras.saving.register_keras_serializable(package="keras_restext")
class CharTokenizer(Tokenizer):
    """Maps every character (or UTF-8 byte) of a text to an id.

    Modes:
        "chars": Unicode characters; the vocabulary is learned by `adapt()` (by decreasing count),
            given as `vocabulary=` (a list of single characters or a string), or a fixed alphabet
            (`alphabet="vdcnn"`: 69 characters, no adapt needed; `adapt()` then does nothing).
        "bytes": the 256 byte values, id = byte + 2 (`vocabulary_size()` 258), no vocabulary.

    Bytes that are not valid UTF-8 count as U+FFFD in "chars" mode, and control characters as
    spaces (`base.CONTROL_CHARACTERS`); "bytes" mode keeps every byte, a NUL included. `call` uses only core
    TensorFlow ops, so a SavedModel that contains it loads with a plain `import tensorflow`.

    Args:
        vocabulary: "chars" mode: the characters (a list or a string), most frequent first.
        mode: "chars" or "bytes".
        alphabet: None, "vdcnn", or a string of characters (a fixed vocabulary).
        lowercase: lower-case first (always on with `alphabet="vdcnn"`, which has no capitals).
        max_tokens: the largest `vocabulary_size()` when adapting, ids 0 and 1 included.
        min_count: keep only characters seen at least this often when adapting.
        max_length: the longest output (1024 for VDCNN); longer texts are truncated.
        pad_to_max_length: pad every batch to exactly `max_length`.

    Example:
    >>> tokenizer = CharTokenizer(alphabet="vdcnn", max_length=6)
    >>> tokenizer(["Hi!", ""]).numpy().tolist()
    [[9, 10, 42], [0, 0, 0]]
    """

    def __init__(
        self,
        vocabulary=None,
        *,
        mode: str = "chars",
        alphabet: str | None = None,
        lowercase: bool = True,
        max_tokens: int | None = None,
        min_count: int = 1,
        max_length: int = 1024,
        pad_to_max_length: bool = False,
        **kwargs,
    ):
        check_choice("mode", mode, MODES)
        if alphabet is not None and (mode == "bytes" or vocabulary is not None):
            raise ValueError(
                "`alphabet` sets a fixed vocabulary in 'chars' mode: pass neither `vocabulary` nor mode='bytes' with it."
            )
        if alphabet == "vdcnn":
            lowercase = True
        super().__init__(max_length=max_length, pad_to_max_length=pad_to_max_length, lowercase=lowercase, **kwargs)
        check_positive_int("max_tokens", max_tokens, allow_none=True)
        check_positive_int("min_count", min_count)
        self.mode = mode
        self.alphabet = alphabet
        self.max_tokens = max_tokens
        self.min_count = int(min_count)
        self._chars: list[str] | None = None
        self.lookup_table = None
        if mode == "bytes":
            keys = tf.constant([bytes([b]) for b in range(256)])
            init = tf.lookup.KeyValueTensorInitializer(keys, tf.range(2, 258, dtype=tf.int64))
            self.lookup_table = tf.lookup.StaticHashTable(init, default_value=OOV_ID)
        elif alphabet is not None:
            chars = ALPHABETS.get(alphabet, alphabet)
            if alphabet not in ALPHABETS and len(alphabet) < 2:
                raise ValueError(f"`alphabet` must be 'vdcnn' or a string of characters. Received: alphabet={alphabet!r}")
            self.set_vocabulary(list(dict.fromkeys(chars)))
        elif vocabulary is not None:
            self.set_vocabulary(list(vocabulary) if isinstance(vocabulary, str) else vocabulary)

    def set_vocabulary(self, chars) -> None:
        """Replaces the characters of "chars" mode (without the reserved "" and "[UNK]")."""
        if self.mode == "bytes":
            raise ValueError("mode='bytes' has a fixed vocabulary (the 256 byte values).")
        chars = normalize_vocabulary(chars)
        long = [c for c in chars if len(c) != 1]
        if long:
            raise ValueError(f"A character vocabulary holds single characters. Received: {long[:5]}")
        if self.max_tokens is not None:
            chars = chars[: self.max_tokens - 2]
        self._chars = chars
        init = tf.lookup.KeyValueTensorInitializer(
            tf.constant([ord(c) for c in chars], dtype=tf.int64, shape=[len(chars)]),
            tf.range(2, len(chars) + 2, dtype=tf.int64),
        )
        self.lookup_table = tf.lookup.StaticHashTable(init, default_value=OOV_ID)

    def _prepare(self, strings: tf.Tensor) -> tf.Tensor:
        if self.mode == "bytes":
            strings = tf.strings.lower(strings) if self.lowercase else strings  # ASCII only: byte-safe
            return tf.strings.substr(strings, 0, self.max_length)
        if self.lowercase:
            # Valid UTF-8 first: lower() with a UTF-8 encoding rejects broken bytes.
            strings = tf.strings.unicode_transcode(strings, "UTF-8", "UTF-8", errors="replace", replacement_char=_REPLACEMENT)
        strings = replace_control_characters(strings)  # before lower(), which stops at a NUL
        if self.lowercase:
            strings = tf.strings.lower(strings, encoding="utf-8")
        # A character takes at most 4 bytes: cutting there keeps the first max_length characters.
        return tf.strings.substr(strings, 0, 4 * self.max_length)

    def codepoints(self, strings: tf.Tensor) -> tf.RaggedTensor:
        """strings `[batch]` → Unicode code points `[batch, (chars)]`, bad bytes as U+FFFD."""
        return tf.strings.unicode_decode(
            self._prepare(strings), "UTF-8", errors="replace", replacement_char=_REPLACEMENT
        )

    def _check_ready(self) -> None:
        if self.lookup_table is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} has no vocabulary: call adapt(texts), pass vocabulary=, "
                "alphabet='vdcnn', or mode='bytes'."
            )

    def _ragged_ids(self, strings):
        if self.mode == "bytes":
            return tf.ragged.map_flat_values(self.lookup_table.lookup, tf.strings.bytes_split(self._prepare(strings)))
        points = self.codepoints(strings)[:, : self.max_length]
        return tf.ragged.map_flat_values(self.lookup_table.lookup, tf.cast(points, tf.int64))

    def adapt(self, data, batch_size: int = 1024) -> CharTokenizer:
        """Learns the characters of "chars" mode by decreasing count; does nothing for a fixed
        alphabet or "bytes" mode."""
        if self.mode == "bytes" or self.alphabet is not None:
            return self
        counts = count_items(string_batches(data, batch_size), lambda s: self.codepoints(s).flat_values)
        limit = None if self.max_tokens is None else self.max_tokens - 2
        chars = [chr(c) for c in top_items(counts, limit, self.min_count)]
        if not chars:
            raise too_few(data, counts, "min_count", self.min_count, "character")
        self.set_vocabulary(chars)
        return self

    def get_vocabulary(self) -> list[str]:
        self._check_ready()
        if self.mode == "bytes":
            return [PAD_TOKEN, OOV_TOKEN, *(bytes([b]).decode("latin-1") for b in range(256))]
        return [PAD_TOKEN, OOV_TOKEN, *self._chars]

    def get_config(self) -> dict:
        config = super().get_config()
        learned = self.mode == "chars" and self.alphabet is None and self._chars is not None
        config.update(
            {
                "vocabulary": list(self._chars) if learned else None,
                "mode": self.mode,
                "alphabet": self.alphabet,
                "max_tokens": self.max_tokens,
                "min_count": self.min_count,
            }
        )
        return config


__all__ = ["ALPHABETS", "CharTokenizer", "MODES", "VDCNN_ALPHABET"]
