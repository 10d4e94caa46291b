"""`ResTextPreprocessor`: raw strings and labels → token ids and targets, the input side of the task.

It holds the tokenizer and the class names of every task. `adapt` learns both from training
data; the tokenizer's vocabulary is saved as an asset (`vocabulary.json`) beside the config, not
inside it. It runs in `tf.data` (never inside a replicated model: string ops fail under
`MirroredStrategy`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

from keras_restext.data import LabelVocabulary
from keras_restext.data.labels import sort_labels

VOCABULARY_ASSET = "vocabulary.json"
SINGLE_TASK = "probabilities"  # the head (and output) name of a one-task model


def _label_names(labels) -> list[str]:
    """The sorted class names of label values: strings as they are, integers as their digits."""
    values = np.asarray(labels).reshape(-1)
    if values.dtype.kind in "iu":
        return [str(i) for i in range(int(values.max()) + 1)] if values.size else []
    names = {v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values.tolist()}
    return sort_labels(name for name in names if name)


@keras.saving.register_keras_serializable(package="keras_restext")
class ResTextPreprocessor(keras.layers.Layer):
    """Tokenizes raw texts and encodes their labels for `ResTextClassifier`.

    Args:
        tokenizer: a tokenizer layer (`keras_restext.data.make_tokenizer`), adapted or not.
        labels: the class names in output order: a list for one task, a dict task → list for
            several; None: learned by `adapt` from the training labels (sorted; integer labels
            0..n-1 name their classes "0".."n-1").
        tasks: the task names of a model with several heads; None: one task.
        **kwargs: `keras.layers.Layer` arguments.

    Call arguments:
        x: texts, tf.string `[batch]`.
        y: optional labels `[batch]`: class names (strings) or class ids (ints); for several tasks
            a dict task → labels, where an empty string or -1 marks a text without that label.
        sample_weight: optional.

    Returns:
        `token_ids` alone, or `(token_ids, targets[, sample_weight])`: one-hot float32 targets
        `[batch, classes]` (a dict of them for several tasks, with sample weights that are 0 where
        a task's label is missing).

    Example:
    >>> from keras_restext.data import make_tokenizer
    >>> preprocessor = ResTextPreprocessor(make_tokenizer("word", max_length=8))
    >>> preprocessor = preprocessor.adapt(["a fine film", "a dull film"], ["pos", "neg"])  # returns itself
    >>> ids, targets = preprocessor(tf.constant(["a fine film"]), tf.constant(["pos"]))
    >>> targets.numpy().tolist()
    [[0.0, 1.0]]
    """

    def __init__(self, tokenizer, labels=None, tasks: Sequence[str] | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        self.tokenizer = tokenizer
        self.tasks = None if tasks is None else [str(task) for task in tasks]
        if self.tasks is not None and not self.tasks:
            raise ValueError("`tasks` must name at least one task, or be None for one task. Received: tasks=[]")
        self._labels: dict[str, LabelVocabulary] | None = None
        if labels is not None:
            self.set_labels(labels)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.built = True

    # -- the labels ---------------------------------------------------------------------------
    @property
    def task_names(self) -> list[str]:
        """The head names: the tasks, or `["probabilities"]` for one task."""
        return list(self.tasks) if self.tasks is not None else [SINGLE_TASK]

    @property
    def labels(self) -> list[str] | dict[str, list[str]] | None:
        """The class names: a list (one task), a dict task → list (several), None before `adapt`."""
        if self._labels is None:
            return None
        names = {task: list(vocabulary.names) for task, vocabulary in self._labels.items()}
        return names if self.tasks is not None else names[SINGLE_TASK]

    def label_vocabulary(self, task: str | None = None) -> LabelVocabulary:
        """The `LabelVocabulary` of a task (of the only one when `task` is None)."""
        if self._labels is None:
            raise ValueError("The preprocessor has no labels yet: call adapt(texts, labels) or pass labels=.")
        task = SINGLE_TASK if task is None and self.tasks is None else task
        if task not in self._labels:
            raise ValueError(f"Unknown task {task!r}. Allowed tasks: {', '.join(self._labels)}")
        return self._labels[task]

    def set_labels(self, labels) -> None:
        """Sets the class names (a list for one task, a dict task → list for several)."""
        if self.tasks is None:
            if isinstance(labels, Mapping):
                raise ValueError(f"A one-task preprocessor takes a list of class names. Received a dict: {labels!r}")
            labels = {SINGLE_TASK: labels}
        elif not isinstance(labels, Mapping) or set(labels) != set(self.tasks):
            received = sorted(labels) if isinstance(labels, Mapping) else labels
            raise ValueError(f"`labels` must be a dict with the tasks {self.tasks}. Received: {received!r}")
        self._labels = {task: LabelVocabulary([str(name) for name in labels[task]]) for task in self.task_names}

    # -- adapt --------------------------------------------------------------------------------
    @property
    def adapted(self) -> bool:
        """Whether the tokenizer has its vocabulary and the labels are known."""
        try:
            self.tokenizer.vocabulary_size()
        except ValueError:
            return False
        return self._labels is not None

    def adapt(self, texts, labels=None) -> ResTextPreprocessor:
        """Learns the tokenizer's vocabulary from `texts` and, unless they were given, the class
        names from `labels` (a list or array; a dict task → labels for several tasks)."""
        self.tokenizer.adapt(texts)
        if self._labels is None and labels is not None:
            if self.tasks is None:
                self.set_labels(_label_names(labels))
            else:
                self.set_labels({task: _label_names(labels[task]) for task in self.tasks})
        return self

    # -- call -----------------------------------------------------------------------------------
    def call(self, x, y=None, sample_weight=None):
        token_ids = self.tokenizer(x)
        if y is None:
            return token_ids
        if self.tasks is None:
            targets = self._encode(SINGLE_TASK, y)[0]
            return keras.utils.pack_x_y_sample_weight(token_ids, targets, sample_weight)
        targets, weights = {}, {}
        for task in self.tasks:
            targets[task], weights[task] = self._encode(task, y[task])
            if sample_weight is not None:
                weights[task] = weights[task] * tf.cast(sample_weight, tf.float32)
        return token_ids, targets, weights

    def compute_output_spec(self, x, y=None, sample_weight=None):
        """The specs of `call`'s outputs, from the tokenizer's: a symbolic call keeps the batch size
        (tracing `call` loses it at the tokenizer's ragged-to-dense step)."""
        token_ids = self.tokenizer.compute_output_spec(x)
        if y is None:
            return token_ids
        batch = token_ids.shape[:1]

        def targets(task: str) -> keras.KerasTensor:
            return keras.KerasTensor((*batch, len(self.label_vocabulary(task))), dtype="float32")

        if self.tasks is None:
            return keras.utils.pack_x_y_sample_weight(token_ids, targets(SINGLE_TASK), sample_weight)
        weights = {task: keras.KerasTensor(batch, dtype="float32") for task in self.tasks}
        return token_ids, {task: targets(task) for task in self.tasks}, weights

    def _encode(self, task: str, labels) -> tuple[tf.Tensor, tf.Tensor]:
        """One task's labels → one-hot targets and a weight that is 0 where the label is missing."""
        vocabulary = self.label_vocabulary(task)
        labels = tf.convert_to_tensor(labels)
        if labels.dtype == tf.string:
            present = tf.not_equal(tf.strings.strip(labels), "")
            targets = vocabulary.encode(tf.where(present, labels, vocabulary.names[0]))
        else:
            ids = tf.cast(labels, tf.int64)
            present = ids >= 0
            message = f"a class id of task {task!r} is not below its {len(vocabulary)} classes"
            with tf.control_dependencies([tf.debugging.assert_less(ids, tf.cast(len(vocabulary), tf.int64), message=message)]):
                targets = tf.one_hot(ids, len(vocabulary), dtype=tf.float32)  # -1 → all zeros
        weight = tf.cast(present, tf.float32)
        return targets * weight[:, None], weight

    # -- saving -------------------------------------------------------------------------------
    def save_assets(self, dir_path: str) -> None:
        vocabulary = self.tokenizer.get_config().get("vocabulary")
        if vocabulary is not None:
            with open(os.path.join(dir_path, VOCABULARY_ASSET), "w", encoding="utf-8") as f:
                json.dump(vocabulary, f, ensure_ascii=False)

    def load_assets(self, dir_path: str) -> None:
        path = os.path.join(dir_path, VOCABULARY_ASSET)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                self.tokenizer.set_vocabulary(json.load(f))

    def get_config(self) -> dict:
        tokenizer = keras.saving.serialize_keras_object(self.tokenizer)
        if "vocabulary" in tokenizer["config"]:
            tokenizer["config"]["vocabulary"] = None  # an asset (`save_assets`), not config
        return {**super().get_config(), "tokenizer": tokenizer, "labels": self.labels, "tasks": self.tasks}


__all__ = ["SINGLE_TASK", "VOCABULARY_ASSET", "ResTextPreprocessor"]
