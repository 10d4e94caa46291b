"""Loading an exported or saved model for prediction: SavedModel folders and `.keras` files alike.

`restext predict` and `restext evaluate` accept any of:

- an export folder with version sub-folders (`savedmodels/sst2`): its latest version;
- a SavedModel version folder (`savedmodels/sst2/3`);
- a `.keras` file written by `restext train` (`savedmodels/sst2/3/model.keras`).

Keras files are loaded with `safe_mode=True` (no arbitrary code) and SavedModels with
`tf.saved_model.load`; nothing is unpickled. Every file read is checked first
(`keras_restext.export.integrity`): a damaged or edited one is a `DataError` naming it.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

import keras_restext.data  # noqa: F401  (registers the tokenizer layers, for load_keras_model)
import keras_restext.layers  # noqa: F401  (registers the model layers, for load_keras_model)
import keras_restext.models  # noqa: F401  (registers the backbone and task models, for load_keras_model)
from keras_restext.data.errors import DataError
from keras_restext.export.artifacts import KERAS_FILE, LABELS_FILE, read_labels
from keras_restext.export.integrity import (
    WRITTEN_BY_RESTEXT,
    check_class_names,
    check_keras_archive,
    check_saved_model,
    damaged_variables,
    read_tasks_file,
    served_classes,
)
from keras_restext.serving import INPUT_NAME, SIGNATURE, output_names, serving_labels, serving_tasks
from keras_restext.export.versions import list_versions

TASKS_FILE = "tasks.json"  # beside a multi-task export: {"tasks": {task: [class names]}}

_EXPECTED = (
    "a .keras file, a SavedModel version folder, an export folder with version sub-folders (e.g. savedmodels/sst2), "
    "or a run folder with a model.keras"
)


def resolve_model_path(path: str) -> tuple[str, str]:
    """Finds the model a `--model` argument names.

    Args:
        path: a `.keras` file, a SavedModel folder, an export folder of versions, or a run folder
            (`train`'s output) holding a `model.keras`.

    Returns:
        `(kind, path)`, kind being "keras" or "saved_model".

    Raises:
        DataError: when `path` names no model.
    """
    path = os.fspath(path)
    if os.path.isfile(path):
        if path.endswith(".keras"):
            return "keras", path
        raise DataError("not a model file", path=path, expected=_EXPECTED)
    if not os.path.isdir(path):
        raise DataError("no such file or directory", path=path, expected=_EXPECTED)
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return "saved_model", path
    versions = list_versions(path)
    if versions:
        return resolve_model_path(os.path.join(path, str(versions[-1])))
    if os.path.isfile(os.path.join(path, KERAS_FILE)):  # a run folder (`train`'s output): its model.keras
        return "keras", os.path.join(path, KERAS_FILE)
    raise DataError("no saved_model.pb and no version folders in this folder (nor a model.keras)", path=path, expected=_EXPECTED)


def keras_model_path(path: str) -> str:
    """The `.keras` file a `--model` argument names: a `.keras` file, a run folder's `model.keras`,
    or the `model.keras` a restext export keeps beside its SavedModel (of a version folder, or of an
    export folder's latest version). The SavedModel itself tracks only variables and tables, no
    Keras layers to rebuild, which is why re-exports and LiteRT conversions read that file.

    Raises:
        DataError: when `path` names no model, or a SavedModel without `model.keras` beside it.
    """
    kind, path = resolve_model_path(path)
    if kind == "keras":
        return path
    keras_path = os.path.join(path, KERAS_FILE)
    if not os.path.isfile(keras_path):
        raise DataError(
            f"a SavedModel without {KERAS_FILE} beside it", path=path,
            expected=f"an export version folder written by restext (it holds {KERAS_FILE}) or a .keras file",
        )  # fmt: skip
    return keras_path


def load_keras_model(path: str) -> keras.Model:
    """Loads a `.keras` file written by keras_restext, with `safe_mode=True`.

    Raises:
        FileNotFoundError: there is no such file.
        ValueError: the file is not a `.keras` archive (a zip file); Keras itself would say "File
            not found" of a file that exists.
        DataError: a damaged archive (a member fails its CRC-32), or one Keras cannot load; naming it.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isfile(path) and not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            start = f.read(8)
        raise ValueError(
            f"{path} is not a Keras model: a .keras file is a zip archive, this one starts with {start!r}"
            " (a renamed or truncated file?)"
        )
    if os.path.isfile(path):
        check_keras_archive(path)
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile) as error:
        if isinstance(error, DataError):
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        raise DataError(f"cannot be loaded as a Keras model ({message})", path=path,
                        expected=f"a {KERAS_FILE} written by restext") from error  # fmt: skip


class Predictor:
    """Predicts class probabilities for raw texts with a loaded restext model.

    Attributes:
        labels: the class names, in the order of the probability columns; for a multi-task model
            a dict task → class names (and `predict` returns a dict task → probabilities).
        path: the file or folder the model was loaded from.
        kind: "keras" or "saved_model".
        model: the `keras.Model` (kind "keras") or the loaded SavedModel object.

    Example:
    >>> predictor = load_predictor("savedmodels/sst2")
    >>> probabilities = predictor.predict(["a gorgeous, witty, seductive movie."])
    >>> predictor.labels[probabilities[0].argmax()]
    '1'
    """

    def __init__(self, model, labels: Sequence[str] | Mapping[str, Sequence[str]], *, path: str, kind: str):
        self.model = model
        self.multi_task = isinstance(labels, Mapping)
        self.labels = {t: list(names) for t, names in labels.items()} if self.multi_task else list(labels)
        self.path = path
        self.kind = kind
        # The probability outputs to fetch: {"probabilities": ...} or {task: "<task>_probabilities"}.
        keys = {t: output_names(t)[0] for t in self.labels} if self.multi_task else {None: "probabilities"}
        if kind == "keras":
            call = tf.function(
                lambda text: model(text, training=False),
                input_signature=[tf.TensorSpec([None], tf.string)],  # one trace for all batches
            )
        else:
            signature = model.signatures[SIGNATURE]

            def call(text):
                return signature(**{INPUT_NAME: text})

        self._fn = lambda text: _pick(call(text), keys)

    @property
    def tasks(self) -> list[str] | None:
        """The task names of a multi-task model, None for a single-task one."""
        return list(self.labels) if self.multi_task else None

    def predict(self, texts: Iterable[str], *, batch_size: int = 256) -> np.ndarray:
        """Class probabilities of each text.

        Args:
            texts: strings (any length, empty ones included).
            batch_size: texts per model call.

        Returns:
            A float32 array `[len(texts), len(labels)]`; for a multi-task model a dict task → such
            an array.
        """
        texts = [str(t) for t in texts]
        heads = self.labels if self.multi_task else {None: self.labels}
        if not texts:
            out = {task: np.zeros((0, len(names)), np.float32) for task, names in heads.items()}
        else:
            batches = [
                self._fn(tf.constant(texts[i : i + batch_size], dtype=tf.string))
                for i in range(0, len(texts), batch_size)
            ]
            out = {task: np.concatenate([b[task].numpy() for b in batches]).astype(np.float32) for task in heads}
        return out if self.multi_task else out[None]


def _pick(outputs: Mapping, keys: Mapping) -> dict:
    return {task: outputs[key] for task, key in keys.items()}


def _load_saved_model(path: str):
    """Loads a checked SavedModel folder (`check_saved_model`); a load that fails on its variables
    names the file."""
    try:
        return _with_text_ops(lambda: tf.saved_model.load(path))
    except (tf.errors.OpError, IndexError, ValueError, RuntimeError) as error:
        damaged = damaged_variables(path)
        if damaged is None:
            raise
        raise damaged from error


def _with_text_ops(load):
    """Calls `load`, once more after `import tensorflow_text` when the graph needs its ops."""
    try:
        return load()
    except (RuntimeError, tf.errors.NotFoundError, ValueError, KeyError) as error:
        # A WordPiece tokenizer's ops live in tensorflow_text, which registers them on import.
        if "Op type not registered" not in str(error):
            raise
        import tensorflow_text  # noqa: F401

        return load()


def predict_with_session_loader(path: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Runs a SavedModel's `serving_default` the way TF Serving does: the TF1 session loader.

    `tf.saved_model.load` restores objects in eager mode; TF Serving, `saved_model_cli run` and
    `tf.compat.v1` clients restore the variables into a graph with the checkpoint's saver and feed
    the signature's tensor names. An export can load one way and fail the other: this is the check
    that a TF Serving server would serve it.

    Args:
        path: a SavedModel version folder (e.g. `savedmodels/sst2/1`).
        texts: the raw texts, one batch.

    Returns:
        The signature's outputs by name (`probabilities`, `label_id`, `label`, ...), as NumPy arrays.

    Example:
    >>> outputs = predict_with_session_loader("savedmodels/sst2/1", ["a gorgeous movie", "dull"])
    >>> outputs["probabilities"].shape
    (2, 2)
    """
    check_saved_model(os.fspath(path))
    return _with_text_ops(lambda: _run_in_session(os.fspath(path), list(texts)))


def _run_in_session(path: str, texts: list[str]) -> dict[str, np.ndarray]:
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], path)
        signature = meta_graph.signature_def[SIGNATURE]
        fetches = {name: info.name for name, info in signature.outputs.items()}
        return session.run(fetches, feed_dict={signature.inputs[INPUT_NAME].name: texts})


def load_predictor(path: str) -> Predictor:
    """Loads the model that `path` names (see `resolve_model_path`) for prediction, each file it
    reads checked (`keras_restext.export.integrity`).

    Raises:
        DataError: when `path` names no model, a SavedModel lacks its `labels.txt` (or `tasks.json`),
            or a file is damaged, or names other classes than the SavedModel serves; naming the file.
    """
    kind, path = resolve_model_path(path)
    if kind == "keras":
        model = load_keras_model(path)
        tasks = serving_tasks(model)
        return Predictor(model, tasks if tasks is not None else serving_labels(model), path=path, kind=kind)
    served = served_classes(check_saved_model(path))
    tasks_path, labels_path = os.path.join(path, TASKS_FILE), os.path.join(path, LABELS_FILE)
    if os.path.isfile(tasks_path):  # a multi-task export
        labels = read_tasks_file(tasks_path)
        if set(labels) != set(served):
            serves = "one task" if None in served else f"the tasks {sorted(served)}"
            raise DataError(f"names the tasks {sorted(labels)}, the SavedModel serves {serves}", path=tasks_path,
                            expected="the SavedModel's tasks, as restext wrote them")  # fmt: skip
        for task, names in labels.items():
            check_class_names(tasks_path, names, served[task], what=f" of task {task!r}")
    elif not os.path.isfile(labels_path):
        raise DataError("the SavedModel has no labels.txt beside it", path=path, expected=WRITTEN_BY_RESTEXT)
    else:
        labels = read_labels(labels_path)
        check_class_names(labels_path, labels, served.get(None, (0, None)))
    model = _load_saved_model(path)
    if SIGNATURE not in model.signatures:
        raise DataError(f"the SavedModel has no {SIGNATURE!r} signature", path=path, expected=WRITTEN_BY_RESTEXT)
    return Predictor(model, labels, path=path, kind=kind)


__all__ = [
    "TASKS_FILE",
    "Predictor",
    "load_keras_model",
    "load_predictor",
    "predict_with_session_loader",
    "keras_model_path",
    "resolve_model_path",
]
