"""What `restext tune` searches: the presets and the settings that mattered in the validation runs.

A trial's parameters (`SearchSpace.sample`, one Optuna trial) are a flat dict, e.g.
`{"preset": "dpcnn", "learning_rate": 0.0012, "epochs": 5, "drop_path": 0.15, "wide": True,
"wide_scale": 5.0, "deep_drop_path": 0.5, "deep_loss_weight": 1.0, "max_tokens": 200000,
"ngrams": 2, "max_length": 2048}`; `SearchSpace.options` turns them into `train()` options
(`preset`, `model_overrides`, `tokenizer_overrides`, `learning_rate`, `epochs`, `max_length`).
The space is small on purpose: a 15-minute budget on 2 cores runs about ten trials.

- the preset: the word-level ones (`restext_base`, `dpcnn`, `restext_deep32`), `vdcnn_9` with
  `characters=True`;
- the peak learning rate (log scale) and the epochs;
- stochastic depth of the trunk (`drop_path`);
- the wide branch: off, or on with its scale, the share of examples whose deep logits are dropped
  (`deep_drop_path`) and deep supervision (`deep_loss_weight`), which need a wide branch;
- word presets: the vocabulary size (the tokenizer's `max_tokens`) and the n-grams (the
  tokenizer's `ngrams`; a trunk that reads the words alone gets the same `word_ngrams`);
- the longest input (`max_length`).

Every choice list also holds the searched presets' own values, so that a preset's recipe is a point
of the space (`SearchSpace.preset_params`): the first trial is the recipe `preset="auto"` picks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keras_restext.checks import check_positive_int
from keras_restext.errors import ArgumentError
from keras_restext.models import MODEL_DEFAULTS, get_preset
from keras_restext.models.auto_preset import AUTO, PresetChoice

WORD_PRESETS = ("restext_base", "dpcnn", "restext_deep32")
CHARACTER_PRESETS = ("vdcnn_9",)
LEARNING_RATES = (3e-4, 1e-2)  # log scale; the presets' 1e-3 and 2e-3 inside
DROP_PATHS = (0.0, 0.3)
WIDE_SCALES = (1.0, 10.0)  # log scale; the presets' 5 inside
DEEP_DROP_PATHS = (0.0, 0.5)
DEEP_LOSS_WEIGHTS = (0.0, 1.0)
VOCABULARIES = (30000, 100000, 200000)
NGRAMS = (1, 2, 3)
MAX_LENGTHS = (256, 512, 1024, 2048)
MIN_EPOCHS = 2
MAX_EPOCHS = 8
# The model arguments that only a wide branch uses: all off without one (`check_head_config`).
WIDE_OFF = {"wide_scale": 0.0, "deep_drop_path": 0.0, "deep_loss_weight": 0.0}


def _preset(name: str) -> dict:
    """A preset's config with its model arguments resolved over the defaults."""
    config = get_preset(name)
    config["model"] = {**MODEL_DEFAULTS, **config["model"]}
    return config


@dataclass(frozen=True)
class SearchSpace:
    """The presets and settings a search draws from.

    Args:
        presets: the presets to search (default: `WORD_PRESETS`, plus `CHARACTER_PRESETS` with
            `characters`).
        characters: also search the character-level `CHARACTER_PRESETS` (when `presets` is None).
        max_epochs: the most epochs a trial trains (`MIN_EPOCHS` or `max_epochs`, the fewer, to it).

    Example:
    >>> space = SearchSpace(presets=("restext_small",), max_epochs=2)
    >>> params = space.preset_params("restext_small")
    >>> params["preset"], params["epochs"], params["wide"], params["max_length"]
    ('restext_small', 2, False, 128)
    >>> options = space.options(params)
    >>> options["preset"], options["tokenizer_overrides"], options["model_overrides"]["wide_scale"]
    ('restext_small', {'max_tokens': 10000, 'ngrams': 1}, 0.0)
    """

    presets: Sequence[str] | None = None
    characters: bool = False
    max_epochs: int = MAX_EPOCHS

    def __post_init__(self):
        if self.presets is None:
            object.__setattr__(self, "presets", WORD_PRESETS + (CHARACTER_PRESETS if self.characters else ()))
        object.__setattr__(self, "presets", tuple(self.presets))
        if not self.presets or AUTO in self.presets:
            raise ArgumentError(
                f"`presets` must name at least one preset, and not {AUTO!r} (the search starts from auto's "
                f"choice). Received: presets={self.presets!r}",
                argument="presets",
            )
        for name in self.presets:
            get_preset(name)  # an unknown name fails here, listing the known ones
        check_positive_int("max_epochs", self.max_epochs)

    def _choices(self, defaults: Sequence[int], key: str, word_only: bool = False) -> list[int]:
        """`defaults` and the searched presets' own tokenizer `key`, sorted."""
        values = set(defaults)
        for name in self.presets:
            tokenizer = get_preset(name)["tokenizer"]
            if not word_only or tokenizer["kind"] == "word":
                values.add(tokenizer.get(key, 1 if key == "ngrams" else None))
        return sorted(value for value in values if value is not None)

    def sample(self, trial) -> dict:
        """Draws one trial's parameters (an `optuna.Trial`'s suggestions)."""
        preset = trial.suggest_categorical("preset", list(self.presets))
        params = {
            "preset": preset,
            "learning_rate": trial.suggest_float("learning_rate", *LEARNING_RATES, log=True),
            "epochs": trial.suggest_int("epochs", min(MIN_EPOCHS, self.max_epochs), self.max_epochs),
            "drop_path": trial.suggest_float("drop_path", *DROP_PATHS),
            "wide": trial.suggest_categorical("wide", [True, False]),
        }
        if params["wide"]:
            params["wide_scale"] = trial.suggest_float("wide_scale", *WIDE_SCALES, log=True)
            params["deep_drop_path"] = trial.suggest_float("deep_drop_path", *DEEP_DROP_PATHS)
            params["deep_loss_weight"] = trial.suggest_float("deep_loss_weight", *DEEP_LOSS_WEIGHTS)
        if get_preset(preset)["tokenizer"]["kind"] == "word":
            params["max_tokens"] = trial.suggest_categorical("max_tokens", self._choices(VOCABULARIES, "max_tokens", True))
            params["ngrams"] = trial.suggest_categorical("ngrams", self._choices(NGRAMS, "ngrams", True))
        params["max_length"] = trial.suggest_categorical("max_length", self._choices(MAX_LENGTHS, "max_length"))
        return params

    def preset_params(self, preset: str, overrides: dict | None = None) -> dict:
        """The parameters of `preset`'s own recipe (with model `overrides`): a point of the space,
        which `options` turns back into that recipe (epochs at most `max_epochs`)."""
        config = _preset(preset)
        model = {**config["model"], **(overrides or {})}
        params = {
            "preset": preset,
            "learning_rate": config["training"]["learning_rate"],
            "epochs": min(config["training"]["epochs"], self.max_epochs),
            "drop_path": model["drop_path"],
            "wide": bool(model["wide_scale"]),
        }
        if params["wide"]:
            params.update({key: model[key] for key in WIDE_OFF})
        if config["tokenizer"]["kind"] == "word":
            params["max_tokens"] = config["tokenizer"]["max_tokens"]
            params["ngrams"] = config["tokenizer"].get("ngrams", 1)
        params["max_length"] = config["tokenizer"]["max_length"]
        return params

    def first_params(self, choice: PresetChoice) -> dict:
        """The first trial: auto's `choice`, or the first searched preset's recipe when `presets`
        leaves auto's preset out."""
        if choice.preset in self.presets:
            return self.preset_params(choice.preset, choice.overrides)
        return self.preset_params(self.presets[0])

    def options(self, params: dict) -> dict:
        """The `train()` options of a trial's parameters."""
        config = _preset(params["preset"])
        model = {"drop_path": params["drop_path"]}
        if params["wide"]:
            model.update({key: params[key] for key in WIDE_OFF})
        else:
            model.update(WIDE_OFF)
            if config["model"]["wide_ngrams"]:
                model["wide_ngrams"] = ()  # the wide branch's character n-grams go with it
        if not model["deep_loss_weight"]:
            model["deep_loss_only"] = False  # a trunk with no loss of its own trains through the sum
        tokenizer = {}
        if "ngrams" in params:
            tokenizer = {"max_tokens": params["max_tokens"], "ngrams": params["ngrams"]}
            if config["model"]["word_ngrams"] is not None:  # the trunk reads the words of these ids
                model["word_ngrams"] = params["ngrams"]
        return {
            "preset": params["preset"],
            "model_overrides": model,
            "tokenizer_overrides": tokenizer,
            "max_length": params["max_length"],
            "learning_rate": params["learning_rate"],
            "epochs": params["epochs"],
        }


__all__ = ["CHARACTER_PRESETS", "MAX_EPOCHS", "WORD_PRESETS", "SearchSpace"]
