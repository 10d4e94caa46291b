"""`Task`: what every task model of the package shares, in KerasHub's manner.

Presets (`from_preset` from a built-in name or a folder, `save_to_preset`), the plain token-id
network, and the raw-string serving model that exports serve (tokenizer → network → labels). A
task holds a `backbone`, a `preprocessor` and a `recipe`; its constructor takes
`(backbone, num_classes, *, tasks=..., preprocessor=..., recipe=..., **head arguments)`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import keras

from keras_restext.checks import require
from keras_restext.data import make_tokenizer
from keras_restext.serving import build_serving_model, export_saved_model, inference_copy
from keras_restext.models.backbone import ResTextBackbone, vocabulary_bound
from keras_restext.models.model_config import backbone_arguments, head_arguments, resolve_model_config
from keras_restext.models.preprocessor import ResTextPreprocessor
from keras_restext.models.preset_folder import read_preset_folder, write_preset_folder
from keras_restext.models.presets import PRESETS, get_preset


class Task(keras.Model):
    """The base of the package's task models: presets, the token-id network and serving."""

    # -- presets ------------------------------------------------------------------------------
    @classmethod
    def from_preset(
        cls,
        preset: str,
        num_classes: int | None = None,
        *,
        tasks: Mapping[str, int] | None = None,
        load_weights: bool = True,
        **overrides,
    ) -> Task:
        """A classifier from a built-in preset name or a folder written by `save_to_preset`.

        Args:
            preset: a name of `keras_restext.presets` ("restext_base", ...) or a preset folder.
            num_classes: the classes of one task (built-in presets; a folder knows its own).
            tasks: instead, a dict task → classes, one head each.
            load_weights: for a folder, load its trained weights (False: freshly initialised).
            **overrides: for a built-in preset, model arguments that replace the preset's
                (`stage_blocks=(2, 2, 2)`, `wide_scale=0`, ...) and tokenizer arguments
                under `tokenizer={...}`.
        """
        if os.path.isdir(preset):
            if num_classes is not None or tasks is not None or overrides:
                raise ValueError(
                    f"A preset folder ({preset!r}) knows its classes and settings; pass no `num_classes`, "
                    f"`tasks` or overrides. Received: num_classes={num_classes!r}, tasks={tasks!r}, "
                    f"overrides={sorted(overrides)}"
                )
            return read_preset_folder(preset, load_weights=load_weights)
        if preset not in PRESETS:
            raise ValueError(
                f"Unknown preset {preset!r}: neither a preset name nor a folder. Allowed presets: {', '.join(PRESETS)}"
            )
        config = get_preset(preset)
        tokenizer = make_tokenizer(**{**config["tokenizer"], **overrides.pop("tokenizer", {})})
        preprocessor = ResTextPreprocessor(tokenizer, tasks=None if tasks is None else list(tasks))
        return cls.from_model_config(
            resolve_model_config(preset, **overrides), vocabulary_bound(tokenizer), num_classes, tasks=tasks,
            preprocessor=preprocessor, recipe=config["training"],
        )  # fmt: skip

    @classmethod
    def from_model_config(
        cls,
        model_config: Mapping,
        vocab_size: int,
        num_classes: int | None = None,
        **kwargs,
    ) -> Task:
        """A classifier of a resolved model config (`resolve_model_config`): its backbone over
        `vocab_size` token ids and its heads.

        Args:
            model_config: every trunk and head argument (`MODEL_DEFAULTS`' keys).
            vocab_size: the token id range of the backbone.
            num_classes: the classes of one task; or `tasks=` among `kwargs`.
            **kwargs: the other arguments of `ResTextClassifier` (`tasks`, `preprocessor`,
                `recipe`, `compile`, `name`).
        """
        backbone = ResTextBackbone(vocab_size, **backbone_arguments(model_config))
        return cls(backbone, num_classes, **kwargs, **head_arguments(model_config))

    def save_to_preset(self, preset_dir: str) -> str:
        """Writes `config.json` (the classifier's config, no vocabulary), `model.weights.h5` and
        `assets/vocabulary.json` into `preset_dir`; `from_preset(preset_dir)` loads them back."""
        return write_preset_folder(self, preset_dir)

    # -- export -------------------------------------------------------------------------------
    def serving_model(self) -> keras.Model:
        """The raw-string Keras model that exports serve: tokenizer → this network → labels."""
        preprocessor = self.preprocessor
        if preprocessor is None or preprocessor.labels is None:
            raise ValueError("Export needs a trained classifier with a preprocessor: call fit (or adapt) first.")
        return build_serving_model(preprocessor.tokenizer, inference_copy(self.network()), preprocessor.labels)

    def network(self) -> keras.Model:
        """The same layers as a plain functional model: no preprocessor, no optimizer."""
        return keras.Model(self.input, self.output, name="resnet_classifier")

    def export(self, path: str, format: str = "tf_saved_model", **kwargs) -> str:
        """Writes the raw-string SavedModel (`serving_default`: `text` → `probabilities`,
        `label_id`, `label`) to `path`, loadable by TF Serving and plain TensorFlow."""
        require(format == "tf_saved_model", "format", format, "'tf_saved_model'")
        return export_saved_model(self.serving_model(), path)


__all__ = ["Task"]
