"""Pretrained word vectors (word2vec / GloVe / fastText `.vec` text format) for the embedding layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np

from keras_restext.data.errors import DataError, shorten
from keras_restext.models.nested_layers import find_layer


@dataclass
class WordVectors:
    """An embedding matrix aligned with a tokenizer's vocabulary.

    Attributes:
        matrix: float32 `[len(vocabulary), dim]`; rows of covered words come from the file, the
            others are random (normal, scaled to the file's vectors), row 0 (padding) is zero.
        covered: how many vocabulary words (padding and OOV excluded) the file has.
        vocabulary_words: how many vocabulary words there are (padding and OOV excluded).
    """

    matrix: np.ndarray
    covered: int
    vocabulary_words: int

    @property
    def coverage(self) -> float:
        return self.covered / max(self.vocabulary_words, 1)

    def summary(self) -> str:
        return f"word vectors cover {self.covered}/{self.vocabulary_words} vocabulary words ({self.coverage:.1%})"


def load_word_vectors(path: str, vocabulary: Sequence[str], *, seed: int = 0) -> WordVectors:
    """Reads a `.vec`/GloVe text file and builds the embedding matrix for `vocabulary`.

    One vector per line, `word v1 v2 ... vD`, separated by spaces; an optional first line
    `COUNT DIM` (word2vec / fastText) is skipped. Only words of the vocabulary are kept, so a large
    file costs one pass and little memory. Ids 0 and 1 are padding and out-of-vocabulary.

    Args:
        path: the vectors file (UTF-8; undecodable bytes are replaced).
        vocabulary: the tokenizer's vocabulary, index = token id.
        seed: seed for the random rows of words the file lacks.

    Raises:
        DataError: naming the file and line, for a missing or empty file, a line whose number of
            values differs from the first vector's, or a value that is not a number.

    Example (with a GloVe file, an adapted tokenizer and a model, so not a doctest):

    ```python
    vectors = load_word_vectors("glove.6B.100d.txt", tokenizer.get_vocabulary())
    print(vectors.summary())
    set_embedding_weights(model, vectors.matrix, trainable=False)  # "static"
    ```
    """
    wanted = {word: index for index, word in enumerate(vocabulary) if index >= 2}
    found: dict[int, np.ndarray] = {}
    dim = None
    try:
        handle = open(path, encoding="utf-8", errors="replace")
    except OSError as error:
        raise DataError(f"cannot open the word vectors file ({error.strerror})", path=path) from None
    with handle:
        for line_number, line in enumerate(handle, start=1):
            parts = line.rstrip("\n").rstrip(" ").split(" ")
            if line_number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # the "COUNT DIM" header of word2vec / fastText files
            if len(parts) < 2 or not parts[0]:
                raise DataError(f"line has {len(parts)} fields", path=path, line=line_number,
                                expected="a word followed by its vector values, separated by spaces")
            if dim is None:
                dim = len(parts) - 1
            elif len(parts) - 1 != dim:
                raise DataError(f"vector has {len(parts) - 1} values", path=path, line=line_number,
                                expected=f"{dim} values, as in the first vector")
            index = wanted.get(parts[0])
            if index is None or index in found:
                continue
            try:
                found[index] = np.asarray(parts[1:], dtype="float32")
            except ValueError:
                bad = next(p for p in parts[1:] if not _is_number(p))
                raise DataError(f"value {shorten(bad)} is not a number", path=path, line=line_number,
                                expected="decimal numbers after the word") from None
    if dim is None:
        raise DataError("the word vectors file is empty", path=path, expected="lines of `word v1 ... vD`")
    rng = np.random.default_rng(seed)
    scale = float(np.std(np.stack(list(found.values())))) if found else 0.1
    matrix = rng.normal(scale=scale, size=(len(vocabulary), dim)).astype("float32")
    matrix[0] = 0.0
    for index, vector in found.items():
        matrix[index] = vector
    return WordVectors(matrix=matrix, covered=len(found), vocabulary_words=max(len(vocabulary) - 2, 0))


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _deep_vocabulary_size(model: keras.Model) -> int | None:
    """The ids the embedding keeps when a `LimitVocabulary` ("deep_vocabulary") feeds it, else None."""
    try:
        return find_layer(model, "deep_vocabulary").vocab_size
    except ValueError:
        return None


def set_embedding_weights(model: keras.Model, matrix: np.ndarray, *, trainable: bool = True) -> None:
    """Loads `matrix` into the model's "embedding" layer; `trainable=False` keeps it frozen ("static").

    `matrix` has a row per id of the tokenizer's vocabulary. A model whose embedding keeps only the
    most frequent ids (`deep_vocab_size`, e.g. `restext_base`: 30,000 of a larger vocabulary that
    the wide branch reads whole) takes the matrix's first rows: the vocabulary is ranked by
    frequency and `LimitVocabulary` maps the other ids to OOV.

    Raises:
        ValueError: when the matrix's dimension or vocabulary differs from the layer's, naming both.
    """
    layer = find_layer(model, "embedding")
    rows, dim = tuple(layer.embeddings.shape)
    if matrix.shape[1] != dim:
        raise ValueError(
            f"The word vectors have {matrix.shape[1]} dimensions; the model's embedding has {dim}: build the "
            "model with embedding_dim equal to the vectors' dimension."
        )
    if matrix.shape[0] > rows and _deep_vocabulary_size(model) == rows:
        matrix = matrix[:rows]
    if matrix.shape[0] != rows:
        raise ValueError(
            f"The word vectors matrix has {matrix.shape[0]} rows (one per id of the tokenizer's vocabulary); the "
            f"model's embedding has {rows}: build the model for the same tokenizer (vocab_size={matrix.shape[0]})."
        )
    layer.embeddings.assign(matrix)
    layer.trainable = trainable


__all__ = ["WordVectors", "load_word_vectors", "set_embedding_weights"]
