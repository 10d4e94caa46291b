"""Every read of an export checks what it reads: a damaged or edited file is one `DataError` line
that names it, never a traceback, never a silently wrong answer.

What is checked, file by file (the SavedModel's own checksums where TensorFlow keeps them):

    saved_model.pb        parses; its checksum matches the one `fingerprint.pb` recorded when it
                          was written (4 in 5 single-bit flips of a restext SavedModel still parse:
                          those are caught too)
    fingerprint.pb        parses
    variables/            `variables.index` is there and matches `fingerprint.pb`; the data files'
                          per-tensor CRCs are checked by the load, and a load that fails says which
    labels.txt            UTF-8 (`read_labels`), and the very names (count, order) the SavedModel serves
    tasks.json            JSON of the form restext writes, the tasks and names the SavedModel serves
    model.keras           a zip archive whose members pass their CRC-32; a load that fails names it
    metrics.json          JSON (read again by `restext export`)
    *.tflite              a LiteRT flatbuffer (`litert.read_litert_model`): identifier, structure

An export of an older TensorFlow without `fingerprint.pb` skips that comparison only.
"""

from __future__ import annotations

import glob
import json
import os
import re
import zipfile

import tensorflow as tf
from google.protobuf.message import DecodeError
from tensorflow.core.protobuf import saved_model_pb2

from keras_restext.errors import DataError
from keras_restext.serving import SIGNATURE

try:  # TensorFlow's own fingerprint of a SavedModel folder (the C++ that `tf.saved_model.save` runs)
    from tensorflow.core.protobuf.fingerprint_pb2 import FingerprintDef
    from tensorflow.python.saved_model.pywrap_saved_model import fingerprinting
except ImportError:  # pragma: no cover - a TensorFlow without it: the comparison is skipped
    fingerprinting = None

SAVED_MODEL_FILE = "saved_model.pb"
FINGERPRINT_FILE = "fingerprint.pb"
VARIABLES_INDEX = os.path.join("variables", "variables.index")
WRITTEN_BY_RESTEXT = "an export written by restext"
AS_WRITTEN = "the file as restext wrote it (export the model again)"
# The Keras layer of a task's outputs (`<task>_label_outputs`, or `label_outputs`) in a node's name scope.
_LABEL_SCOPE = re.compile(r"^(?:(?P<task>.+)_)?label_outputs(?:_\d+)?$")


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def read_json_file(path: str) -> dict:
    """A JSON object file of an export (`tasks.json`, `metrics.json`).

    Raises:
        DataError: the file is not UTF-8, not JSON, or not an object; naming it.
    """
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except UnicodeDecodeError as error:
        raise DataError(f"not UTF-8 text ({error.reason} at byte {error.start})", path=path, expected=AS_WRITTEN) from None
    except json.JSONDecodeError as error:
        raise DataError(f"not valid JSON ({error.msg})", path=path, line=error.lineno, expected=AS_WRITTEN) from None
    if not isinstance(value, dict):
        raise DataError(f"a JSON {type(value).__name__}, not an object", path=path, expected=AS_WRITTEN)
    return value


def read_tasks_file(path: str) -> dict[str, list[str]]:
    """The tasks of a multi-task export's `tasks.json`: `{"tasks": {task: [class names]}}`.

    Raises:
        DataError: anything else, naming the file.
    """
    tasks = read_json_file(path).get("tasks")
    well_formed = isinstance(tasks, dict) and tasks and all(
        isinstance(names, list) and names and all(isinstance(name, str) for name in names) for names in tasks.values()
    )  # fmt: skip
    if not well_formed:
        raise DataError('not the tasks of a model', path=path, expected='{"tasks": {TASK: [CLASS NAMES]}}, ' + AS_WRITTEN)
    return tasks


def check_saved_model(folder: str) -> saved_model_pb2.SavedModel:
    """Checks the files of a SavedModel version folder before it is loaded; returns its parsed
    `saved_model.pb` (see the module's table).

    Raises:
        DataError: naming the file that is missing, damaged or changed since it was written.
    """
    path = os.path.join(folder, SAVED_MODEL_FILE)
    try:
        with open(path, "rb") as f:
            proto = saved_model_pb2.SavedModel.FromString(f.read())
    except DecodeError as error:
        raise DataError(f"damaged: it does not parse as a SavedModel ({_one_line(error)})", path=path,
                        expected=AS_WRITTEN) from None  # fmt: skip
    if not proto.meta_graphs:  # (TensorFlow's own fingerprint code crashes on such a file)
        raise DataError("damaged: it holds no graph (an empty or cut file?)", path=path, expected=AS_WRITTEN)
    index = os.path.join(folder, VARIABLES_INDEX)
    if not os.path.isfile(index):
        raise DataError("missing: a SavedModel keeps its weights there", path=index, expected=AS_WRITTEN)
    _compare_fingerprint(folder)
    if not proto.meta_graphs or SIGNATURE not in proto.meta_graphs[0].signature_def:
        raise DataError(f"the SavedModel has no {SIGNATURE!r} signature", path=folder, expected=WRITTEN_BY_RESTEXT)
    return proto


def _compare_fingerprint(folder: str) -> None:
    """`saved_model.pb` and `variables.index` as `fingerprint.pb` recorded them when written."""
    recorded = os.path.join(folder, FINGERPRINT_FILE)
    if fingerprinting is None or not os.path.isfile(recorded):
        return
    try:
        with open(recorded, "rb") as f:
            before = FingerprintDef.FromString(f.read())
    except DecodeError as error:
        raise DataError(f"damaged ({_one_line(error)})", path=recorded, expected=AS_WRITTEN) from None
    try:
        now = FingerprintDef.FromString(fingerprinting.CreateFingerprintDef(folder))
    except Exception as error:  # noqa: BLE001  (FingerprintException, or a status error of the C++)
        path = os.path.join(folder, SAVED_MODEL_FILE)
        raise DataError(f"damaged: {_one_line(error)}", path=path, expected=AS_WRITTEN) from None
    for field, name in (("saved_model_checksum", SAVED_MODEL_FILE), ("checkpoint_hash", VARIABLES_INDEX)):
        if getattr(before, field) and getattr(before, field) != getattr(now, field):
            raise DataError(
                f"changed since it was written (its checksum differs from the one in {FINGERPRINT_FILE}): "
                "an edited or damaged file", path=os.path.join(folder, name), expected=AS_WRITTEN,
            )  # fmt: skip


def damaged_variables(folder: str) -> DataError | None:
    """After a failed load: the `DataError` naming the variables file that cannot be read (every
    tensor is read, its CRC checked), or None when they all read."""
    prefix = os.path.join(folder, "variables", "variables")
    shards = sorted(glob.glob(glob.escape(prefix) + ".data-*"))
    data = shards[0] if len(shards) == 1 else prefix + ".data-*"
    if not shards:
        return DataError("missing: a SavedModel keeps its weights there", path=data, expected=AS_WRITTEN)
    try:
        reader = tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as error:
        return DataError(f"cannot be read ({_one_line(error)})", path=prefix + ".index", expected=AS_WRITTEN)
    for name in sorted(reader.get_variable_to_shape_map()):
        try:
            reader.get_tensor(name)
        except (tf.errors.OpError, IndexError, ValueError) as error:  # IndexError: "Read less bytes than requested"
            what = "truncated" if "less bytes" in str(error) else "damaged"
            return DataError(f"{what}: variable {name!r} cannot be read ({_one_line(error)})", path=data,
                             expected=AS_WRITTEN)  # fmt: skip
    return None


def served_classes(proto: saved_model_pb2.SavedModel) -> dict[str | None, tuple[int, list[str] | None]]:
    """What the SavedModel's signature serves, by task (None for a single-task model): the number of
    classes of its probabilities, and the class names its `label` output gathers from (None where
    the graph does not show them)."""
    outputs = proto.meta_graphs[0].signature_def[SIGNATURE].outputs
    counts = {
        None if key == "probabilities" else key[: -len("_probabilities")]: info.tensor_shape.dim[-1].size
        for key, info in outputs.items() if key.endswith("probabilities") and info.tensor_shape.dim
    }  # fmt: skip
    names: dict[str | None, set] = {}
    library = proto.meta_graphs[0].graph_def.library
    for node in (node for function in library.function for node in function.node_def):
        scopes = node.name.split("/")
        match = _LABEL_SCOPE.match(scopes[-2]) if len(scopes) > 1 and node.op == "Const" else None
        if match and node.attr["dtype"].type == tf.string.as_datatype_enum:
            value = tuple(v.decode("utf-8", "replace") for v in node.attr["value"].tensor.string_val)
            names.setdefault(match.group("task"), set()).add(value)
    return {task: (count, list(next(iter(names[task]))) if len(names.get(task, ())) == 1 else None)
            for task, count in counts.items()}  # fmt: skip


def check_class_names(path: str, names: list[str], served: tuple[int, list[str] | None], what: str = "") -> None:
    """Refuses class names (of `labels.txt`, or of a task in `tasks.json`) that are not those the
    SavedModel serves: `restext predict` would print other names than TF Serving returns."""
    count, served_names = served
    if count > 0 and len(names) != count:
        problem = f"{len(names)} class names{what} for a model of {count} classes"
    elif served_names is not None and names != served_names:
        problem = f"the class names{what} differ from those the SavedModel serves ({', '.join(served_names[:10])})"
    else:
        return
    raise DataError(problem + ": an edited file?", path=path, expected="the SavedModel's class names, as restext wrote them")


def check_keras_archive(path: str) -> None:
    """Every member of a `.keras` zip archive passes its CRC-32 (`config.json`, the weights).

    Raises:
        DataError: naming the file and the damaged member.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise DataError(f"a damaged zip archive ({_one_line(error)})", path=path, expected=AS_WRITTEN) from None
    if damaged is not None:
        raise DataError(f"damaged: {damaged} inside it fails its CRC-32 check", path=path, expected=AS_WRITTEN)


__all__ = [
    "AS_WRITTEN",
    "FINGERPRINT_FILE",
    "SAVED_MODEL_FILE",
    "VARIABLES_INDEX",
    "WRITTEN_BY_RESTEXT",
    "check_class_names",
    "check_keras_archive",
    "check_saved_model",
    "damaged_variables",
    "read_json_file",
    "read_tasks_file",
    "served_classes",
]
