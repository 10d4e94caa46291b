"""`ResTextClassifier`: the task model. Raw strings in `fit`, `predict` and `evaluate`.

    backbone (token ids → features) → pooling → heads (+ the wide branch) → probabilities
    preprocessor (raw strings → token ids, labels → targets), run in `tf.data`

The model itself is a functional `keras.Model` on token ids, so it trains under any
`tf.distribute` strategy; `fit`, `evaluate` and `predict` tokenize raw strings in `tf.data`
first, with the same pipeline as `restext train` (length buckets, cached token ids). The task owns
its recipe: the loss of one task, several tasks or multi-label (`compile`), the length of its
learning-rate schedule, the wide branch's idfs and the adaptation of its preprocessor (`fit`).
`restext train` trains through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import tensorflow as tf

from keras_restext.data import build_pipeline
from keras_restext.data.pipeline import quiet_end_of_data
from keras_restext.data.textdata import TextData
from keras_restext.layers.hashed_ngrams import MAX_BUCKETS
from keras_restext.models.backbone import ResTextBackbone, check_word_ngrams
from keras_restext.models.deep_supervision import deep_logits_view, deep_loss
from keras_restext.models.heads import check_head_config, check_heads, classification_heads, set_wide_idf, wide_branch_idf, wide_idf_is_set
from keras_restext.models.preprocessor import SINGLE_TASK, ResTextPreprocessor
from keras_restext.models.raw_examples import as_text_data, bucketed_id_batches, is_token_id_batches, validation_pair
from keras_restext.models.recipe import DEFAULT_RECIPE, recipe_losses, recipe_optimizer
from keras_restext.models.task import Task

STEPS_PER_EXECUTION = 16


@keras.saving.register_keras_serializable(package="keras_restext")
class ResTextClassifier(Task):
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
        deep_loss_only: with `deep_loss_weight` > 0, the trunk learns from that loss only: the
            wide & deep sum passes it no gradient, so a fast wide branch cannot starve it.
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
        deep_loss_only: bool = False,
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
            "deep_loss_only": deep_loss_only,
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

    @property
    def heads(self) -> dict[str, int]:
        """The output heads, name → classes: `{"probabilities": num_classes}` for one task, else `tasks`."""
        return dict(self.tasks) if self.tasks is not None else {SINGLE_TASK: self.num_classes}

    # -- compile ------------------------------------------------------------------------------
    def compile(
        self,
        optimizer="auto",
        loss="auto",
        metrics="auto",
        *,
        schedule_steps: int | None = None,
        learning_rate: float | None = None,
        loss_weights: Mapping[str, float] | None = None,
        **kwargs,
    ) -> None:
        """Compiles with the recipe by default. Any argument may be given as for `keras.Model.compile`.

        Args:
            optimizer: "auto": the recipe's AdamW with warm-up and cosine decay over
                `schedule_steps` training steps (when None, `fit` counts them in its data).
            loss: "auto": label-smoothed cross-entropy (binary with `multi_label`), one per task,
                weighted by `loss_weights`, the missing labels of a task masked by sample weights.
            metrics: "auto": accuracy (with several tasks, over each task's labelled examples).
            schedule_steps: the training steps of the whole run, for the "auto" optimizer.
            learning_rate: the "auto" optimizer's peak learning rate; None: the recipe's.
            loss_weights: with several tasks, task → the weight of its loss (1 where missing).
            **kwargs: other `keras.Model.compile` arguments (`jit_compile`, `steps_per_execution`).
        """
        defaults = recipe_losses(
            self.heads, several_tasks=self.tasks is not None,
            multi_label=self.head_config["multi_label"], label_smoothing=self.recipe["label_smoothing"],
            loss_weights=loss_weights,
        )  # fmt: skip
        if loss != "auto":
            defaults.update(loss=loss, loss_weights=loss_weights)
        if metrics != "auto":
            defaults.update(metrics=metrics, weighted_metrics=None)
        # Several steps per call of the compiled step function: fewer round trips through Python (as
        # `train` does). 1 under a distribution strategy: Keras 3.15's multi-step loop over a
        # dataset of unknown length fails there ("You must feed a value for placeholder tensor
        # 'while/cond/Placeholder'"), seen with MirroredStrategy on 2 CPUs.
        distributed = self.distribute_strategy is not tf.distribute.get_strategy() or tf.distribute.has_strategy()
        kwargs.setdefault("steps_per_execution", 1 if distributed else STEPS_PER_EXECUTION)
        self._auto_optimizer = optimizer == "auto" and schedule_steps is None
        self._learning_rate = learning_rate
        if optimizer == "auto":  # without `schedule_steps`, a placeholder until `fit` knows the steps
            optimizer = (
                recipe_optimizer(self.recipe, schedule_steps, learning_rate) if schedule_steps is not None
                else keras.optimizers.AdamW(self.recipe["learning_rate"], weight_decay=self.recipe["weight_decay"])
            )  # fmt: skip
        self._compile_arguments = {**{k: v for k, v in defaults.items() if v is not None or k == "metrics"}, **kwargs}
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
            loss = loss + weight * deep_loss(
                y, deep_logits, sample_weight, several_tasks=self.tasks is not None,
                multi_label=self.head_config["multi_label"], label_smoothing=self.recipe["label_smoothing"],
            )  # fmt: skip
            scaled_loss = self.optimizer.scale_loss(loss)  # mixed precision's loss scale, if any
        gradients = tape.gradient(scaled_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        for metric in self.metrics:
            if metric.name == "loss":  # Keras' loss tracker, as its own step updates it
                metric.update_state(loss * tf.distribute.get_strategy().num_replicas_in_sync,
                                    sample_weight=tf.shape(x)[0])
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _with_deep_logits(self) -> keras.Model:
        """`deep_logits_view` of this model, made once."""
        view = self.__dict__.get("_deep_logits_view")
        if view is None:
            view = deep_logits_view(self, self.heads)
            # Not tracked as a sublayer: it holds this model's own layers and weights again.
            object.__setattr__(self, "_deep_logits_view", view)
        return view

    # -- data -----------------------------------------------------------------------------------
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
        """Trains on raw texts and labels (class names or class ids), or on token-id batches.

        A `tf.data.Dataset` of token-id batches (`(token_ids, targets[, sample_weights])`, as
        `keras_restext.data.build_pipeline` makes them; `restext train` passes these) trains as
        `keras.Model.fit` trains it: it must shuffle itself.

        The first call adapts the preprocessor when it has no vocabulary yet (the tokenizer's
        vocabulary and the class names, from these examples), sets the wide branch's idfs (one pass
        over the batches, which also fills their cache) and, with the "auto" optimizer, spans its
        learning-rate schedule over this call's steps. `batch_size` (the global batch, over all
        replicas) and `epochs` default to the recipe's. `validation_data`: `(texts, labels)` or a
        `tf.data.Dataset` of pairs (of token-id batches with token-id batches). Other arguments go
        to `keras.Model.fit`.
        """
        epochs = epochs or int(self.recipe["epochs"])
        if is_token_id_batches(x):  # tokenized already (`restext train`'s pipelines)
            batches, steps_per_epoch = x, None
        else:
            data = as_text_data(x, y)
            batch_size = batch_size or int(self.recipe["batch_size"])
            batches = self._adapted_batches(data, batch_size, shuffle=shuffle, seed=seed)
            steps_per_epoch = max(1, -(-len(data.texts_and_labels()[0]) // batch_size))
            if validation_data is not None:
                validation_data = self._batches(as_text_data(*validation_pair(validation_data)), 256)
        self._prepare_for(batches, epochs, steps_per_epoch)
        with quiet_end_of_data():
            # The pipeline shuffles (seeded, every epoch); Keras cannot shuffle a dataset.
            return super().fit(batches, epochs=epochs, validation_data=validation_data, shuffle=False, **kwargs)

    def _adapted_batches(self, data: TextData, batch_size: int, *, shuffle: bool, seed: int):
        """The training batches of raw examples, the preprocessor adapted to them first if it is not."""
        preprocessor = self._check_preprocessor()
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
        return self._batches(data, batch_size, shuffle=shuffle, seed=seed)

    def _prepare_for(self, batches: tf.data.Dataset, epochs: int, steps_per_epoch: int | None) -> None:
        """The wide branch's idfs and the "auto" optimizer's schedule (over `steps_per_epoch`, or
        the batches counted), from one pass over the training batches when needed."""
        needs_idf = bool(self.head_config["wide_scale"]) and not wide_idf_is_set(self)
        if not (needs_idf or self._auto_optimizer):
            return
        steps = steps_per_epoch or int(batches.cardinality())
        if needs_idf or steps < 0:  # one pass: it also fills the pipeline's cache of token ids
            counted = 0

            def token_ids():  # streamed, batch by batch, counting them
                nonlocal counted
                for batch in batches.as_numpy_iterator():
                    counted += 1
                    yield batch[0]

            if needs_idf:
                set_wide_idf(self, wide_branch_idf(token_ids(), self.backbone.vocab_size, self.head_config))
            else:
                for _ in token_ids():
                    pass
            steps = steps if steps > 0 else counted
        if self._auto_optimizer:
            optimizer = recipe_optimizer(self.recipe, max(1, steps) * epochs, self._learning_rate)
            super().compile(optimizer=optimizer, **self._compile_arguments)
            self._auto_optimizer = False

    def evaluate(self, x=None, y=None, *, batch_size: int = 256, **kwargs):
        """Loss and metrics on raw texts and labels (as `fit` takes them), or on token-id batches."""
        if is_token_id_batches(x):  # also how Keras' `fit` validates on the batches it was given
            with quiet_end_of_data():
                return super().evaluate(x, y, batch_size=batch_size, **kwargs)
        self._check_preprocessor()
        with quiet_end_of_data():
            return super().evaluate(self._batches(as_text_data(x, y), batch_size), **kwargs)

    def predict(self, x, *, batch_size: int = 256, **kwargs):
        """Class probabilities of raw texts (a list, an array or a `tf.data.Dataset` of strings)."""
        if self.preprocessor is None:
            return super().predict(x, batch_size=batch_size, **kwargs)
        ids = bucketed_id_batches(x, self.preprocessor.tokenizer, batch_size)
        with quiet_end_of_data():
            return super().predict(ids, **kwargs)


__all__ = ["ResTextClassifier"]
