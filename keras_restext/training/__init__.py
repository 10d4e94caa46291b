"""Training: the `train` function behind `restext train`, its optimizer, callbacks and metrics."""

from keras_restext.training.callbacks import finished_epochs, make_callbacks, read_history
from keras_restext.training.metrics import classification_report, confusion_matrix, evaluate_texts, format_report
from keras_restext.training.config import (
    DataConfig,
    ModelConfig,
    OutputConfig,
    RuntimeConfig,
    ScheduleConfig,
    TokenizerConfig,
    TrainConfig,
)
from keras_restext.training.trainer import TrainResult, train
from keras_restext.training.multitask import TaskData, tasks_from_columns, train_multitask

__all__ = [
    "DataConfig",
    "ModelConfig",
    "OutputConfig",
    "RuntimeConfig",
    "ScheduleConfig",
    "TaskData",
    "TokenizerConfig",
    "TrainConfig",
    "TrainResult",
    "classification_report",
    "confusion_matrix",
    "evaluate_texts",
    "finished_epochs",
    "format_report",
    "make_callbacks",
    "read_history",
    "tasks_from_columns",
    "train",
    "train_multitask",
]
