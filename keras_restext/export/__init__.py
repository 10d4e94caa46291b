"""Exporting trained classifiers: raw-string SavedModels for any TensorFlow runtime, LiteRT models for
devices, and loading them back."""

from keras_restext.export.artifacts import read_labels
from keras_restext.export.card import model_card
from keras_restext.export.exporter import reexport, write_export, write_record
from keras_restext.export.litert import (
    IDS_MODEL_FILE,
    TEXT_MODEL_FILE,
    convert_ids_model,
    convert_text_model,
    export_litert,
    export_litert_from_path,
)
from keras_restext.export.loading import (
    TASKS_FILE,
    Predictor,
    keras_model_path,
    load_keras_model,
    load_predictor,
    predict_with_session_loader,
    resolve_model_path,
)
from keras_restext.serving import (
    INPUT_NAME,
    OUTPUT_NAMES,
    SIGNATURE,
    LabelOutputs,
    build_serving_model,
    export_saved_model,
    inference_copy,
    output_names,
    serving_labels,
    serving_tasks,
)
from keras_restext.export.versions import ExportError, list_versions, next_version

__all__ = [
    "ExportError",
    "IDS_MODEL_FILE",
    "INPUT_NAME",
    "LabelOutputs",
    "OUTPUT_NAMES",
    "Predictor",
    "SIGNATURE",
    "TASKS_FILE",
    "TEXT_MODEL_FILE",
    "build_serving_model",
    "convert_ids_model",
    "convert_text_model",
    "export_litert",
    "export_litert_from_path",
    "export_saved_model",
    "inference_copy",
    "keras_model_path",
    "list_versions",
    "load_keras_model",
    "load_predictor",
    "model_card",
    "next_version",
    "predict_with_session_loader",
    "read_labels",
    "reexport",
    "resolve_model_path",
    "output_names",
    "serving_labels",
    "serving_tasks",
    "write_export",
    "write_record",
]
