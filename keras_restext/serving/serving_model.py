"""The serving model: raw strings in, probabilities and labels out; and its SavedModel export.

The trainable classifier takes token ids, because tokenising inside a replicated model fails under
`MirroredStrategy`: training tokenises in `tf.data`. For serving, `build_serving_model` composes
the adapted tokenizer, the classifier and the label names into one Keras model

    text (tf.string [batch]) → tokenizer → token ids → classifier → probabilities
                                                                   → label_id, label

which is saved as `model.keras` and exported as a SavedModel (`saved_model.export_saved_model`) whose `serving_default` signature
takes `text` and returns `probabilities`, `label_id` and `label`. A multi-task classifier (dict
outputs, `build_resnet_classifier(tasks=...)`) gets one `LabelOutputs` per task and the outputs
`<task>_probabilities`, `<task>_label_id`, `<task>_label` for every task. With the word and char
tokenizers the SavedModel uses core TensorFlow ops only: plain `tensorflow` loads and serves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import tensorflow as tf

from keras_restext.data.tokenizers import Tokenizer

SIGNATURE = "serving_default"
INPUT_NAME = "text"
OUTPUT_NAMES = ("probabilities", "label_id", "label")


@keras.saving.register_keras_serializable(package="keras_restext")
class LabelOutputs(keras.layers.Layer):
    """Turns class probabilities into the serving outputs: probabilities, the best class id and its name.

    Args:
        labels: the class names, in the order of the probabilities.
        task: the task of a multi-task model: its outputs are then named `<task>_probabilities`,
            `<task>_label_id` and `<task>_label`. None (one task): the plain names.

    Call arguments:
        probabilities: float `[batch, classes]`.

    Returns:
        A dict: `probabilities` (float32 `[batch, classes]`), `label_id` (int64 `[batch]`) and
        `label` (string `[batch]`), their names prefixed with `<task>_` when `task` is set.

    Example:
    >>> layer = LabelOutputs(["negative", "positive"])
    >>> layer(tf.constant([[0.2, 0.8]]))["label"].numpy()
    array([b'positive'], dtype=object)
    """

    def __init__(self, labels: Sequence[str], task: str | None = None, **kwargs):
        super().__init__(**kwargs)
        labels = [str(name) for name in labels]
        if not labels:
            raise ValueError("`labels` must name at least one class. Received: labels=[]")
        self.labels = labels
        self.task = task

    @property
    def output_names(self) -> tuple[str, ...]:
        """The names of the three outputs: `OUTPUT_NAMES`, prefixed with `<task>_` for a task."""
        return output_names(self.task)

    def call(self, probabilities):
        probabilities = tf.cast(probabilities, "float32")
        label_id = tf.argmax(probabilities, axis=-1, output_type=tf.int64)
        label = tf.gather(tf.constant(self.labels), label_id)
        return dict(zip(self.output_names, (probabilities, label_id, label)))

    def compute_output_spec(self, probabilities):
        batch = probabilities.shape[:1]
        specs = (
            keras.KerasTensor(probabilities.shape, dtype="float32"),
            keras.KerasTensor(batch, dtype="int64"),
            keras.KerasTensor(batch, dtype="string"),
        )
        return dict(zip(self.output_names, specs))

    def get_config(self):
        config = {**super().get_config(), "labels": list(self.labels)}
        if self.task is not None:
            config["task"] = self.task
        return config


def output_names(task: str | None = None) -> tuple[str, ...]:
    """The serving outputs of one task: `("probabilities", "label_id", "label")`, or with a task
    `("<task>_probabilities", "<task>_label_id", "<task>_label")`."""
    return OUTPUT_NAMES if task is None else tuple(f"{task}_{name}" for name in OUTPUT_NAMES)


def build_serving_model(
    tokenizer: keras.layers.Layer,
    classifier: keras.Model,
    labels: Sequence[str] | Mapping[str, Sequence[str]],
    *,
    name: str = "restext_serving",
) -> keras.Model:
    """Composes tokenizer, classifier and label names into one raw-string Keras model.

    The classifier's weights are shared, not copied: train the classifier, then save or export
    the serving model (of an `inference_copy` of it, to leave the optimizer's state out).

    Args:
        tokenizer: an adapted tokenizer layer (`keras_restext.data.make_tokenizer`), tf.string
            `[batch]` → int32 `[batch, length]`.
        classifier: a model from `build_resnet_classifier`, token ids → probabilities; or a
            multi-task one (`tasks=...`), token ids → a dict of probabilities keyed by task.
        labels: the class names, in the classifier's output order; for a multi-task classifier a
            dict task → class names, one entry per output of the classifier.
        name: the model's name.

    Returns:
        A functional `keras.Model` with input `text` (tf.string `[batch]`) and a dict of outputs
        `probabilities`, `label_id`, `label`; for a multi-task classifier `<task>_probabilities`,
        `<task>_label_id`, `<task>_label` for every task.

    Example:
    >>> serving = build_serving_model(tokenizer, classifier, ["negative", "positive"])
    >>> serving(tf.constant(["a fine film", ""]))["label"]
    >>> multi = build_serving_model(tokenizer, two_task_classifier, {"sentiment": ["neg", "pos"], "topic": topics})
    >>> multi(tf.constant(["a fine film"]))["sentiment_label"]
    """
    if isinstance(labels, Mapping):
        return _build_multitask_serving_model(tokenizer, classifier, labels, name=name)
    classes = classifier.output_shape[-1] if not isinstance(classifier.output, dict) else None
    if classes is None or isinstance(classes, tuple):
        raise ValueError(
            "`classifier` must have a single probabilities output (one task). "
            f"Received a model with outputs {classifier.output_shape!r}"
        )
    if classes != len(labels):
        raise ValueError(
            f"`labels` must name the classifier's {classes} classes. Received {len(labels)} labels: {list(labels)[:10]}"
        )
    text = keras.Input(shape=(), dtype="string", name=INPUT_NAME)
    outputs = LabelOutputs(labels, name="label_outputs")(classifier(tokenizer(text)))
    return keras.Model(text, outputs, name=name)


def _build_multitask_serving_model(tokenizer, classifier, labels: Mapping[str, Sequence[str]], *, name: str):
    outputs = classifier.output
    if not isinstance(outputs, dict):
        raise ValueError(
            "`labels` is a dict (several tasks), so `classifier` must be a multi-task model with dict outputs "
            f"(build_resnet_classifier(tasks=...)). Received a model with output shape {classifier.output_shape!r}"
        )
    shapes = {task: tuple(tensor.shape) for task, tensor in outputs.items()}
    if set(labels) != set(shapes):
        raise ValueError(
            f"`labels` must name the classes of each of the classifier's tasks {sorted(shapes)}. "
            f"Received labels for {sorted(labels)}"
        )
    for task, names in labels.items():
        if shapes[task][-1] != len(names):
            raise ValueError(
                f"`labels[{task!r}]` must name the classifier's {shapes[task][-1]} {task!r} classes. "
                f"Received {len(names)} labels: {list(names)[:10]}"
            )
    text = keras.Input(shape=(), dtype="string", name=INPUT_NAME)
    probabilities = classifier(tokenizer(text))
    outputs = {}
    for task in labels:
        outputs.update(LabelOutputs(labels[task], task=task, name=f"{task}_label_outputs")(probabilities[task]))
    return keras.Model(text, outputs, name=name)


def inference_copy(classifier: keras.Model) -> keras.Model:
    """A copy of a trained classifier with its weights but without its optimizer.

    A compiled model carries its optimizer's state (AdamW: two more copies of every weight) into
    `.keras` files and SavedModels; the copy exports at a third of the size. Built outside any
    distribution strategy, it also holds plain variables.

    Example:
    >>> serving = build_serving_model(tokenizer, inference_copy(trained_classifier), labels)
    """
    # From the architecture alone: keras.models.clone_model compiles the clone of a compiled model.
    copy = type(classifier).from_config(classifier.get_config())
    copy.set_weights(classifier.get_weights())
    return copy


def serving_labels(model: keras.Model) -> list[str]:
    """The class names of a (single-task) serving model built by `build_serving_model`.

    Raises:
        ValueError: for a model without `LabelOutputs`, or a multi-task model (see `serving_tasks`).
    """
    tasks = serving_tasks(model)
    if tasks is not None:
        raise ValueError(
            f"Model {model.name!r} is a multi-task model (tasks {sorted(tasks)}): use `serving_tasks` for its labels."
        )
    for layer in model.layers:
        if isinstance(layer, LabelOutputs):
            return list(layer.labels)
    raise ValueError(f"Model {model.name!r} has no `LabelOutputs` layer: it is not a restext serving model.")


def serving_tasks(model: keras.Model) -> dict[str, list[str]] | None:
    """Task → class names of a multi-task serving model (tasks sorted by name); None for a single-task one."""
    tasks = {
        layer.task: list(layer.labels)
        for layer in model.layers
        if isinstance(layer, LabelOutputs) and layer.task is not None
    }
    return {task: tasks[task] for task in sorted(tasks)} or None


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
    tokenizers = [layer for layer in model.layers if isinstance(layer, Tokenizer)]
    heads = [layer for layer in model.layers if isinstance(layer, LabelOutputs)]
    classifiers = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if len(tokenizers) != 1 or len(classifiers) != 1 or not heads:
        raise ValueError(
            f"Model {model.name!r} is not a restext serving model (a tokenizer, a classifier and LabelOutputs). "
            f"Received layers: {[layer.name for layer in model.layers]}"
        )
    return tokenizers[0], classifiers[0], heads


__all__ = [
    "INPUT_NAME",
    "LabelOutputs",
    "OUTPUT_NAMES",
    "SIGNATURE",
    "build_serving_model",
    "inference_copy",
    "output_names",
    "serving_labels",
    "serving_parts",
    "serving_tasks",
]
