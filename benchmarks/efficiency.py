"""Efficiency figures of the benchmark page, measured on random token ids (no padding), forward pass only.

* The yardstick: the machine's dense float32 matmul rate (2048 x 2048 products).
* `count_forward_flops`: the FLOPs of one forward pass, counted analytically (2 x multiply-adds) from
  the shapes every `Conv1D`, `SeparableConv1D` and `Dense` layer actually sees during a real call.
  Only these matmul-like layers are counted: the embedding lookup, poolings, masking, activations and
  additions are memory-bound work with no multiply-adds worth counting, so "achieved FLOP/s" is the
  rate of useful convolution/dense arithmetic, which is what a matmul rate can be compared with.
  (Analytic counting was chosen over `tf.compat.v1.profiler`: the profiler needs fully static graph
  shapes and counts whatever ops it has statistics for, elementwise ones included, which makes the
  ratio to a matmul rate harder to read.)
* `length_scaling`: time per example of a preset at lengths 64, 256 and 1024, batch 256; the row at
  the preset's own length (256) is the forward-pass efficiency at batch 256.
* `depth_scaling`: `dpcnn` at length 1024 with twice its depth (29 instead of 15 weight layers),
  built three ways: `pyramid` (14 stages instead of 7: DPCNN's own way to go deeper, each extra stage
  halves the length again), `blocks` (`stage_blocks=(2,)*7`) and `layers` (`num_layers=4` per block).

How it is timed (`benchmarks.timing.time_interleaved`): the calls being compared, the matmul included, run round-robin
(A, B, C, A, B, C, ...) after warm-up, and each keeps its fastest call (medians are kept in the JSON).
On a shared machine whose speed changes from one minute to the next (this 2-vCPU machine swings
between about 105 and 215 GFLOP/s of matmul), interleaving exposes every variant to the same
conditions, and the fastest call is the least disturbed one; the ratios divide by the matmul's
fastest call of the same round-robin. Calls are `tf.function`s of `model(ids, training=False)`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator

import keras
import numpy as np
import tensorflow as tf

import keras_restext
from benchmarks.timing import time_interleaved

VOCAB_SIZE = 30000
MATMUL_N = 2048


def matmul_call(n: int = MATMUL_N) -> Callable[[], object]:
    """One `n x n` float32 matmul (`2 n^3` FLOPs), the yardstick."""
    a = tf.random.normal((n, n), seed=1)
    b = tf.random.normal((n, n), seed=2)
    product = tf.function(lambda: tf.matmul(a, b), autograph=False)
    return lambda: product().numpy()[0, 0]


# ---------------------------------------------------------------------------------------------
# FLOP counting.
# ---------------------------------------------------------------------------------------------


def _conv_flops(layer, inputs, outputs) -> int:
    kernel = tuple(layer.kernel.shape)  # (width, in / groups, out)
    return 2 * int(np.prod(outputs.shape)) * kernel[0] * kernel[1]


def _separable_flops(layer, inputs, outputs) -> int:
    width, channels, multiplier = tuple(layer.depthwise_kernel.shape)
    steps = int(np.prod(outputs.shape[:-1]))
    return 2 * steps * (width * channels * multiplier + channels * multiplier * outputs.shape[-1])


def _dense_flops(layer, inputs, outputs) -> int:
    return 2 * int(np.prod(inputs.shape)) * int(outputs.shape[-1])


_COUNTED: dict[type, Callable] = {
    keras.layers.Conv1D: _conv_flops,
    keras.layers.SeparableConv1D: _separable_flops,
    keras.layers.Dense: _dense_flops,
}


@contextlib.contextmanager
def _recording_flops(total: list[int]) -> Iterator[None]:
    """Wraps the `call` of the counted layer classes, adding each call's FLOPs to `total[0]`."""
    own = {cls: cls.__dict__.get("call") for cls in _COUNTED}  # None: inherited

    def wrap(cls):
        original, count = cls.call, _COUNTED[cls]

        def call(self, inputs, *args, **kwargs):
            outputs = original(self, inputs, *args, **kwargs)
            if type(self) is cls:  # exact instances only: a subclass may compute differently
                total[0] += count(self, inputs, outputs)
            return outputs

        return call

    try:
        for cls in _COUNTED:
            cls.call = wrap(cls)
        yield
    finally:
        for cls, original in own.items():
            if original is None:
                del cls.call
            else:
                cls.call = original


def count_forward_flops(model: keras.Model, length: int, batch_size: int = 1) -> int:
    """FLOPs (2 x multiply-adds of conv and dense layers) of one forward pass on `[batch, length]` ids."""
    total = [0]
    ids = _random_ids(1, length)
    with _recording_flops(total):
        model(ids, training=False)
    return total[0] * batch_size


# ---------------------------------------------------------------------------------------------
# Timing.
# ---------------------------------------------------------------------------------------------


def _random_ids(batch_size: int, length: int, seed: int = 0) -> tf.Tensor:
    rng = np.random.default_rng(seed)
    return tf.constant(rng.integers(2, VOCAB_SIZE, size=(batch_size, length)), dtype=tf.int32)


def forward_call(model: keras.Model, batch_size: int, length: int) -> Callable[[], object]:
    """One inference forward pass of `model` on fixed random `[batch_size, length]` ids."""
    forward = tf.function(lambda ids: model(ids, training=False), autograph=False)
    ids = _random_ids(batch_size, length)
    return lambda: forward(ids).numpy()


def _matmul_row(timing: dict, n: int = MATMUL_N) -> dict:
    flops = 2 * n**3
    return {
        "n": n,
        "seconds": timing["seconds"],
        "gflops_per_s": flops / timing["seconds"] / 1e9,
        "median_gflops_per_s": flops / timing["median_seconds"] / 1e9,
    }


def _model_row(timing: dict, flops_per_example: int, batch_size: int, length: int, matmul_gflops: float) -> dict:
    achieved = flops_per_example * batch_size / timing["seconds"] / 1e9
    return {
        "batch_size": batch_size,
        "length": length,
        "batch_seconds": timing["seconds"],
        "median_batch_seconds": timing["median_seconds"],
        "ms_per_example": 1e3 * timing["seconds"] / batch_size,
        "median_ms_per_example": 1e3 * timing["median_seconds"] / batch_size,
        "gflops_per_example": flops_per_example / 1e9,
        "achieved_gflops_per_s": achieved,
        "fraction_of_matmul": achieved / matmul_gflops,
    }


def build(preset: str, **overrides) -> keras.Model:
    """The preset's classifier for 2 classes on a 30000-word vocabulary, as in the issue."""
    return keras_restext.build_resnet_classifier(num_classes=2, vocab_size=VOCAB_SIZE, preset=preset, **overrides)


def length_scaling(
    preset: str = "restext_base",
    *,
    lengths: tuple[int, ...] = (64, 256, 1024),
    batch_size: int = 256,
    rounds: int = 7,
) -> dict:
    """Time per example of `preset` at each length (interleaved with the matmul yardstick).

    Returns:
        `{"preset", "params", "matmul", "rows", "loglog_slope", "max_step_exponent"}`: the slope of
        log time against log length (1 = linear) and the steepest exponent between two neighbouring
        lengths (e.g. 1.0 when 4x the length takes 4x the time).
    """
    model = build(preset)
    calls = {"matmul": matmul_call(), **{str(n): forward_call(model, batch_size, n) for n in lengths}}
    timings = time_interleaved(calls, rounds=rounds)
    matmul = _matmul_row(timings["matmul"])
    rows = [
        _model_row(timings[str(n)], count_forward_flops(model, n), batch_size, n, matmul["gflops_per_s"])
        for n in lengths
    ]
    times = [r["ms_per_example"] for r in rows]
    steps = [
        math.log(t2 / t1) / math.log(l2 / l1) for l1, l2, t1, t2 in zip(lengths, lengths[1:], times, times[1:])
    ]
    return {
        "preset": preset,
        "params": model.count_params(),
        "matmul": matmul,
        "rows": rows,
        "loglog_slope": float(np.polyfit(np.log(lengths), np.log(times), 1)[0]),
        "max_step_exponent": max(steps),
    }


# The paper's two convolutions per block, pinned: the `dpcnn` preset now has one, and these rows
# measure how the 15-layer network's time grows with depth, as they did before.
DEPTH_VARIANTS: dict[str, dict] = {
    "1x (15 weight layers)": {"num_layers": 2},
    "2x pyramid: 14 stages": {"num_layers": 2, "stage_filters": (250,) * 14, "stage_blocks": (1,) * 14},
    "2x blocks: stage_blocks=(2,)*7": {"num_layers": 2, "stage_blocks": (2,) * 7},
    "2x layers: num_layers=4": {"num_layers": 4},
}


def depth_scaling(*, length: int = 1024, batch_size: int = 64, rounds: int = 7) -> dict:
    """`dpcnn` at `length`: time per example of each 2x-depth variant relative to the preset (1x).

    Returns:
        `{"preset", "length", "matmul", "rows"}`; each row has `variant`, `params`, `time_ratio`.
    """
    models = {name: build("dpcnn", **overrides) for name, overrides in DEPTH_VARIANTS.items()}
    calls = {"matmul": matmul_call(), **{name: forward_call(m, batch_size, length) for name, m in models.items()}}
    timings = time_interleaved(calls, rounds=rounds)
    matmul = _matmul_row(timings["matmul"])
    rows = []
    for name, model in models.items():
        row = _model_row(timings[name], count_forward_flops(model, length), batch_size, length, matmul["gflops_per_s"])
        rows.append({"variant": name, "params": model.count_params(), **row})
    for row in rows:
        row["time_ratio"] = row["ms_per_example"] / rows[0]["ms_per_example"]
        row["median_time_ratio"] = row["median_ms_per_example"] / rows[0]["median_ms_per_example"]
    return {"preset": "dpcnn", "length": length, "matmul": matmul, "rows": rows}


def run_efficiency(preset: str = "restext_base", *, quick: bool = False) -> dict:
    """All efficiency figures of the issue.

    Returns:
        `{"length_scaling", "forward", "depth_scaling"}`; `forward` is the length-scaling row at the
        preset's own maximum length, i.e. the achieved forward FLOP/s at batch 256.
    """
    own_length = keras_restext.get_preset(preset)["tokenizer"]["max_length"]
    lengths = tuple(sorted({64, 256, 1024, own_length}))
    scaling = length_scaling(preset, lengths=lengths, batch_size=32 if quick else 256, rounds=3 if quick else 7)
    forward = next(r for r in scaling["rows"] if r["length"] == own_length)
    depth = depth_scaling(length=256 if quick else 1024, batch_size=8 if quick else 64, rounds=3 if quick else 7)
    return {
        "length_scaling": scaling,
        "forward": {"preset": preset, "params": scaling["params"], **forward},
        "depth_scaling": depth,
    }
