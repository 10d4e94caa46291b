"""`WordPieceTokenizer`: a sub-word vocabulary learned and applied with tensorflow-text.

Its `call` uses tensorflow-text ops (`FastWordpieceTokenizer`, `case_fold_utf8`, ...): a SavedModel
that contains it needs `import tensorflow_text` before `tf.saved_model.load` (the word and char
tokenizers need only TensorFlow).
"""

from __future__ import annotations

from collections import Counter

import keras
import tensorflow as tf

from keras_restext.checks import check_positive_int
from keras_restext.data.tokenizers.base import (
    Tokenizer,
    normalize_vocabulary,
    replace_control_characters,
    string_batches,
    too_few,
)

PAD = "[PAD]"
UNK = "[UNK]"
SUFFIX = "##"


def _text():
    import tensorflow_text  # imported on use: only this tokenizer needs it

    return tensorflow_text


@keras.saving.register_keras_serializable(package="keras_restext")
class WordPieceTokenizer(Tokenizer):
    """BERT-style WordPiece: words split into frequent sub-words (`"unwatchable"` → `un`,
    `##watch`, `##able`), so rare words are not all out-of-vocabulary.

    The vocabulary is learned by `adapt()` with tensorflow-text's `bert_vocab_from_dataset` (BERT's
    basic tokenizer: lower-casing, accent stripping and punctuation splitting when `lowercase`);
    `call` applies the same normalisation and a `FastWordpieceTokenizer`. Control characters are
    spaces to both (`base.CONTROL_CHARACTERS`). Ids: 0 = `[PAD]`,
    1 = `[UNK]` (a word that cannot be split into known pieces), then the learned pieces.

    Args:
        vocabulary: the pieces (a list, or the path of a one-per-line file), `[PAD]` and `[UNK]`
            first (added when missing). None: call `adapt()`.
        vocab_size: the largest vocabulary `adapt()` learns, the two reserved tokens included.
        lowercase: case-fold and strip accents, as BERT uncased.
        max_length: the longest output, in pieces; longer texts are truncated.
        pad_to_max_length: pad every batch to exactly `max_length`.

    Example:
    >>> tokenizer = WordPieceTokenizer(vocab_size=100).adapt(["a watchable film", "unwatchable films"])
    >>> tokenizer(["watchable"]).shape[0]
    1
    """

    def __init__(
        self,
        vocabulary=None,
        *,
        vocab_size: int = 8000,
        lowercase: bool = True,
        max_length: int = 256,
        pad_to_max_length: bool = False,
        **kwargs,
    ):
        super().__init__(max_length=max_length, pad_to_max_length=pad_to_max_length, lowercase=lowercase, **kwargs)
        check_positive_int("vocab_size", vocab_size)
        if vocab_size < 3:
            raise ValueError(f"`vocab_size` counts [PAD] and [UNK] too, so it must be >= 3. Received: vocab_size={vocab_size}")
        self.vocab_size = int(vocab_size)
        self._pieces: list[str] | None = None
        self._wordpiece = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    def set_vocabulary(self, vocabulary) -> None:
        """Replaces the pieces (a list or a file; `[PAD]` and `[UNK]` are put first if missing)."""
        pieces = normalize_vocabulary(vocabulary, reserved=(PAD, UNK))
        self._pieces = pieces
        self._wordpiece = _text().FastWordpieceTokenizer(
            vocab=[PAD, UNK, *pieces],
            suffix_indicator=SUFFIX,
            token_out_type=tf.int64,
            unknown_token=UNK,
            no_pretokenization=False,  # splits on whitespace and punctuation itself, like BERT
        )

    def normalize(self, strings: tf.Tensor) -> tf.Tensor:
        """BERT's normalisation: case folding, NFD and accent stripping when `lowercase`."""
        if not self.lowercase:
            return strings
        text = _text()
        strings = text.normalize_utf8(text.case_fold_utf8(strings), "NFD")
        return tf.strings.regex_replace(strings, r"\p{Mn}", "")

    def _check_ready(self) -> None:
        if self._wordpiece is None:
            raise ValueError(f"{type(self).__name__} {self.name!r} has no vocabulary: call adapt(texts) or pass vocabulary=.")

    def _ragged_ids(self, strings):
        strings = tf.strings.unicode_transcode(strings, "UTF-8", "UTF-8", errors="replace")
        return self._wordpiece.tokenize(self.normalize(replace_control_characters(strings)))

    def adapt(self, data, batch_size: int = 1024) -> WordPieceTokenizer:
        """Learns up to `vocab_size` pieces with `bert_vocab_from_dataset`."""
        from tensorflow_text.tools.wordpiece_vocab.bert_vocab_from_dataset import bert_vocab_from_dataset

        # Control characters as spaces, as `call` sees them (BERT's tokenizer drops some, keeps others).
        batches = string_batches(data, batch_size).map(replace_control_characters)
        try:
            vocabulary = bert_vocab_from_dataset(
                batches.prefetch(2),
                vocab_size=self.vocab_size,
                reserved_tokens=[PAD, UNK],
                bert_tokenizer_params={"lower_case": self.lowercase},
                learn_params={},
            )
        except StopIteration:  # what its word count raises when the texts hold no word
            raise too_few(data, Counter(), "vocab_size", self.vocab_size, "word") from None
        self.set_vocabulary(vocabulary)
        return self

    def get_vocabulary(self) -> list[str]:
        self._check_ready()
        return [PAD, UNK, *self._pieces]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"vocabulary": None if self._pieces is None else list(self._pieces), "vocab_size": self.vocab_size})
        return config


__all__ = ["WordPieceTokenizer"]
