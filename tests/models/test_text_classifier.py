import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext import ResTextBackbone, ResTextClassifier, ResTextPreprocessor, build_resnet_classifier
from keras_restext.data import make_tokenizer
from keras_restext.export import predict_with_session_loader

REPO = Path(__file__).resolve().parents[2]
RNG = np.random.default_rng(0)
GOOD, BAD = ["fine", "great", "moving", "witty"], ["dull", "awful", "flat", "boring"]
FILLER = ["a", "the", "film", "plot", "was", "and", "very"]


def _texts(n: int) -> tuple[list[str], list[str]]:
    """Sentences whose label is said by one word among filler words."""
    texts, labels = [], []
    for i in range(n):
        label = ["neg", "pos"][i % 2]
        words = list(RNG.choice(FILLER, size=RNG.integers(2, 12))) + [RNG.choice(GOOD if label == "pos" else BAD)]
        RNG.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


TEXTS, LABELS = _texts(96)
TEST_TEXTS = ["a fine film", "the plot was dull", "", "words never seen", "great " * 300]
MANY_TEXTS = (TEXTS + TEST_TEXTS) * 6  # several predict batches of different lengths


@pytest.fixture
def trained():
    keras.utils.set_random_seed(0)
    classifier = ResTextClassifier.from_preset("restext_small", num_classes=2)  # compiled with its recipe
    history = classifier.fit(TEXTS, LABELS, epochs=4, verbose=0)
    return classifier, history


def test_fit_predict_evaluate_on_raw_strings(trained):
    classifier, history = trained
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert classifier.preprocessor.labels == ["neg", "pos"]
    probabilities = classifier.predict(TEST_TEXTS, verbose=0)
    assert probabilities.shape == (len(TEST_TEXTS), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    loss, accuracy = classifier.evaluate(TEXTS, LABELS, verbose=0)
    assert accuracy > 0.8  # the label word is in every text
    # NumPy arrays and a tf.data.Dataset of raw pairs (batched or not) are the same examples.
    dataset = tf.data.Dataset.from_tensor_slices((TEXTS, LABELS))
    for data in ((np.array(TEXTS), np.array(LABELS)), (dataset,), (dataset.batch(7),)):
        assert classifier.evaluate(*data, verbose=0) == pytest.approx([loss, accuracy], rel=1e-5)


def test_integer_labels_are_class_ids():
    keras.utils.set_random_seed(0)
    classifier = ResTextClassifier.from_preset("restext_small", num_classes=3)
    classifier.compile()
    classifier.fit(TEXTS[:30], [i % 3 for i in range(30)], epochs=1, verbose=0)
    assert classifier.preprocessor.labels == ["0", "1", "2"]
    with pytest.raises(ValueError, match="name 2 classes"):
        other = ResTextClassifier.from_preset("restext_small", num_classes=3)
        other.compile()
        other.fit(TEXTS, LABELS, epochs=1, verbose=0)


def test_the_wide_branch_gets_the_training_idfs():
    keras.utils.set_random_seed(0)
    classifier = ResTextClassifier.from_preset("restext_base", num_classes=2, tokenizer={"max_tokens": 500})
    classifier.compile()
    classifier.fit(TEXTS, LABELS, epochs=1, verbose=0)
    idf = classifier.get_layer("probabilities_wide_logits").idf.numpy()
    assert idf[0] == 0 and idf[2] >= 1.0 and idf.max() > idf[2]  # frequent tokens weigh less


def test_a_character_model_with_wide_ngrams_fits_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    chars = {"kind": "char", "mode": "chars", "alphabet": "vdcnn", "max_length": 64}
    backbone = ResTextBackbone(vocab_size=make_tokenizer(**chars).vocabulary_size(), stage_filters=(8,), stem_filters=8)
    classifier = ResTextClassifier(
        backbone, 2, preprocessor=ResTextPreprocessor(make_tokenizer(**chars)), wide_scale=2.0,
        wide_ngrams=(2, 3), wide_buckets=4096,
    )
    classifier.fit(TEXTS, LABELS, epochs=1, batch_size=8, verbose=0)
    idf = classifier.get_layer("probabilities_wide_logits").idf.numpy()
    assert idf.shape == (4097,) and 50 < np.count_nonzero(idf) < 4097  # the texts' character bigrams and trigrams
    classifier.save_to_preset(str(tmp_path / "preset"))
    restored = ResTextClassifier.from_preset(str(tmp_path / "preset"))
    assert restored.head_config["wide_ngrams"] == (2, 3)
    np.testing.assert_allclose(restored.predict(TEXTS[:8], verbose=0), classifier.predict(TEXTS[:8], verbose=0), atol=1e-6)


def test_save_to_preset_and_back(tmp_path, trained):
    classifier, _ = trained
    expected = classifier.predict(MANY_TEXTS, verbose=0)
    classifier.save_to_preset(str(tmp_path / "preset"))
    config = json.loads((tmp_path / "preset" / "config.json").read_text())
    assert "film" not in json.dumps(config)  # the vocabulary is an asset, not config
    assert "film" in json.loads((tmp_path / "preset" / "assets" / "vocabulary.json").read_text())
    restored = ResTextClassifier.from_preset(str(tmp_path / "preset"))
    np.testing.assert_array_equal(restored.predict(MANY_TEXTS, verbose=0), expected)
    assert restored.get_config() == classifier.get_config()
    fresh = ResTextClassifier.from_preset(str(tmp_path / "preset"), load_weights=False)
    assert not np.allclose(fresh.predict(MANY_TEXTS, verbose=0), expected)
    with pytest.raises(ValueError, match="knows its classes"):
        ResTextClassifier.from_preset(str(tmp_path / "preset"), num_classes=2)


def test_keras_file_round_trip(tmp_path, trained):
    classifier, _ = trained
    classifier.save(tmp_path / "classifier.keras")
    restored = keras.saving.load_model(tmp_path / "classifier.keras", safe_mode=True)
    assert isinstance(restored, ResTextClassifier)
    np.testing.assert_array_equal(restored.predict(MANY_TEXTS, verbose=0), classifier.predict(MANY_TEXTS, verbose=0))
    restored.fit(TEXTS[:16], LABELS[:16], epochs=1, verbose=0)  # trains on after loading


def test_export_serves_the_same_probabilities(tmp_path, trained):
    classifier, _ = trained
    expected = classifier.predict(TEST_TEXTS, verbose=0)
    path = classifier.export(str(tmp_path / "1"))
    served = tf.saved_model.load(path).signatures["serving_default"](text=tf.constant(TEST_TEXTS))
    np.testing.assert_allclose(served["probabilities"].numpy(), expected, atol=1e-5)
    assert [label.decode() for label in served["label"].numpy()] == [["neg", "pos"][i] for i in expected.argmax(1)]
    np.testing.assert_allclose(predict_with_session_loader(path, TEST_TEXTS)["probabilities"], expected, atol=1e-5)


def test_padding_does_not_change_predictions(trained):
    classifier, _ = trained
    ids = classifier.preprocessor.tokenizer(tf.constant(["a fine film", "the plot was dull and flat"]))
    padded = tf.pad(ids, [[0, 0], [0, 17]])
    np.testing.assert_allclose(classifier(padded).numpy(), classifier(ids).numpy(), atol=1e-6)


def _cross_entropy(targets, probabilities, smoothing, weights=None):
    """The mean label-smoothed cross-entropy over the batch (weighted examples count in the mean)."""
    targets = targets * (1 - smoothing) + smoothing / targets.shape[-1]
    per_example = -np.sum(targets * np.log(np.clip(probabilities, 1e-7, 1.0)), axis=-1)
    return np.mean(per_example * (1.0 if weights is None else weights))


def _deep_supervised(tasks=None, weight=0.5, deep_loss_only=False):
    """A wide & deep classifier on token ids with no dropout, so that training and inference agree."""
    keras.utils.set_random_seed(0)
    backbone = ResTextBackbone(40, embedding_dim=8, stage_filters=(8,), stage_blocks=(1,))
    heads = {"tasks": tasks} if tasks else {"num_classes": 3}
    classifier = ResTextClassifier(backbone, **heads, head_dropout=0.0, wide_scale=2.0, deep_loss_weight=weight,
                                   deep_loss_only=deep_loss_only, recipe={"label_smoothing": 0.1})  # fmt: skip
    classifier.compile(optimizer=keras.optimizers.SGD(0.1))
    return classifier


IDS = np.array([[3, 4, 5, 0], [6, 7, 8, 9], [10, 3, 0, 0], [11, 12, 13, 14]], "int32")
TARGETS = np.eye(3, dtype="float32")[[0, 1, 2, 1]]


@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_deep_loss_weight_adds_the_deep_logits_own_cross_entropy(weight):
    classifier = _deep_supervised(weight=weight)
    probabilities, deep_logits = classifier._with_deep_logits()(IDS, training=False)
    expected = _cross_entropy(TARGETS, probabilities.numpy(), 0.1) + weight * _cross_entropy(
        TARGETS, tf.nn.softmax(deep_logits["probabilities"]).numpy(), 0.1
    )
    loss = classifier.train_on_batch(IDS, TARGETS, return_dict=True)["loss"]
    assert loss == pytest.approx(expected, rel=1e-5)
    clone = ResTextClassifier.from_config(classifier.get_config())
    assert clone.head_config["deep_loss_weight"] == weight
    assert len(clone.weights) == len(classifier.weights)  # the deep-logits view adds no weights


def _trunk_gradients(classifier, loss_of) -> list[np.ndarray]:
    trunk = classifier.backbone.trainable_weights
    with tf.GradientTape() as tape:
        probabilities, deep_logits = classifier._with_deep_logits()(IDS, training=False)
        loss = loss_of(probabilities, deep_logits["probabilities"])
    # A weight that the loss does not reach gets None, i.e. zero.
    return [np.zeros(w.shape) if g is None else tf.convert_to_tensor(g).numpy() for w, g in zip(trunk, tape.gradient(loss, trunk))]


def test_deep_loss_only_trains_the_trunk_by_its_own_loss_alone():
    both = _deep_supervised(deep_loss_only=False)
    alone = _deep_supervised(deep_loss_only=True)
    cross_entropy = keras.losses.CategoricalCrossentropy()
    whole = lambda probabilities, deep: cross_entropy(TARGETS, probabilities)  # noqa: E731
    deep_only = lambda probabilities, deep: cross_entropy(TARGETS, tf.nn.softmax(deep))  # noqa: E731
    # The same trunk; the sum starts from the wide branch alone (the deep logits' map is zero).
    wide = keras.Model(alone.input, alone.get_layer("probabilities_wide_logits").output)
    np.testing.assert_allclose(alone.predict(IDS, verbose=0), tf.nn.softmax(wide(IDS)).numpy(), rtol=1e-6)
    assert all(not np.any(g) for g in _trunk_gradients(alone, whole))
    assert any(np.any(g) for g in _trunk_gradients(both, whole))
    for left, right in zip(_trunk_gradients(alone, deep_only), _trunk_gradients(both, deep_only)):
        np.testing.assert_allclose(left, right, rtol=1e-5, atol=1e-8)
    clone = ResTextClassifier.from_config(alone.get_config())
    assert clone.head_config["deep_loss_only"] is True
    # The sum learns how far to trust the trunk: its map of the deep logits moves off zero.
    alone.train_on_batch(IDS, TARGETS)
    assert np.any(keras.ops.convert_to_numpy(alone.get_layer("probabilities_deep_weight").kernel))


def test_deep_loss_only_needs_a_deep_loss():
    with pytest.raises(ValueError, match="`deep_loss_only` .* needs `deep_loss_weight` > 0"):
        _deep_supervised(weight=0.0, deep_loss_only=True)


def test_deep_loss_weight_covers_every_task_and_its_missing_labels():
    tasks = {"sentiment": 3, "topic": 3}
    classifier = _deep_supervised(tasks)
    classifier.compile(optimizer=keras.optimizers.SGD(0.1), loss_weights=dict.fromkeys(tasks, 1.0))
    targets = {"sentiment": TARGETS, "topic": TARGETS[::-1]}
    weights = {"sentiment": np.array([1, 1, 0, 1], "float32"), "topic": np.array([0, 1, 1, 1], "float32")}
    probabilities, deep_logits = classifier._with_deep_logits()(IDS, training=False)
    expected = sum(
        _cross_entropy(targets[t], probabilities[t].numpy(), 0.1, weights[t])
        + 0.5 / len(tasks) * _cross_entropy(targets[t], tf.nn.softmax(deep_logits[t]).numpy(), 0.1, weights[t])
        for t in tasks
    )
    loss = classifier.train_on_batch(IDS, targets, sample_weight=weights, return_dict=True)["loss"]
    assert loss == pytest.approx(expected, rel=1e-5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="Unknown preset 'nope'"):
        ResTextClassifier.from_preset("nope", num_classes=2)
    with pytest.raises(ValueError, match="exactly one of `num_classes`"):
        ResTextClassifier.from_preset("restext_small")
    classifier = ResTextClassifier.from_preset("restext_small", num_classes=2)
    classifier.compile()
    with pytest.raises(ValueError, match="need labels"):
        classifier.fit(TEXTS)
    with pytest.raises(ValueError, match="fit"):
        classifier.export("unused")


def test_backbone_config_is_its_arguments():
    backbone = ResTextBackbone(50, embedding_dim=8, stage_filters=(8, 16), stage_blocks=(1, 2), norm="layer")
    config = backbone.get_config()
    assert config["vocab_size"] == 50 and config["stage_blocks"] == [1, 2] and config["norm"] == "layer"
    clone = ResTextBackbone.from_config(config)
    assert clone.get_config() == config
    clone.set_weights(backbone.get_weights())
    ids = np.array([[3, 4, 5, 6, 0, 0]], "int32")
    np.testing.assert_array_equal(clone(ids).numpy(), backbone(ids).numpy())
    with pytest.raises(ValueError, match="same length"):
        ResTextBackbone(50, stage_filters=(8,), stage_blocks=(1, 1))


def test_word_ngrams_trunk_reads_the_words_alone():
    tokenizer = make_tokenizer("word", ngrams=2, max_length=32).adapt(["a fine film", "a dull dull film", "fine"])
    words = make_tokenizer("word", max_length=32)
    words.set_vocabulary(tokenizer.get_vocabulary())  # the same ids for the words, no bigrams
    texts = tf.constant(["a fine film", "a dull dull film", "fine", ""])
    backbone = ResTextBackbone(tokenizer.vocabulary_size(), embedding_dim=8, stage_filters=(8, 8), stage_blocks=(1, 1),
                               word_ngrams=2)  # fmt: skip
    plain = ResTextBackbone(tokenizer.vocabulary_size(), embedding_dim=8, stage_filters=(8, 8), stage_blocks=(1, 1))
    plain.set_weights(backbone.get_weights())
    np.testing.assert_allclose(backbone(tokenizer(texts)).numpy(), plain(words(texts)).numpy(), atol=1e-6)
    assert ResTextBackbone.from_config(backbone.get_config()).get_config()["word_ngrams"] == 2


def test_word_ngrams_must_describe_the_tokenizer():
    assert ResTextClassifier.from_preset("restext_base", num_classes=2).backbone.hyperparameters["word_ngrams"] == 2
    with pytest.raises(ValueError, match=r"`word_ngrams=2` makes the trunk read the words of a WordTokenizer\(ngrams=2\)'s "
                                         r"ids, but the tokenizer is a WordTokenizer\(ngrams=1\)"):  # fmt: skip
        ResTextClassifier.from_preset("restext_base", num_classes=2, tokenizer={"ngrams": 1})
    with pytest.raises(ValueError, match=r"but the tokenizer is a CharTokenizer\(ngrams=None\)"):
        ResTextClassifier(ResTextBackbone(80, embedding_dim=8, stage_filters=(8,), word_ngrams=2), 2,
                          preprocessor=ResTextPreprocessor(make_tokenizer("char", max_length=16)))  # fmt: skip
    # With the trunk reading every id, any tokenizer goes.
    ResTextClassifier.from_preset("restext_base", num_classes=2, tokenizer={"ngrams": 1}, word_ngrams=None)


def test_build_resnet_classifier_is_built_on_the_same_trunk():
    trunk = build_resnet_classifier(vocab_size=60, preset="restext_small", include_top=False)
    backbone = ResTextBackbone(60, embedding_dim=32, stem_filters=32, stage_filters=(32,), stage_blocks=(1,))
    backbone.set_weights(trunk.get_weights())
    ids = np.array([[3, 4, 5, 6, 7, 0, 0]], "int32")
    np.testing.assert_allclose(backbone(ids).numpy(), trunk(ids).numpy(), atol=1e-6)


def test_preprocessor_encodes_several_tasks_with_missing_labels():
    tokenizer = make_tokenizer("word", max_length=8).adapt(["a fine film"])
    preprocessor = ResTextPreprocessor(tokenizer, labels={"sentiment": ["neg", "pos"], "topic": ["a", "b", "c"]},
                                       tasks=["sentiment", "topic"])  # fmt: skip
    ids, targets, weights = preprocessor(
        tf.constant(["a fine film", "a film"]), {"sentiment": tf.constant(["pos", ""]), "topic": tf.constant([-1, 2])}
    )
    assert ids.shape == (2, 3)
    assert targets["sentiment"].numpy().tolist() == [[0, 1], [0, 0]]
    assert targets["topic"].numpy().tolist() == [[0, 0, 0], [0, 0, 1]]
    assert weights["sentiment"].numpy().tolist() == [1, 0] and weights["topic"].numpy().tolist() == [0, 1]
    config = preprocessor.get_config()
    assert config["tokenizer"]["config"]["vocabulary"] is None and config["tasks"] == ["sentiment", "topic"]
    with pytest.raises(ValueError, match="must be a dict with the tasks"):
        preprocessor.set_labels(["neg", "pos"])


@pytest.mark.slow
def test_fit_on_raw_strings_under_mirrored_strategy_matches_one_device():
    result = subprocess.run(
        [sys.executable, str(REPO / "tests" / "models" / "scripts" / "mirrored_raw_strings.py")],
        cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    for run in ("plain", "deep_supervised"):  # Keras' training step and the deep-supervised one
        run = report[run]
        assert run["max_initial_diff"] == 0 and run["max_weight_change"] > 1e-2  # training moved the weights
        np.testing.assert_allclose(run["mirrored_loss"], run["single_loss"], rtol=1e-5)
        assert run["max_weight_diff"] < 1e-5 and run["max_probability_diff"] < 1e-5
