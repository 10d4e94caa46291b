"""Multi-task training: MR (sentiment) + TREC (question type), each example carrying only its own label."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_restext.data import DataError, LabelVocabulary, make_tokenizer
from keras_restext.export import load_predictor
from keras_restext.models import ResTextClassifier, resolve_model_config
from keras_restext.training import TaskData, tasks_from_columns, train_multitask
from keras_restext.data.tasks import Examples, build_task_pipeline, read_tasks
from keras_restext.training import TrainConfig
from keras_restext.training.multitask import SeveralTasks, check_task_names
from keras_restext.training.run_folder import RUN_KEYS

TREC_CLASSES = ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]

FRESH_PYTHON = """
import json, sys
import tensorflow as tf
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
out = serve(text=tf.constant(json.loads(sys.argv[2])))
empty = serve(text=tf.constant([], tf.string))
print(json.dumps({
    "shapes": {k: list(v.shape) for k, v in out.items()},
    "labels": {k: [b.decode() for b in v.numpy().tolist()] for k, v in out.items() if k.endswith("_label")},
    "empty": {k: list(v.shape) for k, v in empty.items()},
    "restext_imported": sorted(m for m in sys.modules if m.startswith("keras_restext")),
}))
"""


def test_two_tasks_on_mr_and_trec_export_both_outputs(tmp_path, shared_data):
    slice_ = {"limit": 200}
    result = train_multitask(
        {
            "sentiment": TaskData(
                str(shared_data / "mr" / "train.csv"), test=str(shared_data / "mr" / "test.csv"), read_options=slice_
            ),
            "question": TaskData(
                str(shared_data / "trec" / "train.tsv"), test=str(shared_data / "trec" / "test.tsv"),
                read_options=slice_, loss_weight=2.0,
            ),
        },
        preset="restext_small", epochs=1, seed=0, validation_fraction=0.1, output=str(tmp_path / "run"),
        export=str(tmp_path / "savedmodels" / "mr_trec"), verbose=0, tensorboard=False, log=None,
    )  # fmt: skip
    # Each file's examples carry only their own task's label: 200 rows each, 10% held out per task.
    assert result.sizes["train"]["sentiment"] + result.sizes["validation"]["sentiment"] == 200
    assert result.sizes["train"]["question"] + result.sizes["validation"]["question"] == 200
    assert result.sizes["test"] == {"sentiment": 200, "question": 200}
    assert result.labels["sentiment"].names == ["negative", "positive"]
    assert set(result.labels["question"].names) <= set(TREC_CLASSES)
    assert set(result.metrics["test"]) == {"sentiment", "question"}
    assert result.metrics["test"]["question"]["examples"] == 200
    assert {"val_sentiment_accuracy", "val_question_accuracy", "val_mean_task_accuracy"} <= set(result.history)
    assert result.epochs_run == 1

    version = result.export_path
    texts = ["what is the capital of peru ?", "a gorgeous , witty , seductive movie .", ""]
    fresh = subprocess.run(
        [sys.executable, "-c", FRESH_PYTHON, version, json.dumps(texts)], capture_output=True, text=True,
        timeout=120, cwd=str(tmp_path), env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    served = json.loads(fresh.stdout.strip().splitlines()[-1])
    assert served["restext_imported"] == []  # plain TensorFlow serves it
    questions = len(result.labels["question"])
    assert served["shapes"] == {
        "sentiment_probabilities": [3, 2], "sentiment_label_id": [3], "sentiment_label": [3],
        "question_probabilities": [3, questions], "question_label_id": [3], "question_label": [3],
    }  # fmt: skip
    assert served["empty"]["question_probabilities"] == [0, questions]
    assert set(served["labels"]["sentiment_label"]) <= {"negative", "positive"}
    assert set(served["labels"]["question_label"]) <= set(result.labels["question"].names)

    # The same outputs in process, and through the predictor behind `restext predict`.
    in_memory = result.serving_model(tf.constant(texts))
    predictor = load_predictor(os.path.dirname(version))
    assert predictor.tasks is not None and predictor.labels["question"] == result.labels["question"].names
    probabilities = predictor.predict(texts)
    np.testing.assert_allclose(probabilities["question"], in_memory["question_probabilities"].numpy(), atol=1e-5)
    assert probabilities["sentiment"].shape == (3, 2)
    files = set(os.listdir(version))
    assert {"tasks.json", "labels_sentiment.txt", "labels_question.txt", "model_card.md", "metrics.json"} <= files
    metrics = json.loads(open(os.path.join(version, "metrics.json")).read())
    assert metrics["test"]["sentiment"]["examples"] == 200


# A dataset of unknown length ends its first epoch with this warning; `train` silences it too.
@pytest.mark.filterwarnings("ignore:Your input ran out of data")
def test_a_task_without_labels_leaves_its_head_unchanged():
    """The masking: a task whose sample weight is 0 on every row gets no gradient at all."""
    texts = [f"good film {i}" if i % 2 else f"bad film {i}" for i in range(64)]
    examples = Examples(
        texts,
        {"sentiment": ["pos" if i % 2 else "neg" for i in range(64)], "topic": [""] * 64},
        [("<memory>", i) for i in range(64)],
    )
    labels = {"sentiment": LabelVocabulary(["neg", "pos"]), "topic": LabelVocabulary(["a", "b", "c"])}
    tokenizer = make_tokenizer("word", max_length=8).adapt(texts)
    batches = build_task_pipeline(examples, tokenizer, labels, batch_size=16, shuffle=True, seed=0)
    ids, targets, weights = next(iter(batches))
    assert set(targets) == set(weights) == {"sentiment", "topic"}
    assert float(tf.reduce_sum(targets["topic"])) == 0 and float(tf.reduce_sum(weights["topic"])) == 0
    assert float(tf.reduce_min(weights["sentiment"])) == 1

    training = {"learning_rate": 1e-2, "weight_decay": 0.0, "warmup_fraction": 0.0, "label_smoothing": 0.1}
    model = ResTextClassifier.from_model_config(
        resolve_model_config("restext_small"), tokenizer.vocabulary_size(), tasks={"sentiment": 2, "topic": 3},
        recipe=training, compile=False,
    )
    model.compile(schedule_steps=8, loss_weights={"sentiment": 1.0, "topic": 1.0})
    before = {name: [np.array(w) for w in model.get_layer(name).weights] for name in ("sentiment", "topic")}
    model.fit(batches, epochs=2, verbose=0, shuffle=False)
    for name, changed in (("topic", False), ("sentiment", True)):
        after = [np.array(w) for w in model.get_layer(name).weights]
        assert any(not np.array_equal(a, b) for a, b in zip(before[name], after)) == changed, name


def test_several_label_columns_of_one_file(tmp_path):
    """Rows carry the labels of every task whose cell is filled; an empty cell is a missing label."""
    path = tmp_path / "reviews.csv"
    rows = ["text,sentiment,topic"]
    for i in range(40):
        sentiment = ("pos", "neg")[i % 2] if i % 5 else ""
        topic = ("film", "music", "books")[i % 3] if i % 4 else ""
        rows.append(f"review number {i},{sentiment},{topic}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tasks = tasks_from_columns(str(path), {"sentiment": "sentiment", "topic": "topic"}, validation=str(path))
    logged = []
    splits, labels = read_tasks(tasks, log=logged.append)
    train = splits["train"]
    assert len(train) == 38  # rows 0 and 20 have neither label
    assert labels["sentiment"].names == ["neg", "pos"] and labels["topic"].names == ["books", "film", "music"]
    row = train.origins.index((str(path), 7))  # i = 5: no sentiment, a topic
    assert (train.texts[row], train.labels["sentiment"][row], train.labels["topic"][row]) == ("review number 5", "", "books")
    assert train.labelled("sentiment") == 32 and train.labelled("topic") == 30
    assert any("no 'topic' label" in line for line in logged)

    test = tmp_path / "test.csv"
    test.write_text("text,sentiment,topic\nfine,pos,film\nodd,meh,film\n", encoding="utf-8")
    tasks["sentiment"].test = tasks["topic"].test = str(test)
    with pytest.raises(DataError, match=r"test.csv:3: label 'meh' of task 'sentiment' was never seen"):
        read_tasks(tasks, log=logged.append)


def test_only_tasks_with_validation_data_are_validated(tmp_path):
    from tests.training.helpers import texts_and_labels

    result = train_multitask(
        {
            "sentiment": TaskData(texts_and_labels(120, seed=0), validation=texts_and_labels(30, seed=1)),
            "mood": TaskData(texts_and_labels(120, seed=2, classes=3)),  # no validation data
        },
        preset="restext_small", epochs=2, seed=0, output=str(tmp_path / "run"), verbose=0, tensorboard=False, log=None,
    )  # fmt: skip
    assert result.sizes["validation"] == {"sentiment": 30, "mood": 0}
    assert list(result.metrics["validation"]) == ["sentiment"]
    # The validation mean is over the validated task alone, and it chooses the best epoch.
    np.testing.assert_allclose(result.history["val_mean_task_accuracy"], result.history["val_sentiment_accuracy"])
    assert result.best_epoch == 1 + int(np.argmax(result.history["val_sentiment_accuracy"]))


@pytest.mark.parametrize("name", ["stem", "2fast", "has-dash", "embedding"])
def test_task_names_must_suit_output_names(name):
    with pytest.raises(ValueError, match="Task name"):
        check_task_names([name])


def test_a_multitask_backup_resumes_only_under_the_same_run_settings():
    # Each setting that a one-task run's resumption checks also guards a multi-task one.
    tasks = SeveralTasks({"sentiment": TaskData("mr.csv"), "question": TaskData("trec.tsv")})
    config = TrainConfig.from_options(preset="restext_small", seed=0)
    fingerprint = tasks.fingerprint(config, {})
    changed = {"format": "csv", "text_column": "t", "label_column": "l", "header": False, "preset": "restext_base",
               "seed": 1, "validation_fraction": 0.3, "progressive": True, "freeze_grown": True,
               "embeddings": "vectors.txt", "embeddings_trainable": False}  # fmt: skip
    assert set(changed) == set(RUN_KEYS) - {"train", "validation"}
    for option, value in changed.items():
        assert tasks.fingerprint(config.replace(**{option: value}), {}) != fingerprint, option
    other_data = SeveralTasks({"sentiment": TaskData("sst2.tsv"), "question": TaskData("trec.tsv")})
    assert other_data.fingerprint(config, {}) != fingerprint
    assert tasks.fingerprint(config.replace(epochs=3), {}) == fingerprint  # not a run setting
