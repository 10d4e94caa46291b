"""`TrainConfig`: the settings of a training run, in six groups.

A run's settings read as its steps: the **data** it reads, the **tokenizer** that turns it into
ids, the **model** it builds, the **schedule** it trains by, the **runtime** it trains on, and the
**output** it writes. Each group is a dataclass; `TrainConfig` holds one of each. `restext train`
fills the groups from its flags; a Python caller usually passes the settings flat, by name, as
`train(train="mr/train.csv", epochs=3)` does (`TrainConfig.from_options`).

Example:
>>> config = TrainConfig.from_options(train="mr/train.csv", preset="restext_small", epochs=3)
>>> config.data.train, config.model.preset, config.schedule.epochs
('mr/train.csv', 'restext_small', 3)
>>> config.replace(epochs=1).schedule.epochs
1
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from keras_restext.models import get_preset
from keras_restext.models.auto_preset import AUTO
from keras_restext.checks import check_choice, check_positive_int, require

MIXED_PRECISION = (None, "bfloat16", "float16")
# The schedule settings that override the preset's training recipe when they are not None.
RECIPE_KEYS = (
    "epochs", "batch_size", "learning_rate", "weight_decay", "warmup_fraction", "label_smoothing", "patience"
)  # fmt: skip


@dataclass
class DataConfig:
    """What the run reads.

    Attributes:
        train: the training data: a path (csv, tsv, jsonl, folder, glob), `"tfds:NAME[:SPLIT]"`, or
            anything else `read_dataset` reads (an in-memory `(texts, labels)` pair, ...).
        validation: validation data; None splits `validation_fraction` off the training data (or,
            with the default fraction 0, trains without validation data).
        test: optional test data, evaluated once at the end.
        validation_fraction: the share of the training data held out, stratified, for early stopping
            and the best epoch when `validation` is None. 0 (the default, like Keras'
            `validation_split`): train on all of it for every epoch (the learning rate decays to 0)
            and keep the last epoch's weights (benchmarks/README.md says why).
        format: the data format, None to infer it from the path (see `read_dataset`).
        text_column: the text column (or a list of columns, joined with a space); None finds it.
        label_column: the label column; None finds it.
        header: csv/tsv: whether the files have a header row; None detects it.
        on_bad_row: "error" (the default, None): a malformed row stops the run with one line naming
            its file and line; "skip": such rows are skipped, counted and reported once.
        label_names: the data's labels renamed, e.g. `{"0": "negative", "1": "positive"}`: the
            model learns, predicts and reports the names (every split is renamed alike).
    """

    train: Any = None
    validation: Any = None
    test: Any = None
    validation_fraction: float = 0.0
    format: str | None = None
    text_column: str | Sequence[str] | None = None
    label_column: str | None = None
    header: bool | None = None
    on_bad_row: str | None = None
    label_names: dict = field(default_factory=dict)


@dataclass
class TokenizerConfig:
    """How texts become token ids, over the preset's tokenizer.

    Attributes:
        max_length: overrides the tokenizer's maximum length (tokens or characters).
        overrides: arguments of `make_tokenizer` that override the preset's; with another `kind`
            (e.g. `{"kind": "wordpiece", "vocab_size": 8000}`) they replace the preset's.
    """

    max_length: int | None = None
    overrides: dict = field(default_factory=dict)


@dataclass
class ModelConfig:
    """The network the run builds.

    Attributes:
        preset: the preset that sets tokenizer, model and training defaults; "auto" (the default)
            picks one from the training texts (`keras_restext.models.auto_preset.choose_preset`).
        overrides: model arguments (of `ResTextBackbone` and `ResTextClassifier`, as
            `build_resnet_classifier` takes them) that override the preset.
        embeddings: a word2vec / GloVe / fastText `.vec` text file of pretrained word vectors for the
            word vocabulary (words it lacks are random-initialised); `embedding_dim` is taken from it.
        embeddings_trainable: fine-tune the vectors ("non-static", True) or keep them frozen
            ("static", False).
    """

    preset: str = "auto"
    overrides: dict = field(default_factory=dict)
    embeddings: str | None = None
    embeddings_trainable: bool = True


@dataclass
class ScheduleConfig:
    """How the run trains: the recipe's settings (None keeps the preset's) and the seed.

    Attributes:
        epochs, batch_size, learning_rate, weight_decay, warmup_fraction, label_smoothing,
        patience: override the preset's training recipe. `batch_size` is per replica.
        monitor: the validation metric for early stopping and the best epoch (with validation data).
        seed: seeds weights, shuffling and the validation split.
        progressive: staged training: the first `S - 1` stages of the network are grown and trained
            first, `max(1, epochs // S)` epochs each, then the full network starts from their
            weights (`keras_restext.training.progressive` states the schedule).
        freeze_grown: with `progressive`, keep the layers carried over from a smaller network frozen.
    """

    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    weight_decay: float | None = None
    warmup_fraction: float | None = None
    label_smoothing: float | None = None
    patience: int | None = None
    monitor: str = "val_accuracy"
    seed: int = 0
    progressive: bool = False
    freeze_grown: bool = False


@dataclass
class RuntimeConfig:
    """What the run trains on and how the steps execute; none of it changes what is learned,
    except `mixed_precision`'s rounding.

    Attributes:
        mixed_precision: None (float32), "bfloat16" or "float16": the compute dtype of the
            classifier; its output softmax stays float32 (float16 adds loss scaling).
        static_shapes: pad every training and validation batch to exactly `max_length` and drop the
            last partial batch (one XLA program, as TPUs need); compiles the steps with XLA.
        jit_compile: compile the training steps with XLA (implied by `static_shapes`).
        steps_per_execution: training steps run by one call of the compiled step function (Keras
            `compile(steps_per_execution=...)`). Fewer round trips through Python, so shorter epochs
            on a CPU (benchmarks/README.md). Batch-level callbacks then see every 16th batch. 1
            under multi-worker training.
        cache: keep the examples in memory after the first epoch (a file is read once).
        bucket: batch texts of similar length together (less padding, faster epochs).
        verbose: Keras' verbosity: "auto", 0 (silent), 1 (progress bar) or 2 (one line per epoch).
    """

    mixed_precision: str | None = None
    static_shapes: bool = False
    jit_compile: bool = False
    steps_per_execution: int = 16
    cache: bool = True
    bucket: bool = True
    verbose: int | str = "auto"


@dataclass
class OutputConfig:
    """What the run writes.

    Attributes:
        folder: the run folder (backup, logs, history); default `runs/<export name>` or
            `runs/restext`. Its option name is `output`.
        export: the export folder, e.g. `savedmodels/sst2`; each run adds a new version under it.
        tensorboard: write TensorBoard logs under the run folder's `logs`.
    """

    folder: str | None = None
    export: str | None = None
    tensorboard: bool = True


GROUPS: dict[str, type] = {
    "data": DataConfig,
    "tokenizer": TokenizerConfig,
    "model": ModelConfig,
    "schedule": ScheduleConfig,
    "runtime": RuntimeConfig,
    "output": OutputConfig,
}
# The flat option names (`train(epochs=3)`, the run file) of the fields whose names would be
# ambiguous without their group.
_RENAMED = {("tokenizer", "overrides"): "tokenizer_overrides", ("model", "overrides"): "model_overrides",
            ("output", "folder"): "output"}  # fmt: skip
OPTIONS: dict[str, tuple[str, str]] = {
    _RENAMED.get((group, f.name), f.name): (group, f.name)
    for group, kind in GROUPS.items()
    for f in dataclasses.fields(kind)
}


@dataclass
class TrainConfig:
    """Everything a training run depends on, in six groups; `restext train` fills it from its flags.

    Args:
        data: a `DataConfig` (what the run reads).
        tokenizer: a `TokenizerConfig` (how texts become ids).
        model: a `ModelConfig` (the preset and what overrides it).
        schedule: a `ScheduleConfig` (the training recipe and the seed).
        runtime: a `RuntimeConfig` (devices, precision, XLA, the input pipeline, verbosity).
        output: an `OutputConfig` (the run folder and the export).

    Every field also has a flat option name, its own except `tokenizer_overrides`,
    `model_overrides` and `output` (the run folder): `TrainConfig.from_options(train=..., epochs=3)`,
    `config.replace(seed=1)` and `config.options()` speak in those.
    """

    data: DataConfig = field(default_factory=DataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    @classmethod
    def from_options(cls, **options) -> TrainConfig:
        """A config of the defaults with `options` (flat option names) set."""
        return cls().replace(**options)

    def replace(self, **options) -> TrainConfig:
        """A copy with `options` (flat option names, e.g. `epochs=1`, `output="runs/a"`) set.

        Raises:
            TypeError: an option that is not a setting of a training run.
        """
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise TypeError(
                f"Unknown training option(s) {', '.join(map(repr, unknown))}. Allowed: {', '.join(OPTIONS)}."
            )
        changes: dict[str, dict] = {}
        for name, value in options.items():
            group, attribute = OPTIONS[name]
            changes.setdefault(group, {})[attribute] = value
        return dataclasses.replace(
            self, **{group: dataclasses.replace(getattr(self, group), **values) for group, values in changes.items()}
        )

    def options(self) -> dict:
        """Every setting by its flat option name."""
        return {name: getattr(getattr(self, group), attribute) for name, (group, attribute) in OPTIONS.items()}

    def resolved(self) -> dict:
        """The preset merged with the overrides: `{"tokenizer": ..., "model": ..., "training": ...}`.

        Raises:
            ValueError: an unknown preset, "auto" (`train` resolves it from the training texts
                first), or a setting out of its range.
        """
        if self.model.preset == AUTO:
            raise ValueError(
                "`preset='auto'` picks a preset from the training texts: train() resolves it after reading them "
                "(`keras_restext.models.auto_preset.choose_preset`). Name a preset to resolve a config without data."
            )
        config = get_preset(self.model.preset)
        for key in RECIPE_KEYS:
            value = getattr(self.schedule, key)
            if value is not None:
                config["training"][key] = value
        overrides = dict(self.tokenizer.overrides)
        if overrides.get("kind", config["tokenizer"]["kind"]) != config["tokenizer"]["kind"]:
            # Another kind of tokenizer takes other arguments: keep only the preset's max_length.
            config["tokenizer"] = {"max_length": config["tokenizer"]["max_length"]}
        config["tokenizer"].update(overrides)
        if self.tokenizer.max_length is not None:
            config["tokenizer"]["max_length"] = self.tokenizer.max_length
        config["model"].update(self.model.overrides)
        config["training"]["mixed_precision"] = self.runtime.mixed_precision
        _check_training(config["training"])
        fraction = self.data.validation_fraction
        require(0 <= fraction < 1, "validation_fraction", fraction, "in [0, 1)")
        check_positive_int("steps_per_execution", self.runtime.steps_per_execution)
        return config

    def output_dir(self) -> str:
        """The run folder: `output`, else `runs/<export name>`, else `runs/restext`."""
        if self.output.folder:
            return self.output.folder
        export = self.output.export
        name = os.path.basename(os.path.normpath(os.fspath(export))) if export else "restext"
        return os.path.join("runs", name)


def _check_training(training: dict) -> None:
    for key in ("epochs", "batch_size"):
        check_positive_int(key, training[key])
    # The comparisons also refuse NaN, which fails every one.
    require(0 < training["learning_rate"] < math.inf, "learning_rate", training["learning_rate"], "a finite number > 0")
    check_choice("mixed_precision", training.get("mixed_precision"), MIXED_PRECISION)
    require(0 <= training["label_smoothing"] < 1, "label_smoothing", training["label_smoothing"], "in [0, 1)")


__all__ = [
    "DataConfig",
    "ModelConfig",
    "OutputConfig",
    "RuntimeConfig",
    "ScheduleConfig",
    "TokenizerConfig",
    "TrainConfig",
]
