"""`ResTextClassifier`: the task model. Raw strings in `fit`, `predict` and `evaluate`.

    backbone (token ids → features) → pooling → heads (+ the wide branch) → probabilities
    preprocessor (raw strings → token ids, labels → targets), run in `tf.data`

The model itself is a functional `keras.Model` on token ids, so it trains under any
`tf.distribute` strategy; `fit`, `evaluate` and `predict` tokenize raw strings in `tf.data`
first, with the same pipeline as `restext train` (length buckets, cached token ids).
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections.abc import Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

from keras_restext.data import build_pipeline, make_tokenizer, read_dataset
from keras_restext.data.pipeline import default_bucket_boundaries
from keras_restext.data.textdata import TextData
from keras_restext.layers import BagOfTokensLogits
from keras_restext.layers.hashed_ngrams import MAX_BUCKETS
from keras_restext.models.backbone import BACKBONE_DEFAULTS, ResTextBackbone
from keras_restext.models.classifier import (
    HEAD_DEFAULTS,
    check_head_config,
    check_heads,
    classification_heads,
    resolve_model_config,
    set_wide_idf,
    wide_branch_idf,
)
from keras_restext.models.optimizers import make_optimizer
from keras_restext.models.presets import PRESETS, get_preset
from keras_restext.models.preprocessor import SINGLE_TASK, ResTextPreprocessor

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
ASSETS_DIR = "assets"
STEPS_PER_EXECUTION = 16
# What `compile()` with no arguments trains with when a classifier was not made from a preset.
DEFAULT_RECIPE = dict(get_preset("restext_base")["training"])


def check_word_ngrams(word_ngrams: int | None, tokenizer) -> None:
    """Raises a `ValueError` when a backbone's `word_ngrams` (its trunk reads the words of a word
    tokenizer's words-then-n-grams ids) does not describe `tokenizer`'s ids."""
    if word_ngrams is None or word_ngrams == getattr(tokenizer, "ngrams", 1):
        return
    received = f"{type(tokenizer).__name__}(ngrams={getattr(tokenizer, 'ngrams', None)!r})"
    raise ValueError(
        f"`word_ngrams={word_ngrams}` makes the trunk read the words of a WordTokenizer(ngrams={word_ngrams})'s "
        f"ids, but the tokenizer is a {received}. Pass word_ngrams=None (the trunk reads every id) or the "
        f"word tokenizer's ngrams. Received: word_ngrams={word_ngrams!r}"
    )


def _vocabulary_bound(tokenizer) -> int:
    """The id range a tokenizer can produce, known before `adapt`: what the embedding must cover."""
    try:
        return tokenizer.vocabulary_size()  # a fixed or given vocabulary
    except ValueError:
        pass
    for key in ("max_tokens", "vocab_size"):
        bound = getattr(tokenizer, key, None)
        if bound is not None:
            return int(bound)
    raise ValueError(
        f"Cannot size the model before the tokenizer {tokenizer.name!r} is adapted: it has no `max_tokens`. "
        "Adapt the tokenizer first, or give it `max_tokens`."
    )


@keras.saving.register_keras_serializable(package="keras_restext")
class ResTextClassifier(keras.Model):
    """A residual convolutional text classifier that takes raw strings.

    Args:
        backbone: a `ResTextBackbone`.
        num_classes: the classes of one task; or, instead, `tasks`.
        tasks: a dict task name → classes: one head per task on the shared backbone; the model
            then returns a dict of probabilities keyed by task.
        preprocessor: a `ResTextPreprocessor` (tokenizer + class names); None: inputs must be
            token ids already.
        pooling: "max", "avg", "max_avg" or "kmax" over the backbone's masked features.
        kmax_k: k of "kmax" pooling.
        head_units: widths of dense layers before the output layer.
        head_dropout: dropout before the output layer.
        multi_label: sigmoid outputs instead of softmax.
        wide_scale: > 0 adds a linear bag-of-tokens (TF-IDF) classifier's logits, times this, to
            the deep logits (wide & deep); 0: none.
        deep_drop_path: drops the deep logits of this share of training examples.
        deep_loss_weight: > 0 adds this weight times the cross-entropy of the deep logits alone
            (label-smoothed as the recipe says) to the training loss: deep supervision, so that
            the residual branch learns to classify by itself beside the wide branch.
        wide_ngrams: n-gram orders (e.g. `(2, 3, 4, 5)` of characters) that the wide branch reads,
            hashed into `wide_buckets` ids (`HashedNGrams`), instead of the token ids themselves.
        wide_buckets: the hash buckets of `wide_ngrams`, at most 2**20.
        recipe: the training defaults of `compile()` and `fit()`: `batch_size`, `epochs`,
            `learning_rate`, `weight_decay`, `warmup_fraction`, `label_smoothing`; None: the
            default preset's.
        compile: compile with the recipe (`compile()`) now; call `compile(...)` again to change it.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example (it trains, so not a doctest):

    ```python
    classifier = ResTextClassifier.from_preset("restext_small", num_classes=2)
    classifier.fit(["a fine film", "a dull film"] * 8, ["pos", "neg"] * 8, epochs=1)
    classifier.predict(["a fine film"]).shape  # (1, 2)
    ```
    """

    def __init__(
        self,
        backbone: ResTextBackbone,
        num_classes: int | None = None,
        *,
        tasks: Mapping[str, int] | None = None,
        preprocessor: ResTextPreprocessor | None = None,
        pooling: str = "max_avg",
        kmax_k: int = 8,
        head_units: Sequence[int] = (),
        head_dropout: float = 0.5,
        multi_label: bool = False,
        wide_scale: float = 0.0,
        deep_drop_path: float = 0.0,
        deep_loss_weight: float = 0.0,
        wide_ngrams: Sequence[int] = (),
        wide_buckets: int = MAX_BUCKETS,
        recipe: Mapping[str, object] | None = None,
        compile: bool = True,
        **kwargs,
    ):
        head_config = {
            "pooling": pooling,
            "kmax_k": kmax_k,
            "head_units": tuple(head_units),
            "head_dropout": head_dropout,
            "multi_label": multi_label,
            "wide_scale": wide_scale,
            "deep_drop_path": deep_drop_path,
            "deep_loss_weight": deep_loss_weight,
            "wide_ngrams": tuple(wide_ngrams),
            "wide_buckets": wide_buckets,
        }
        check_head_config(head_config)
        heads = check_heads(num_classes, tasks, multi_label)
        if preprocessor is not None and (preprocessor.tasks is None) != (tasks is None):
            raise ValueError(
                "The preprocessor and the classifier must agree on one task or several. Received: "
                f"tasks={tasks!r}, preprocessor.tasks={preprocessor.tasks!r}"
            )
        if preprocessor is not None:
            check_word_ngrams(backbone.hyperparameters["word_ngrams"], preprocessor.tokenizer)
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        features = backbone(token_ids)
        config = {**head_config, "kernel_l2": backbone.hyperparameters["kernel_l2"]}
        outputs = classification_heads(features, token_ids, heads, backbone.vocab_size, config)
        kwargs.setdefault("name", "restext_classifier")
        super().__init__(token_ids, outputs if tasks is not None else outputs[SINGLE_TASK], **kwargs)
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.num_classes = num_classes
        self.tasks = None if tasks is None else dict(tasks)
        self.head_config = head_config
        self.recipe = {**DEFAULT_RECIPE, **dict(recipe or {})}
        self._auto_optimizer = False
        if compile:  # as KerasHub's tasks: ready to `fit`, and a loaded classifier predicts as the saved one
            self.compile()

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
    ) -> ResTextClassifier:
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
            return cls._from_preset_dir(preset, load_weights=load_weights)
        if preset not in PRESETS:
            raise ValueError(
                f"Unknown preset {preset!r}: neither a preset name nor a folder. Allowed presets: {', '.join(PRESETS)}"
            )
        config = get_preset(preset)
        tokenizer = make_tokenizer(**{**config["tokenizer"], **overrides.pop("tokenizer", {})})
        model = resolve_model_config(preset, **overrides)
        preprocessor = ResTextPreprocessor(tokenizer, tasks=None if tasks is None else list(tasks))
        backbone = ResTextBackbone(_vocabulary_bound(tokenizer), **{k: model[k] for k in BACKBONE_DEFAULTS})
        return cls(
            backbone,
            num_classes,
            tasks=tasks,
            preprocessor=preprocessor,
            recipe=config["training"],
            **{k: model[k] for k in HEAD_DEFAULTS},
        )

    def save_to_preset(self, preset_dir: str) -> str:
        """Writes `config.json` (the classifier's config, no vocabulary), `model.weights.h5` and
        `assets/vocabulary.json` into `preset_dir`; `from_preset(preset_dir)` loads them back."""
        os.makedirs(os.path.join(preset_dir, ASSETS_DIR), exist_ok=True)
        with open(os.path.join(preset_dir, CONFIG_FILE), "w", encoding="utf-8") as f:
            json.dump(keras.saving.serialize_keras_object(self), f, indent=2)
        self.network().save_weights(os.path.join(preset_dir, WEIGHTS_FILE))  # without the optimizer's state
        if self.preprocessor is not None:
            self.preprocessor.save_assets(os.path.join(preset_dir, ASSETS_DIR))
        return preset_dir

    @classmethod
    def _from_preset_dir(cls, preset_dir: str, *, load_weights: bool) -> ResTextClassifier:
        import keras_restext.data  # noqa: F401, PLC0415  (registers the tokenizer layers)

        path = os.path.join(preset_dir, CONFIG_FILE)
        if not os.path.isfile(path):
            raise ValueError(f"{preset_dir!r} is not a preset folder: it has no {CONFIG_FILE}.")
        with open(path, encoding="utf-8") as f:
            classifier = keras.saving.deserialize_keras_object(json.load(f), safe_mode=True)
        if classifier.preprocessor is not None:
            classifier.preprocessor.load_assets(os.path.join(preset_dir, ASSETS_DIR))
        if load_weights:
            classifier.network().load_weights(os.path.join(preset_dir, WEIGHTS_FILE))
        return classifier

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "num_classes": self.num_classes,
            "tasks": self.tasks,
            "preprocessor": None if self.preprocessor is None else keras.saving.serialize_keras_object(self.preprocessor),
            **{key: list(value) if isinstance(value, tuple) else value for key, value in self.head_config.items()},
            "recipe": self.recipe,
        }

    def get_compile_config(self) -> None:
        # A loaded classifier compiles itself with its recipe (`compile=True`), as a new one does.
        return None

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        for key in ("backbone", "preprocessor"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # -- compile ------------------------------------------------------------------------------
    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs) -> None:
        """Compiles with the recipe by default: AdamW with warm-up and cosine decay over the run
        (its length is known at `fit`), label-smoothed cross-entropy, accuracy. Any argument may
        be given as for `keras.Model.compile`."""
        heads = self.tasks or {SINGLE_TASK: self.num_classes}
        multi_label = self.head_config["multi_label"]

        def per_head(value):
            return value if self.tasks is None else {head: value for head in heads}

        if loss == "auto":
            smoothing = self.recipe["label_smoothing"]
            loss = per_head(
                keras.losses.BinaryCrossentropy(label_smoothing=smoothing)
                if multi_label
                else keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)
            )
        if metrics == "auto":
            metrics = per_head(["binary_accuracy" if multi_label else "accuracy"])
        # Several steps per call of the compiled step function: fewer round trips through Python (as
        # `train` does). 1 under a distribution strategy: Keras 3.15's multi-step loop over a
        # dataset of unknown length fails there ("You must feed a value for placeholder tensor
        # 'while/cond/Placeholder'"), seen with MirroredStrategy on 2 CPUs.
        distributed = self.distribute_strategy is not tf.distribute.get_strategy() or tf.distribute.has_strategy()
        kwargs.setdefault("steps_per_execution", 1 if distributed else STEPS_PER_EXECUTION)
        self._auto_optimizer = optimizer == "auto"
        if self._auto_optimizer:  # a placeholder until `fit` knows the number of steps
            optimizer = keras.optimizers.AdamW(self.recipe["learning_rate"], weight_decay=self.recipe["weight_decay"])
        self._compile_arguments = {"loss": loss, "metrics": metrics, **kwargs}
        super().compile(optimizer=optimizer, **self._compile_arguments)
        # Built now, so that a saved optimizer state loads into it (`keras.saving.load_model`).
        self.optimizer.build(self.trainable_variables)

    # -- training step ------------------------------------------------------------------------
    def train_step(self, data):
        """Keras' training step; with `deep_loss_weight` > 0 the loss also holds the deep logits'
        own cross-entropy, weighted, so that the residual branch learns to classify alone."""
        weight = self.head_config["deep_loss_weight"]
        if not weight:
            return super().train_step(data)
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred, deep_logits = self._with_deep_logits()(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
            loss = loss + weight * self._deep_loss(y, deep_logits, sample_weight)
            scaled_loss = self.optimizer.scale_loss(loss)  # mixed precision's loss scale, if any
        gradients = tape.gradient(scaled_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        for metric in self.metrics:
            if metric.name == "loss":  # Keras' loss tracker, as its own step updates it
                metric.update_state(loss * tf.distribute.get_strategy().num_replicas_in_sync,
                                    sample_weight=tf.shape(x)[0])
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _with_deep_logits(self) -> keras.Model:
        """The same layers as a functional model that also returns each head's deep logits (the
        input of its wide & deep sum), as a dict keyed by head."""
        view = self.__dict__.get("_deep_logits_view")
        if view is None:
            heads = self.tasks or {SINGLE_TASK: self.num_classes}
            deep = {head: self.get_layer(f"{head}_deep_logits").output for head in heads}
            view = keras.Model(self.input, [self.output, deep], name=f"{self.name}_with_deep_logits")
            # Not tracked as a sublayer: it holds this model's own layers and weights again.
            object.__setattr__(self, "_deep_logits_view", view)
        return view

    def _deep_loss(self, y, deep_logits: dict, sample_weight):
        """The mean over heads of the deep logits' cross-entropy with the targets."""
        smoothing = self.recipe["label_smoothing"]
        if self.head_config["multi_label"]:
            loss = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=smoothing)
        else:
            loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)
        if self.tasks is None:
            return loss(y, deep_logits[SINGLE_TASK], sample_weight)
        weights = sample_weight if isinstance(sample_weight, Mapping) else dict.fromkeys(deep_logits, sample_weight)
        return sum(loss(y[head], logits, weights.get(head)) for head, logits in deep_logits.items()) / len(deep_logits)

    # -- data -----------------------------------------------------------------------------------
    def _text_data(self, x, y=None) -> TextData:
        """Raw examples as a `TextData`: lists or arrays of texts and labels, a `tf.data.Dataset` of
        `(text, label)` pairs (batched or not), or a `TextData`."""
        if isinstance(x, TextData):
            return x
        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError("With a tf.data.Dataset as `x`, the labels come from the dataset: pass no `y`.")
            if isinstance(x.element_spec, tuple) and x.element_spec[0].shape.rank == 1:
                x = x.unbatch()
            return read_dataset(x)
        if y is None:
            raise ValueError("`fit` and `evaluate` need labels: pass `y` (one per text).")
        return read_dataset((x, y))

    def _check_preprocessor(self) -> ResTextPreprocessor:
        if self.preprocessor is None:
            raise ValueError(
                "This classifier has no preprocessor, so it takes token ids: call keras.Model methods on "
                "tf.data batches of ids, or build it with `from_preset` to pass raw strings."
            )
        if self.tasks is not None:
            raise ValueError(
                "`fit` and `evaluate` on raw strings take one task for now; a classifier of several tasks "
                "trains through `keras_restext.training.train_multitask(tasks, config)`."
            )
        return self.preprocessor

    def _batches(self, data: TextData, batch_size: int, *, shuffle: bool = False, seed: int | None = None):
        preprocessor = self.preprocessor
        labels = preprocessor.label_vocabulary()
        return build_pipeline(
            data, preprocessor.tokenizer, labels, batch_size=batch_size, shuffle=shuffle, seed=seed,
            cache=True, bucket=True,
        )  # fmt: skip

    def fit(
        self,
        x=None,
        y=None,
        *,
        batch_size: int | None = None,
        epochs: int | None = None,
        validation_data=None,
        shuffle: bool = True,
        seed: int = 0,
        **kwargs,
    ):
        """Trains on raw texts and labels (class names or class ids).

        A `tf.data.Dataset` of token-id batches (`(token_ids, targets[, sample_weights])`, as
        `keras_restext.data.build_pipeline` makes them) trains as `keras.Model.fit` trains it: it
        must shuffle itself.

        The first call adapts the preprocessor when it has no vocabulary yet (the tokenizer's
        vocabulary and the class names, from these examples) and sets the wide branch's idfs.
        `batch_size` (the global batch, over all replicas) and `epochs` default to the recipe's. `validation_data`: `(texts, labels)` or
        a `tf.data.Dataset` of pairs. Other arguments go to `keras.Model.fit`.
        """
        epochs = epochs or int(self.recipe["epochs"])
        if _token_id_batches(x):  # tokenized already (`restext train`'s pipelines): Keras' own fit
            with _quiet_end_of_data():
                return super().fit(x, epochs=epochs, validation_data=validation_data, shuffle=False, **kwargs)
        preprocessor = self._check_preprocessor()
        batch_size = batch_size or int(self.recipe["batch_size"])
        data = self._text_data(x, y)
        if not preprocessor.adapted:
            preprocessor.adapt(data, data.texts_and_labels()[1] if preprocessor.labels is None else None)
        labels = preprocessor.label_vocabulary()
        if len(labels) != self.num_classes:
            raise ValueError(
                f"The labels name {len(labels)} classes ({labels.names[:10]}), but the classifier has "
                f"num_classes={self.num_classes}."
            )
        if preprocessor.tokenizer.vocabulary_size() > self.backbone.vocab_size:
            raise ValueError(
                f"The tokenizer's vocabulary ({preprocessor.tokenizer.vocabulary_size()} ids) is larger than the "
                f"backbone's vocab_size={self.backbone.vocab_size}."
            )
        batches = self._batches(data, batch_size, shuffle=shuffle, seed=seed)
        if self.head_config["wide_scale"] and not self._wide_idf_set():
            # One pass over the batches: it also fills the pipeline's cache of token ids.
            ids = (b[0] for b in batches.as_numpy_iterator())
            set_wide_idf(self, wide_branch_idf(ids, self.backbone.vocab_size, self.head_config))
        if self._auto_optimizer:
            steps = max(1, -(-len(data.texts_and_labels()[0]) // batch_size)) * epochs
            recipe = self.recipe
            optimizer = make_optimizer(
                recipe["learning_rate"], steps, weight_decay=recipe["weight_decay"],
                warmup_fraction=recipe["warmup_fraction"],
            )  # fmt: skip
            super().compile(optimizer=optimizer, **self._compile_arguments)
            self._auto_optimizer = False
        if validation_data is not None:
            validation_data = self._batches(self._text_data(*_pair(validation_data)), 256)
        with _quiet_end_of_data():
            # The pipeline shuffles (seeded, every epoch); Keras cannot shuffle a dataset.
            return super().fit(batches, epochs=epochs, validation_data=validation_data, shuffle=False, **kwargs)

    def evaluate(self, x=None, y=None, *, batch_size: int = 256, **kwargs):
        """Loss and metrics on raw texts and labels (as `fit` takes them), or on token-id batches."""
        if _token_id_batches(x):  # also how Keras' `fit` validates on the batches it was given
            with _quiet_end_of_data():
                return super().evaluate(x, y, batch_size=batch_size, **kwargs)
        self._check_preprocessor()
        with _quiet_end_of_data():
            return super().evaluate(self._batches(self._text_data(x, y), batch_size), **kwargs)

    def predict(self, x, *, batch_size: int = 256, **kwargs):
        """Class probabilities of raw texts (a list, an array or a `tf.data.Dataset` of strings)."""
        if self.preprocessor is None:
            return super().predict(x, batch_size=batch_size, **kwargs)
        if isinstance(x, tf.data.Dataset):
            texts = x.unbatch() if x.element_spec.shape.rank == 1 else x
        else:
            texts = tf.data.Dataset.from_tensor_slices(tf.constant([str(t) for t in x], tf.string))
        tokenizer = self.preprocessor.tokenizer
        # Padding (which never changes a prediction) up to the pipeline's bucket lengths bounds the
        # number of shapes, and so of traces, of Keras' predict function.
        boundaries = tf.constant(default_bucket_boundaries(tokenizer.max_length), tf.int32)

        def tokenize(batch):
            ids = tokenizer(batch)
            length = boundaries[tf.searchsorted(boundaries, tf.shape(ids)[1:2])[0]]
            return tf.pad(ids, [[0, 0], [0, length - tf.shape(ids)[1]]])

        ids = texts.batch(batch_size).map(tokenize, num_parallel_calls=tf.data.AUTOTUNE)
        with _quiet_end_of_data():
            return super().predict(ids.prefetch(tf.data.AUTOTUNE), **kwargs)

    def _wide_idf_set(self) -> bool:
        wide = [layer for layer in self.layers if isinstance(layer, BagOfTokensLogits)]
        return all(np.any(keras.ops.convert_to_numpy(layer.idf) != 1.0) for layer in wide)

    # -- export -------------------------------------------------------------------------------
    def serving_model(self) -> keras.Model:
        """The raw-string Keras model that exports serve: tokenizer → this network → labels."""
        from keras_restext.export import build_serving_model, inference_copy  # noqa: PLC0415

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
        if format != "tf_saved_model":
            raise ValueError(f"`format` must be 'tf_saved_model'. Received: format={format!r}")
        from keras_restext.export import export_saved_model  # noqa: PLC0415

        return export_saved_model(self.serving_model(), path)


@contextlib.contextmanager
def _quiet_end_of_data():
    """Keras warns when a dataset of unknown length ends its first epoch; that is expected here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        yield


def _token_id_batches(x) -> bool:
    """Whether `x` is a `tf.data.Dataset` of token-id batches rather than raw texts."""
    if not isinstance(x, tf.data.Dataset):
        return False
    first = x.element_spec[0] if isinstance(x.element_spec, tuple) else x.element_spec
    return isinstance(first, tf.TensorSpec) and first.dtype.is_integer and first.shape.rank == 2


def _pair(data) -> tuple:
    """`validation_data` as the `(x, y)` that `_text_data` takes."""
    if isinstance(data, (tf.data.Dataset, TextData)):
        return (data,)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return tuple(data)
    raise ValueError(f"`validation_data` must be (texts, labels) or a tf.data.Dataset of pairs. Received: {type(data)}")


__all__ = ["ResTextClassifier"]
