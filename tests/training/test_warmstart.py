"""`train` with progressive (staged) training and with pretrained word vectors."""

import numpy as np
import pytest

from keras_restext.data import DataError
from keras_restext.training import train
from tests.training.helpers import CUES, FILLER, write_tsv

TWO_STAGES = {"stage_filters": (16, 16), "stage_blocks": (1, 1), "embedding_dim": 16, "stem_filters": 16}


@pytest.fixture
def files(tmp_path):
    return {
        "train": str(write_tsv(tmp_path / "train.tsv", 240, seed=0)),
        "validation": str(write_tsv(tmp_path / "dev.tsv", 40, seed=1)),
    }


@pytest.mark.parametrize("freeze", [False, True])
def test_progressive_trains_the_first_stage_then_the_full_network(tmp_path, files, freeze):
    lines = []
    result = train(
        **files, preset="restext_small", model_overrides=TWO_STAGES, epochs=2, progressive=True,
        freeze_grown=freeze, output=str(tmp_path / "run"), verbose=0, tensorboard=False, log=lines.append,
    )  # fmt: skip
    staged = [line for line in lines if "progressive" in line]
    # S = 2 stages, E = 2 epochs: stage 1 alone for max(1, 2 // 2) = 1 epoch, then the full network for 2.
    assert staged[0] == "restext: progressive stage 1/2: 1 epoch(s)"
    assert staged[1].startswith("restext: progressive stage 2/2: 2 epoch(s), starting from ")
    assert ("frozen" in staged[1]) == freeze
    assert result.epochs_run == 2 and len(result.history["loss"]) == 2
    classifier = result.classifier
    for name in ("embedding", "stem", "stage0_block0"):
        assert classifier.backbone.get_layer(name).trainable != freeze
    assert classifier.backbone.get_layer("stage1_block0").trainable and classifier.get_layer("probabilities").trainable


def test_progressive_with_one_stage_trains_as_usual(tmp_path, files):
    lines = []
    result = train(
        **files, preset="restext_small", epochs=1, progressive=True, output=str(tmp_path / "run"),
        verbose=0, tensorboard=False, log=lines.append,
    )  # fmt: skip
    assert any("single stage, nothing to grow" in line for line in lines)
    assert result.epochs_run == 1


def _vectors_file(tmp_path, words, dim=8, header=True):
    rng = np.random.default_rng(3)
    table = {word: rng.normal(size=dim).round(4) for word in words}
    lines = [f"{len(table)} {dim}"] if header else []
    lines += [word + " " + " ".join(str(v) for v in vector) for word, vector in table.items()]
    path = tmp_path / "vectors.vec"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path), table


@pytest.mark.parametrize("trainable", [False, True])
def test_embeddings_from_a_vectors_file(tmp_path, files, trainable):
    words = [w for cues in CUES.values() for w in cues] + FILLER[:100] + ["notinthedata"]
    path, table = _vectors_file(tmp_path, words)
    lines = []
    result = train(
        **files, preset="restext_small", epochs=1, embeddings=path, embeddings_trainable=trainable,
        output=str(tmp_path / "run"), verbose=0, tensorboard=False, log=lines.append,
    )  # fmt: skip
    vocabulary = result.tokenizer.get_vocabulary()
    covered = [w for w in vocabulary[2:] if w in table]
    coverage = next(line for line in lines if "word vectors cover" in line)
    assert f"cover {len(covered)}/{len(vocabulary) - 2} vocabulary words" in coverage
    assert "embedding_dim 32 -> 8" in coverage
    assert result.config["model"]["embedding_dim"] == 8
    embedding = result.classifier.backbone.get_layer("embedding")
    assert embedding.trainable == trainable
    matrix = np.asarray(embedding.embeddings)
    rows = np.stack([matrix[vocabulary.index(w)] for w in covered])
    expected = np.stack([table[w] for w in covered]).astype("float32")
    if trainable:  # fine-tuned: moved away from the file, but started there
        assert not np.array_equal(rows, expected)
        assert np.abs(rows - expected).max() < 0.5
    else:  # static: exactly the file's vectors after training
        np.testing.assert_array_equal(rows, expected)


def test_embeddings_with_a_preset_whose_embedding_keeps_the_frequent_ids(tmp_path, files):
    # restext_base embeds the 30,000 most frequent ids of a larger (bigram) vocabulary; here 40 of them.
    path, table = _vectors_file(tmp_path, [w for words in CUES.values() for w in words] + FILLER, dim=8)
    result = train(
        **files, preset="restext_base", model_overrides={"deep_vocab_size": 40}, epochs=1, embeddings=path,
        embeddings_trainable=False, output=str(tmp_path / "run"), verbose=0, tensorboard=False, log=None,
    )  # fmt: skip
    vocabulary = result.tokenizer.get_vocabulary()
    assert len(vocabulary) > 40  # the wide branch reads all of it
    embedding = np.asarray(result.classifier.backbone.get_layer("embedding").embeddings)
    assert embedding.shape == (40, 8)
    found = [i for i, token in enumerate(vocabulary[:40]) if token in table]
    assert found
    for i in found:
        np.testing.assert_allclose(embedding[i], table[vocabulary[i]], rtol=1e-6)


def test_a_malformed_vectors_file_names_its_line(tmp_path, files):
    path = tmp_path / "bad.vec"
    path.write_text("great 1 2 3\nboring 1 2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.vec:2: vector has 2 values; expected 3 values"):
        train(**files, preset="restext_small", epochs=1, embeddings=str(path), output=str(tmp_path / "run"),
              verbose=0, tensorboard=False, log=None)  # fmt: skip


def test_embeddings_need_a_word_tokenizer(tmp_path, files):
    path, _ = _vectors_file(tmp_path, ["great"])
    with pytest.raises(ValueError, match="word-level tokenizer"):
        train(**files, preset="vdcnn_9", epochs=1, embeddings=path, output=str(tmp_path / "run"), verbose=0,
              tensorboard=False, log=None)  # fmt: skip
