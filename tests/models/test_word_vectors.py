import numpy as np
import pytest

from keras_restext import build_resnet_classifier
from keras_restext.data import DataError
from keras_restext.models.word_vectors import load_word_vectors, set_embedding_weights

VOCABULARY = ["", "[UNK]", "the", "movie", "great", "zyzzyva"]


def _write(tmp_path, text: str):
    path = tmp_path / "vectors.vec"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_rows_of_covered_words_equal_the_file(tmp_path):
    path = _write(tmp_path, "4 3\nthe 0.1 0.2 0.3\nmovie -1 0 1.5\ngreat 2 2 2\nunused 9 9 9\n")
    vectors = load_word_vectors(path, VOCABULARY)
    assert vectors.matrix.shape == (6, 3)
    np.testing.assert_array_equal(vectors.matrix[2], np.float32([0.1, 0.2, 0.3]))
    np.testing.assert_array_equal(vectors.matrix[3], [-1, 0, 1.5])
    np.testing.assert_array_equal(vectors.matrix[4], [2, 2, 2])
    np.testing.assert_array_equal(vectors.matrix[0], [0, 0, 0])
    assert (vectors.covered, vectors.vocabulary_words) == (3, 4)
    assert "3/4" in vectors.summary()


def test_static_and_non_static_embeddings(tmp_path):
    path = _write(tmp_path, "the 1 2\nmovie 3 4\n")  # GloVe style: no header
    vectors = load_word_vectors(path, VOCABULARY)
    model = build_resnet_classifier(2, len(VOCABULARY), preset="restext_small", embedding_dim=2)
    set_embedding_weights(model, vectors.matrix, trainable=False)
    embedding = model.get_layer("embedding")
    np.testing.assert_array_equal(np.asarray(embedding.embeddings)[2:4], [[1, 2], [3, 4]])
    assert not embedding.trainable
    assert all(w is not embedding.embeddings for w in model.trainable_weights)
    with pytest.raises(ValueError, match=r"The word vectors have 2 dimensions; the model's embedding has 32"):
        set_embedding_weights(build_resnet_classifier(2, 6, preset="restext_small"), vectors.matrix)
    with pytest.raises(ValueError, match=r"matrix has 6 rows .*; the model's embedding has 9: build the model for "
                                         r"the same tokenizer \(vocab_size=6\)"):
        set_embedding_weights(build_resnet_classifier(2, 9, preset="restext_small", embedding_dim=2), vectors.matrix)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("the 1 2 3\nmovie 1 2\n", "vectors.vec:2: vector has 2 values; expected 3 values"),
        ("the 1 2\nmovie 1 x\n", "vectors.vec:2: value 'x' is not a number"),
        ("", "the word vectors file is empty"),
        ("the\n", "vectors.vec:1: line has 1 fields"),
    ],
)
def test_malformed_files_name_the_line(tmp_path, text, fragment):
    with pytest.raises(DataError) as error:
        load_word_vectors(_write(tmp_path, text), VOCABULARY)
    assert fragment in str(error.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot open the word vectors file"):
        load_word_vectors(str(tmp_path / "nope.vec"), VOCABULARY)
