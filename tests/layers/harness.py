"""One test harness for every registered layer, after KerasHub's `TestCase.run_layer_test`.

`run_layer_test(layer_cls, init_kwargs, input_data)` checks, in this order:

1. serialization: `get_config` → `from_config` gives the same config, and so does
   `serialize_keras_object` → JSON → `deserialize_keras_object`;
2. shapes and dtypes: `compute_output_spec` (and `compute_output_shape`, where the layer defines it)
   on a symbolic input agrees with a real call, output by output (a layer may return a dict), and the
   (first) output's dtype is the layer's compute dtype: a layer's dtype is its output's, as in Keras
   and KerasHub (int32 for a tokenizer or an id layer);
3. `.keras` save and load of a tiny functional model around the layer: same outputs;
4. precision: under `mixed_bfloat16` and `mixed_float16` the outputs and `compute_output_spec` are in
   the policy's compute dtype (or, for a layer that declares a fixed dtype, in that dtype whatever
   the policy), and float weights in its variable dtype; an id layer (an integer dtype) refuses a
   mixed policy passed as its `dtype`;
5. padding invariance (`padding="mask"`: float sequences with a mask and garbage in the padded
   steps; `padding="ids"`: token ids padded with 0): two paddings of the same sequences, of odd and
   even length, give the same outputs on the valid positions;
6. one training step: a compiled model around the layer takes one Adam step, the loss is finite
   and every trainable weight moves (its gradient reached it).

A failure says which check, which layer and which dtype policy.
"""

from __future__ import annotations

import inspect
import json
import os
import tempfile
from collections.abc import Mapping

import keras
import numpy as np
from keras import ops

POLICIES = ("mixed_bfloat16", "mixed_float16")
PADDINGS = (None, "mask", "ids")


def run_layer_test(
    layer_cls: type[keras.layers.Layer],
    init_kwargs: Mapping,
    input_data: np.ndarray,
    *,
    expected_output_shape: tuple | None = None,
    padding: str | None = None,
    follows_policy: bool = True,
    output_dtype: str | None = None,
    run_training_check: bool = True,
    run_precision_checks: bool = True,
    run_saving_check: bool = True,
    seed: int = 0,
) -> None:
    """Runs the checks of the module docstring on `layer_cls(**init_kwargs)`.

    Args:
        layer_cls: the layer class (registered with `keras.saving.register_keras_serializable`).
        init_kwargs: the constructor's arguments.
        input_data: one input batch: floats `[batch, time, channels]`, token ids `[batch, time]` or
            strings `[batch]`.
        expected_output_shape: the output shape of the call on `input_data`, when known.
        padding: "mask" (a mask-aware layer on float sequences), "ids" (token ids, 0 = padding) or
            None (no padding check).
        follows_policy: False for a layer that declares its own dtype (ids, strings) and keeps it
            under every dtype policy.
        output_dtype: the dtype of the (first) output under every policy when it is not the layer's
            compute dtype (`LabelOutputs`: float32 probabilities; `ResTextPreprocessor`: int32 ids).
        run_training_check: take one training step (a layer with trainable weights).
        run_precision_checks: run the mixed-precision checks.
        run_saving_check: save and load a `.keras` model around the layer.
        seed: seeds the initial weights (`keras.utils.set_random_seed`).

    Example:

    ```python
    run_layer_test(KMaxPooling1D, {"k": 2}, np.ones((2, 5, 3), "float32"), padding="mask")
    ```
    """
    if padding not in PADDINGS:
        raise ValueError(f"`padding` must be one of {PADDINGS}. Received: padding={padding!r}")
    keras.utils.set_random_seed(seed)  # the same initial weights on every run: a failure repeats
    init_kwargs = dict(init_kwargs)
    name = describe(layer_cls, init_kwargs)
    run_serialization_test(layer_cls(**init_kwargs), name)
    layer = layer_cls(**init_kwargs)
    dtypes = {"follows_policy": follows_policy, "output_dtype": output_dtype}
    output = run_shape_and_dtype_test(layer, input_data, name, expected_output_shape, **dtypes)
    if run_saving_check:
        run_saving_test(layer_cls, init_kwargs, input_data, name)
    if run_precision_checks:
        run_precision_test(layer_cls, init_kwargs, input_data, name, **dtypes)
    if padding is not None:
        run_padding_test(layer_cls, init_kwargs, input_data, name, padding)
    if run_training_check:
        run_training_test(layer_cls, init_kwargs, input_data, name, padding)
    elif layer.trainable_weights:
        raise AssertionError(f"{name} has trainable weights: run its training check")
    # A training-mode call (dropout, drop path, batch statistics) works and keeps the shape.
    training_output = layer(input_data, training=True)
    assert _shapes(training_output) == _shapes(output), f"{name}: training=True changes the shape"


def describe(cls: type, init_kwargs: Mapping) -> str:
    """How a failure names the object under test: its class and arguments."""
    return f"{cls.__name__}({', '.join(f'{k}={v!r}' for k, v in init_kwargs.items())})"


def run_serialization_test(layer: keras.layers.Layer, name: str) -> None:
    """`get_config` → `from_config`, and Keras' serialize → JSON → deserialize, keep the config."""
    config = layer.get_config()
    config_json = json.dumps(config, sort_keys=True)
    revived = type(layer).from_config(config)
    assert json.dumps(revived.get_config(), sort_keys=True) == config_json, (
        f"{name}: from_config(get_config()) changes the config:\n{config_json}\n"
        f"{json.dumps(revived.get_config(), sort_keys=True)}"
    )
    serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
    revived = keras.saving.deserialize_keras_object(serialized)
    assert type(revived) is type(layer), f"{name}: deserializes as {type(revived).__name__}"
    assert json.dumps(revived.get_config(), sort_keys=True) == config_json, f"{name}: deserialization changes the config"


def _dtype(x) -> str:
    return keras.backend.standardize_dtype(x.dtype)


def _first(output):
    """The first output of a layer that may return a dict (in its order) or a tuple."""
    while isinstance(output, (Mapping, tuple, list)):
        output = next(iter(output.values())) if isinstance(output, Mapping) else output[0]
    return output


def _shapes(output) -> list[tuple]:
    return [tuple(x.shape) for x in keras.tree.flatten(output)]


def _numpy(output):
    return keras.tree.map_structure(ops.convert_to_numpy, output)


def assert_specs_agree(spec, output, where: str) -> None:
    """`compute_output_spec`'s result and a real call's output: the same structure (dicts, tuples),
    and for every output the same dtype and every known dimension the same.

    Args:
        spec: what `compute_output_spec` returned.
        output: what the real call returned.
        where: the start of a failure's message (the layer, the policy, the input).
    """
    keras.tree.assert_same_structure(spec, output)
    for path, (s, o) in zip(_paths(output), zip(keras.tree.flatten(spec), keras.tree.flatten(output))):
        assert _dtype(s) == _dtype(o), f"{where}{path} gives {_dtype(s)}, the call {_dtype(o)}"
        assert _shape_agrees(tuple(s.shape), tuple(o.shape)), (
            f"{where}{path} gives shape {tuple(s.shape)}, the call {tuple(o.shape)}"
        )


def _paths(output) -> list[str]:
    """A label per output, in `keras.tree.flatten` order: "" for one output, " [key]" for a dict's."""
    flat = keras.tree.flatten(output)
    if len(flat) == 1:
        return [""]
    if isinstance(output, Mapping):
        return [f" [{key!r}]" for key in sorted(output)]
    return [f" [{index}]" for index in range(len(flat))]


def _declared_dtype(layer: keras.layers.Layer) -> str:
    """The dtype the layer's outputs must have: its compute dtype (Keras' convention: a layer's
    dtype is its output's, so a tokenizer's is int32, not its input's "string")."""
    return keras.backend.standardize_dtype(layer.compute_dtype)


def _symbolic(input_data: np.ndarray, dynamic: bool = False) -> keras.KerasTensor:
    """A symbolic input like `input_data`; `dynamic`: with an unknown batch size and length."""
    shape = tuple(input_data.shape)
    if dynamic:
        shape = (None, None, *shape[2:])[: len(shape)]
    return keras.KerasTensor(shape, dtype=_input_dtype(input_data))


def _input_dtype(input_data: np.ndarray) -> str:
    return "string" if input_data.dtype.kind in "OUS" else keras.backend.standardize_dtype(input_data.dtype)


def _shape_agrees(spec_shape: tuple, real_shape: tuple) -> bool:
    """A symbolic shape agrees with a real one when every known dimension matches."""
    return len(spec_shape) == len(real_shape) and all(s is None or s == r for s, r in zip(spec_shape, real_shape))


def _defines_compute_output_shape(layer: keras.layers.Layer) -> bool:
    return type(layer).compute_output_shape is not keras.layers.Layer.compute_output_shape


def run_shape_and_dtype_test(
    layer: keras.layers.Layer,
    input_data: np.ndarray,
    name: str,
    expected_output_shape: tuple | None = None,
    *,
    follows_policy: bool = True,
    output_dtype: str | None = None,
    policy: str = "float32",
):
    """A real call, `compute_output_spec` and `compute_output_shape` agree on shapes and dtypes, and
    on an input of known shape the symbolic batch size is known; returns the real output."""
    output = layer(input_data)
    real_shape, real_dtype = tuple(_first(output).shape), _dtype(_first(output))
    if expected_output_shape is not None:
        assert real_shape == tuple(expected_output_shape), f"{name}: output shape {real_shape}, expected {expected_output_shape}"
    declared = _declared_dtype(layer)
    expected_dtype = output_dtype or declared
    source = "it always returns" if output_dtype else "the layer's compute dtype is"
    assert real_dtype == expected_dtype, f"{name} under {policy}: the call returns {real_dtype}, but {source} {expected_dtype}"
    if follows_policy:
        expected = keras.DTypePolicy(policy).compute_dtype
        assert declared == expected, f"{name} under {policy}: compute dtype {declared}, the policy's is {expected}"
    for dynamic in (False, True):
        kind = "with an unknown batch and length" if dynamic else "with the input's shape"
        spec = _output_spec(layer, _symbolic(input_data, dynamic), f"{name} under {policy}: compute_output_spec ({kind})")
        assert_specs_agree(spec, output, f"{name} under {policy}: compute_output_spec ({kind})")
        if not dynamic:  # KerasHub's symbolic call test: the batch size survives a symbolic call
            for path, s in zip(_paths(output), keras.tree.flatten(spec)):
                assert not s.shape or s.shape[0] == real_shape[0], (
                    f"{name}: compute_output_spec{path} loses the batch size: {tuple(s.shape)} for {real_shape[0]} inputs"
                )
        if _defines_compute_output_shape(layer):
            shape = tuple(layer.compute_output_shape(_symbolic(input_data, dynamic).shape))
            assert _shape_agrees(shape, real_shape), f"{name}: compute_output_shape ({kind}) gives {shape}, the call {real_shape}"
    return output


def _output_spec(layer: keras.layers.Layer, inputs, where: str):
    try:
        return layer.compute_output_spec(inputs)
    except Exception as error:  # Keras' own message is pages long; its first line says enough
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        summary = " ... ".join(dict.fromkeys([lines[0], lines[-1]])) if lines else type(error).__name__
        raise AssertionError(f"{where} fails: {summary}") from error


def _tiny_model(layer: keras.layers.Layer, input_data: np.ndarray, with_mask: bool) -> keras.Model:
    """A functional model: input (and a mask input) → the layer."""
    inputs = keras.Input(shape=input_data.shape[1:], dtype=_input_dtype(input_data), name="inputs")
    if not with_mask:
        return keras.Model(inputs, layer(inputs))
    mask = keras.Input(shape=input_data.shape[1:2], dtype="bool", name="mask")
    return keras.Model([inputs, mask], layer(inputs, mask=mask))


def _takes_mask(layer: keras.layers.Layer) -> bool:
    return "mask" in inspect.signature(layer.call).parameters


def _randomize_weights(model: keras.Model, seed: int = 0) -> None:
    """Non-zero trainable weights, so that a lost weight shows in the outputs."""
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
        weight.assign(rng.normal(scale=0.5, size=weight.shape).astype(weight.dtype))


def _lengths(batch: int, time: int) -> list[int]:
    """Valid lengths per row: the full length, shorter ones, and a single step."""
    return [max(1, time - 3 * row) if row < batch - 1 or batch == 1 else 1 for row in range(batch)]


def _masked_batch(input_data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The input with a mask of `_lengths`."""
    batch, time = input_data.shape[:2]
    mask = np.arange(time)[None, :] < np.array(_lengths(batch, time))[:, None]
    return input_data, mask


def _inputs(layer: keras.layers.Layer, input_data: np.ndarray, padding: str | None):
    """The model inputs: with a mask input for a mask-aware layer."""
    if padding == "mask" and _takes_mask(layer):
        return list(_masked_batch(input_data)), True
    return input_data, False


def run_saving_test(layer_cls, init_kwargs: Mapping, input_data: np.ndarray, name: str) -> None:
    """A `.keras` round trip of a model around the layer gives the same outputs and weights."""
    layer = layer_cls(**init_kwargs)
    inputs, with_mask = _inputs(layer, input_data, "mask")
    model = _tiny_model(layer, input_data, with_mask)
    _randomize_weights(model)
    before = _numpy(model(inputs, training=False))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
    revived = [sub for sub in loaded.layers if type(sub) is layer_cls]
    assert revived, f"{name}: the loaded model holds no {layer_cls.__name__}"
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b), err_msg=f"{name}: weight {a.path}")
    after = _numpy(loaded(inputs, training=False))
    assert_outputs_equal(after, before, f"{name}: outputs after a .keras round trip")


def assert_outputs_equal(actual, expected, message: str, tolerance: float = 1e-6) -> None:
    """The same structure and values: floats within `tolerance`, ids and strings exactly."""
    keras.tree.assert_same_structure(actual, expected)
    for path, a, b in zip(_paths(expected), keras.tree.flatten(actual), keras.tree.flatten(expected)):
        a, b = np.asarray(a), np.asarray(b)
        if b.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance, err_msg=f"{message}{path}")
        else:
            np.testing.assert_array_equal(a, b, err_msg=f"{message}{path}")


def run_precision_test(
    layer_cls,
    init_kwargs: Mapping,
    input_data: np.ndarray,
    name: str,
    *,
    follows_policy: bool = True,
    output_dtype: str | None = None,
) -> None:
    """Under each mixed policy: outputs and `compute_output_spec` in the compute dtype, float
    weights in the variable dtype, finite outputs."""
    previous = keras.config.dtype_policy()
    try:
        for policy_name in POLICIES:
            keras.config.set_dtype_policy(policy_name)
            policy = keras.DTypePolicy(policy_name)
            kwargs = {**init_kwargs, "dtype": policy} if follows_policy else dict(init_kwargs)
            layer = layer_cls(**kwargs)
            output = run_shape_and_dtype_test(
                layer, input_data, name, follows_policy=follows_policy, output_dtype=output_dtype, policy=policy_name
            )
            if not follows_policy and output_dtype is None and not keras.backend.is_float_dtype(layer.compute_dtype):
                _assert_refuses(layer_cls, {**init_kwargs, "dtype": policy_name}, f"{name} with dtype={policy_name!r}")
            for path, value in zip(_paths(output), keras.tree.flatten(output)):
                if keras.backend.is_float_dtype(_dtype(value)):
                    assert np.all(np.isfinite(ops.convert_to_numpy(ops.cast(value, "float32")))), (
                        f"{name} under {policy_name}: non-finite outputs{path}"
                    )
            for weight in layer.weights:
                if keras.backend.is_float_dtype(weight.dtype):
                    assert _dtype(weight) == policy.variable_dtype, (
                        f"{name} under {policy_name}: weight {weight.path} is {_dtype(weight)}, "
                        f"the policy's variable dtype {policy.variable_dtype}"
                    )
    finally:
        keras.config.set_dtype_policy(previous)


def _assert_refuses(layer_cls, init_kwargs: Mapping, name: str) -> None:
    """An id layer (its dtype is its output's, an integer) refuses a float dtype policy, in the
    package's wording, rather than cast its ids to floats (id 3001 is 3000.0 in float16)."""
    try:
        layer_cls(**init_kwargs)
    except ValueError as error:
        assert "`dtype` must be" in str(error) and "Received: dtype=" in str(error), f"{name}: {error}"
        return
    raise AssertionError(f"{name}: an id layer takes a float dtype policy; it must refuse it (ValueError)")


def _pad(input_data: np.ndarray, lengths: list[int], padded_length: int, padding: str, seed: int):
    """The sequences cut to `lengths` and padded to `padded_length`: garbage and a mask ("mask"),
    or id 0 ("ids")."""
    rng = np.random.default_rng(seed)
    shape = (input_data.shape[0], padded_length, *input_data.shape[2:])
    if padding == "mask":
        out = rng.normal(scale=100.0, size=shape).astype(input_data.dtype)
    else:
        out = np.zeros(shape, input_data.dtype)
    mask = np.zeros(shape[:2], bool)
    for row, length in enumerate(lengths):
        out[row, :length] = input_data[row, :length]
        mask[row, :length] = True
    return out, mask


def _call(layer: keras.layers.Layer, x: np.ndarray, mask: np.ndarray | None):
    if mask is not None and _takes_mask(layer):
        return layer(x, mask=mask)
    return layer(x)


def run_padding_test(layer_cls, init_kwargs: Mapping, input_data: np.ndarray, name: str, padding: str) -> None:
    """Two paddings (odd and even length) of the same sequences: the same outputs where valid."""
    layer = layer_cls(**init_kwargs)
    batch, time = input_data.shape[:2]
    lengths = _lengths(batch, time)
    outputs, masks = [], []
    for padded_length, seed in ((time + 1, 1), (time + 4, 2)):
        x, mask = _pad(input_data, lengths, padded_length, padding, seed)
        call_mask = mask if padding == "mask" else None
        outputs.append(ops.convert_to_numpy(ops.cast(_call(layer, x, call_mask), "float32")))
        out_mask = layer.compute_mask(x, call_mask) if padding == "mask" else None
        masks.append(None if out_mask is None else ops.convert_to_numpy(out_mask))
    a, b = outputs
    if a.ndim >= 2 and a.shape[1] != b.shape[1]:  # a sequence output: compare the valid steps
        if masks[0] is not None:
            valid = [int(m.sum()) for m in masks[0]]
            assert valid == [int(m.sum()) for m in masks[1]], f"{name}: the output masks differ in length"
        else:
            valid = lengths
        for row, length in enumerate(valid):
            np.testing.assert_allclose(
                a[row, :length], b[row, :length], rtol=1e-5, atol=1e-5,
                err_msg=f"{name}: padding changes the outputs on the valid steps of row {row}",
            )  # fmt: skip
    else:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=f"{name}: padding changes the outputs")


def run_training_test(layer_cls, init_kwargs: Mapping, input_data: np.ndarray, name: str, padding: str | None) -> None:
    """One Adam step of a compiled model around the layer moves every trainable weight."""
    layer = layer_cls(**init_kwargs)
    inputs, with_mask = _inputs(layer, input_data, padding)
    model = _tiny_model(layer, input_data, with_mask)
    assert model.trainable_weights, f"{name} has no trainable weights: pass run_training_check=False"
    output = model(inputs)
    assert keras.backend.is_float_dtype(_dtype(output)), f"{name}: a {_dtype(output)} output cannot train"
    target = np.random.default_rng(0).normal(size=output.shape).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    before = [ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
    loss = model.train_on_batch(inputs, target)
    assert np.isfinite(loss), f"{name}: the training step's loss is {loss}"
    frozen = [w.path for w, old in zip(model.trainable_weights, before) if np.array_equal(ops.convert_to_numpy(w), old)]
    assert not frozen, f"{name}: one training step left these trainable weights unchanged (no gradient): {frozen}"
