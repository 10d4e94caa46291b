"""The harness for the models and the optimizer, after KerasHub's `TestCase.run_backbone_test`,
`run_task_test` and `run_preset_test` (the layers have their own: tests/layers/harness.py).

`run_backbone_test(cls, init_kwargs, input_data, expected_output_shape)` checks:

1. the config round trip: `get_config` → `from_config`, and serialize → JSON → deserialize;
2. eager calls at several lengths, a compiled `predict` (on arrays and on a `tf.data.Dataset`) that
   agrees with the eager call, and `compute_output_spec` that agrees with both and keeps the batch size;
3. a `.keras` save and load with identical outputs;
4. mixed precision: built under `mixed_float16` and `mixed_bfloat16` (the way `restext train
   --mixed-precision` builds it: the global policy), outputs in the compute dtype and finite, float
   weights in the variable dtype, every sublayer on the policy but the id layers, which stay int32.

`run_task_test(cls, init_kwargs, texts, labels)` checks the config round trip; that the
preprocessor's outputs fit the network (ids in, targets of the outputs' shape) and its
`compute_output_spec` agrees with its call; `predict` on raw strings, on a dataset of strings and
with split preprocessing (the network on the preprocessor's ids) gives the same probabilities;
`fit` on raw strings, on a dataset of pairs and on preprocessed batches; a task made with
`compile=False` refuses to fit; a `.keras` save and load with identical predictions; and that under
each mixed policy it builds, predicts float32 probabilities and takes a training step.

`run_preset_test(cls, preset, init_kwargs, texts, labels)` checks that an unknown preset is refused,
the built-in preset builds and trains, and `save_to_preset` → `from_preset` gives identical
predictions and config (`load_weights=False`: the same model, freshly initialised).

`run_optimizer_test(cls, init_kwargs, reference_cls)` checks the config round trip, the same steps
as `reference_cls`, a `.keras` save and load that keeps the optimizer and its state, and a step under
`mixed_float16`'s loss scaling.

Tiny models only: the whole set runs in seconds. A failure names the check and the object.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tests.layers.harness import POLICIES, assert_outputs_equal, assert_specs_agree, describe, run_serialization_test


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[keras.DTypePolicy]:
    """Sets the global dtype policy for the block (as `restext train --mixed-precision` does)."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield keras.DTypePolicy(name)
    finally:
        keras.config.set_dtype_policy(previous)


def _keras_round_trip(model: keras.Model) -> keras.Model:
    """`model` saved to a `.keras` file and loaded back (safe mode)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        return keras.saving.load_model(path, safe_mode=True)


def _dtype(x) -> str:
    return keras.backend.standardize_dtype(x.dtype)


# -- the backbone ---------------------------------------------------------------------------------
def run_backbone_test(
    cls: type[keras.Model],
    init_kwargs: Mapping,
    input_data: np.ndarray,
    expected_output_shape: tuple,
    *,
    lengths: Sequence[int] = (1, 2, 5),
) -> None:
    """Runs the backbone checks of the module docstring on `cls(**init_kwargs)`.

    Args:
        cls: the backbone class (token ids `[batch, length]` → features).
        init_kwargs: its arguments: a tiny model.
        input_data: token ids `[batch, length]`, 0 = padding.
        expected_output_shape: the features' shape on `input_data`.
        lengths: other input lengths that must run (the input cut to each).

    Example:

    ```python
    run_backbone_test(ResTextBackbone, {"vocab_size": 50, "embedding_dim": 8, "stage_filters": (8,)}, ids, (3, 12, 8))
    ```
    """
    name = describe(cls, init_kwargs)
    keras.utils.set_random_seed(0)
    backbone = cls(**init_kwargs)
    run_serialization_test(backbone, name)
    output = backbone(input_data)
    assert tuple(output.shape) == tuple(expected_output_shape), f"{name}: output shape {tuple(output.shape)}"
    for length in lengths:
        assert backbone(input_data[:, :length]).shape[0] == len(input_data), f"{name}: length {length}"
    predicted = backbone.predict(input_data, verbose=0)
    assert_outputs_equal(predicted, ops.convert_to_numpy(output), f"{name}: compiled predict vs. the eager call", 1e-5)
    dataset = tf.data.Dataset.from_tensor_slices(input_data).batch(2)
    assert_outputs_equal(backbone.predict(dataset, verbose=0), predicted, f"{name}: predict on a dataset", 1e-5)
    spec = backbone.compute_output_spec(keras.KerasTensor(input_data.shape, "int32"))
    assert_specs_agree(spec, output, f"{name}: compute_output_spec")
    assert spec.shape[0] == len(input_data), f"{name}: compute_output_spec loses the batch size: {spec.shape}"
    loaded = _keras_round_trip(backbone)
    assert type(loaded) is cls, f"{name}: a .keras file loads as {type(loaded).__name__}"
    assert_outputs_equal(ops.convert_to_numpy(loaded(input_data)), ops.convert_to_numpy(output), f"{name}: after .keras")
    for policy_name in POLICIES:
        with dtype_policy(policy_name) as policy:
            mixed = cls(**init_kwargs)
            check_model_dtypes(mixed, mixed(input_data), policy, f"{name} under {policy_name}")


def check_model_dtypes(
    model: keras.Model, output, policy: keras.DTypePolicy, name: str, *, output_dtype: str | None = None
) -> None:
    """KerasHub's precision checks on a model built under `policy`: finite float outputs in the
    compute dtype (or `output_dtype`), float weights in the variable dtype, and every sublayer on the
    policy but the id layers (int32) and, where `output_dtype` is float32, the output layers that
    declare float32 (a stable softmax and loss, as Keras' mixed-precision guide has it)."""
    for value in keras.tree.flatten(output):
        assert _dtype(value) == (output_dtype or policy.compute_dtype), f"{name}: output in {_dtype(value)}"
        assert np.all(np.isfinite(ops.convert_to_numpy(ops.cast(value, "float32")))), f"{name}: non-finite outputs"
    for weight in model.weights:
        if keras.backend.is_float_dtype(weight.dtype):
            assert _dtype(weight) == policy.variable_dtype, f"{name}: weight {weight.path} in {_dtype(weight)}"
    allowed = {policy.name, "int32"} | ({"float32"} if output_dtype == "float32" else set())
    for layer in model._flatten_layers(include_self=False):
        if not isinstance(layer, keras.layers.InputLayer):
            assert layer.dtype_policy.name in allowed, f"{name}: layer {layer.name!r} on {layer.dtype_policy.name}"


# -- the task -------------------------------------------------------------------------------------
def run_task_test(
    cls: type[keras.Model],
    init_kwargs: Mapping,
    texts: Sequence[str],
    labels: Sequence,
    *,
    batch_size: int = 4,
    policies: Sequence[str] = POLICIES,
) -> None:
    """Runs the task checks of the module docstring on `cls(**init_kwargs)`.

    Args:
        cls: the task class (raw strings → probabilities).
        init_kwargs: its arguments, `backbone` and an adapted `preprocessor` among them: a tiny model.
        texts: training texts.
        labels: their labels (class names or ids).
        batch_size: the batch size of `fit` and of the datasets.
        policies: the mixed policies it trains under.

    Example:

    ```python
    run_task_test(ResTextClassifier, {"backbone": backbone, "num_classes": 2, "preprocessor": preprocessor}, texts, labels)
    ```
    """
    name = describe(cls, init_kwargs)
    keras.utils.set_random_seed(0)
    task = cls(**init_kwargs)
    run_serialization_test(task, name)
    preprocessor = task.preprocessor
    ids, targets = preprocessor(tf.constant(texts), tf.constant(labels))
    probabilities = task.predict(texts, verbose=0)
    assert probabilities.shape == tuple(targets.shape), f"{name}: predicts {probabilities.shape}, targets {targets.shape}"
    assert_specs_agree(
        preprocessor.compute_output_spec(keras.KerasTensor((len(texts),), "string"), keras.KerasTensor((len(texts),), "string")),
        (ids, targets),
        f"{name}: the preprocessor's compute_output_spec",
    )  # fmt: skip
    strings = tf.data.Dataset.from_tensor_slices(tf.constant(texts)).batch(batch_size)
    assert_outputs_equal(task.predict(strings, verbose=0), probabilities, f"{name}: predict on a dataset", 1e-5)
    split = keras.Model.predict(task, tf.data.Dataset.from_tensor_slices(ids).batch(batch_size), verbose=0)
    assert_outputs_equal(split, probabilities, f"{name}: predict with split preprocessing", 1e-5)
    pairs = tf.data.Dataset.from_tensor_slices((tf.constant(texts), tf.constant(labels)))
    for data in ((texts, labels), (pairs,), (pairs.batch(batch_size).map(preprocessor),)):
        loss = task.fit(*data, batch_size=batch_size, epochs=1, verbose=0).history["loss"][-1]
        assert np.isfinite(loss), f"{name}: fit on {type(data[0]).__name__} gives a loss of {loss}"
    uncompiled = cls(**init_kwargs, compile=False)
    try:
        uncompiled.fit(texts, labels, epochs=1, verbose=0)
    except ValueError as error:
        assert "compile" in str(error), f"{name}, compile=False: {error}"
    else:
        raise AssertionError(f"{name}: a task made with compile=False fits without compile()")
    loaded = _keras_round_trip(task)
    assert type(loaded) is cls, f"{name}: a .keras file loads as {type(loaded).__name__}"
    expected = task.predict(texts, verbose=0)
    assert_outputs_equal(loaded.predict(texts, verbose=0), expected, f"{name}: predictions after .keras", 0.0)
    for policy_name in policies:
        run_mixed_task_test(cls, init_kwargs, texts, labels, policy_name, name)


def run_mixed_task_test(cls, init_kwargs: Mapping, texts, labels, policy_name: str, name: str) -> None:
    """The task built under a mixed policy (its backbone rebuilt from config under it): float32
    probabilities that sum to 1, and a training step with a finite loss."""
    with dtype_policy(policy_name) as policy:
        backbone = init_kwargs["backbone"]
        mixed = cls(**{**init_kwargs, "backbone": type(backbone).from_config(backbone.get_config())})
        probabilities = mixed.predict(texts, verbose=0)
        check_model_dtypes(mixed, mixed(mixed.preprocessor(tf.constant(texts))), policy, f"{name} under {policy_name}",
                           output_dtype="float32")  # fmt: skip
        np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-3, err_msg=f"{name} under {policy_name}")
        loss = mixed.fit(texts, labels, epochs=1, verbose=0).history["loss"][-1]
        assert np.isfinite(loss), f"{name} under {policy_name}: a training step's loss is {loss}"


# -- the presets ----------------------------------------------------------------------------------
def run_preset_test(cls, preset: str, init_kwargs: Mapping, texts: Sequence[str], labels: Sequence) -> None:
    """Runs the preset checks of the module docstring on `cls.from_preset(preset, **init_kwargs)`.

    Args:
        cls: the task class.
        preset: a built-in preset name.
        init_kwargs: `from_preset`'s other arguments (`num_classes`, overrides that keep it tiny).
        texts: training texts.
        labels: their labels.

    Example:

    ```python
    run_preset_test(ResTextClassifier, "restext_small", {"num_classes": 2}, texts, labels)
    ```
    """
    name = f"{cls.__name__}.from_preset({preset!r}, {describe(cls, init_kwargs)[len(cls.__name__) + 1 : -1]})"
    try:
        cls.from_preset("clowntown", **init_kwargs)
    except ValueError as error:
        assert "Unknown preset 'clowntown'" in str(error) and preset in str(error), f"{name}: {error}"
    else:
        raise AssertionError(f"{name}: an unknown preset builds")
    keras.utils.set_random_seed(0)
    task = cls.from_preset(preset, **init_kwargs)
    task.fit(texts, labels, epochs=1, verbose=0)
    expected = task.predict(texts, verbose=0)
    with tempfile.TemporaryDirectory() as folder:
        task.save_to_preset(folder)
        restored = cls.from_preset(folder)
        fresh = cls.from_preset(folder, load_weights=False)
    assert type(restored) is cls and restored.get_config() == task.get_config(), f"{name}: the config after a preset"
    assert_outputs_equal(restored.predict(texts, verbose=0), expected, f"{name}: predictions after a preset", 0.0)
    fresh_predictions = fresh.predict(texts, verbose=0)
    assert fresh_predictions.shape == expected.shape and not np.allclose(fresh_predictions, expected), (
        f"{name}: load_weights=False still loads the weights"
    )


# -- the optimizer --------------------------------------------------------------------------------
def run_optimizer_test(cls, init_kwargs: Mapping, reference_cls, *, steps: int = 3) -> None:
    """Runs the optimizer checks of the module docstring on `cls(**init_kwargs)`.

    Args:
        cls: the optimizer class.
        init_kwargs: its arguments.
        reference_cls: the optimizer whose arithmetic it must reproduce (Keras' own).
        steps: the steps compared with `reference_cls`'s.

    Example:

    ```python
    run_optimizer_test(FusedAdamW, {"learning_rate": 0.1, "weight_decay": 0.3}, keras.optimizers.AdamW)
    ```
    """
    name = describe(cls, init_kwargs)
    run_serialization_test(cls(**init_kwargs), name)
    rng = np.random.default_rng(0)
    start = rng.normal(size=(5, 3)).astype("float32")
    gradients = [rng.normal(size=start.shape).astype("float32") for _ in range(steps)]
    results = []
    for optimizer in (cls(**init_kwargs), reference_cls(**init_kwargs)):
        variable = keras.Variable(start)
        for gradient in gradients:
            optimizer.apply([ops.convert_to_tensor(gradient)], [variable])
        results.append(ops.convert_to_numpy(variable))
    assert not np.allclose(results[0], start), f"{name}: {steps} steps leave the variable as it was"
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6, err_msg=f"{name} vs. {reference_cls.__name__}")
    model = _one_step_model(cls(**init_kwargs))
    loaded = _keras_round_trip(model)
    assert type(loaded.optimizer) is cls, f"{name}: a .keras file loads the optimizer as {type(loaded.optimizer).__name__}"
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b), err_msg=f"{name}: {a.path}")
    with dtype_policy("mixed_float16"):  # Keras wraps it in a LossScaleOptimizer
        mixed = _one_step_model(cls(**init_kwargs))
        assert isinstance(mixed.optimizer, keras.optimizers.LossScaleOptimizer), f"{name}: no loss scaling"


def _one_step_model(optimizer) -> keras.Model:
    """A tiny model compiled with `optimizer` after one training step that moves every weight."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2, dtype="float32")])
    model.compile(optimizer=optimizer, loss="mse")
    before = [ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    loss = model.train_on_batch(x, np.ones((8, 2), "float32"))
    assert np.isfinite(loss), f"{type(optimizer).__name__}: a training step's loss is {loss}"
    moved = [not np.array_equal(ops.convert_to_numpy(w), old) for w, old in zip(model.trainable_weights, before)]
    assert all(moved), f"{type(optimizer).__name__}: a training step leaves weights unchanged"
    return model
