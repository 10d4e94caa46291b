"""Training: the `train` function behind `restext train`, its optimizer, callbacks and metrics."""

from keras_restext.training.callbacks import finished_epochs, make_callbacks, read_history
from keras_restext.training.metrics import classification_report, confusion_matrix, format_report
from keras_restext.models.optimizers import make_optimizer, warmup_cosine_schedule
from keras_restext.training.trainer import TrainConfig, TrainResult, predict_classes, train
from keras_restext.training.multitask import MultiTaskResult, TaskData, tasks_from_columns, train_multitask

__all__ = [
    "MultiTaskResult",
    "TaskData",
    "TrainConfig",
    "TrainResult",
    "classification_report",
    "confusion_matrix",
    "finished_epochs",
    "format_report",
    "make_callbacks",
    "make_optimizer",
    "predict_classes",
    "read_history",
    "tasks_from_columns",
    "train",
    "train_multitask",
    "warmup_cosine_schedule",
]
