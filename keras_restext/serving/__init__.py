"""The serving model: raw strings in, probabilities and labels out, and its SavedModel.

Below the models (the task model composes its own serving model from these) and below export/
(which writes, reads and converts what these make).
"""

from keras_restext.serving.saved_model import export_saved_model
from keras_restext.serving.serving_model import (
    INPUT_NAME,
    OUTPUT_NAMES,
    SIGNATURE,
    LabelOutputs,
    build_serving_model,
    inference_copy,
    output_names,
    serving_labels,
    serving_parts,
    serving_tasks,
)

__all__ = [
    "INPUT_NAME",
    "LabelOutputs",
    "OUTPUT_NAMES",
    "SIGNATURE",
    "build_serving_model",
    "export_saved_model",
    "inference_copy",
    "output_names",
    "serving_labels",
    "serving_parts",
    "serving_tasks",
]
