"""A ready accelerator check: training speed of the main presets on whatever device is at hand.

    python -m benchmarks.accelerator              # one GPU or more: the full check, under 5 minutes
    python -m benchmarks.accelerator --tiny       # a tiny version of the same, in seconds (the default on a CPU)

For `restext_base`, `dpcnn` and `restext_deep64` it measures `model.fit`'s training step (examples/s
and ms per step) at float32, mixed bfloat16, and mixed bfloat16 compiled with XLA (`jit_compile`),
on one device and under `MirroredStrategy` over every visible GPU, with the peak device memory of
each run (`tf.config.experimental.get_memory_info`, reset before each run; GPUs only). The model
reads random token ids of static shape `[batch, 256]` held in memory, so that only the model is
timed. Beside it, the input pipeline's own rate (`read_dataset` + `build_pipeline`, static shapes,
no model): from the source file (MR's training CSV when `../shared/data` is there, else a generated
CSV) and from the same examples prepared as TFRecord shards (`keras_restext.data.prepare`).

It writes `<output>.json` and `<output>.md` (default `benchmarks/results/accelerator`; `--tiny` writes
`benchmarks/results/accelerator_tiny`). Runs are ordered by importance (one device first) and
skipped, marked so, once `--budget-s` has passed, so the command ends within its budget.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_restext import build_resnet_classifier, get_preset  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MR_TRAIN = (REPO / ".." / "shared" / "data" / "mr" / "train.csv").resolve()
RESULTS = REPO / "benchmarks" / "results"
MODELS = ("restext_base", "dpcnn", "restext_deep64")
MODES = ("float32", "mixed_bfloat16", "mixed_bfloat16+xla")
CLASSES = 2


@dataclass
class Settings:
    """What one invocation measures: full size on a GPU, or a tiny version of the same."""

    tiny: bool
    length: int = 256
    batch_size: int = 128  # per replica
    vocab_size: int = 200_000  # the word presets' tokenizer: words and bigrams
    warmup_steps: int = 32  # the first `fit` call: tracing, XLA compilation, autotuning
    timed_steps: int = 64
    steps_per_execution: int = 16  # `restext train`'s default
    pipeline_examples: int = 60_000
    budget_s: float = 270.0

    @classmethod
    def for_device(cls, tiny: bool, budget_s: float | None) -> Settings:
        if tiny:
            settings = cls(tiny=True, length=16, batch_size=4, vocab_size=1000, warmup_steps=1, timed_steps=2,
                           steps_per_execution=1, pipeline_examples=512, budget_s=120.0)  # fmt: skip
        else:
            settings = cls(tiny=False)
        if budget_s is not None:
            settings.budget_s = budget_s
        return settings


def model_overrides(preset: str, settings: Settings) -> dict:
    """The preset's model, or for `--tiny` the same layout (stages, blocks) at width 8."""
    if not settings.tiny:
        return {}
    model = get_preset(preset)["model"]
    stages = len(model["stage_filters"])
    return {"embedding_dim": 8, "stage_filters": (8,) * stages, "stage_blocks": (1,) * stages,
            "head_units": (8,) * len(model.get("head_units", ())), "deep_vocab_size": None}  # fmt: skip


def random_batches(settings: Settings, global_batch: int) -> tf.data.Dataset:
    """Random `[global_batch, length]` ids and one-hot targets, held in memory, repeated."""
    rng = np.random.default_rng(0)
    ids = rng.integers(2, settings.vocab_size, size=(global_batch * 4, settings.length)).astype("int32")
    targets = np.eye(CLASSES, dtype="float32")[rng.integers(CLASSES, size=global_batch * 4)]
    dataset = tf.data.Dataset.from_tensor_slices((ids, targets)).batch(global_batch, drop_remainder=True)
    return dataset.cache().repeat().prefetch(tf.data.AUTOTUNE)


def device_memory(devices: list[str]) -> tuple[Callable[[], None], Callable[[], float | None]]:
    """`(reset, peak)`: reset the devices' peak memory statistics; read their largest peak in MiB (None on CPU)."""

    def reset():
        for device in devices:
            tf.config.experimental.reset_memory_stats(device)

    def peak():
        if not devices:
            return None
        return max(tf.config.experimental.get_memory_info(d)["peak"] for d in devices) / 2**20

    return reset, peak


def train_rate(preset: str, mode: str, strategy: tf.distribute.Strategy, settings: Settings, gpus: list[str]) -> dict:
    """One run: build and compile `preset` under `strategy` in `mode`, fit, time the second `fit`."""
    keras.utils.clear_session()
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if mode.startswith("mixed_bfloat16") else "float32")
    reset, peak = device_memory(gpus)
    reset()
    global_batch = settings.batch_size * strategy.num_replicas_in_sync
    with strategy.scope():
        model = build_resnet_classifier(CLASSES, settings.vocab_size, preset=preset, **model_overrides(preset, settings))
        model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss=keras.losses.CategoricalCrossentropy(),
                      jit_compile=mode.endswith("+xla"), steps_per_execution=settings.steps_per_execution)  # fmt: skip
    batches = random_batches(settings, global_batch)
    start = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=settings.warmup_steps, verbose=0, shuffle=False)
    warmup = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=settings.timed_steps, verbose=0, shuffle=False)
    seconds = time.perf_counter() - start
    keras.mixed_precision.set_global_policy("float32")
    return {
        "model": preset, "mode": mode, "replicas": strategy.num_replicas_in_sync, "global_batch": global_batch,
        "step_ms": round(1000 * seconds / settings.timed_steps, 2),
        "examples_per_s": round(global_batch * settings.timed_steps / seconds, 1),
        "warmup_s": round(warmup, 1), "peak_device_mib": None if peak() is None else round(peak(), 1),
        "parameters": model.count_params(),
    }  # fmt: skip


def write_generated_csv(path: Path, rows: int) -> Path:
    """A `text,label` CSV of random words, where the shared MR data is not at hand."""
    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("text,label\n")
        for i in range(rows):
            stream.write(" ".join(rng.choice(words) for _ in range(rng.randint(5, 40))) + f",{'ab'[i % 2]}\n")
    return path


def pipeline_rates(settings: Settings, global_batch: int, folder: Path) -> dict:
    """Examples/s of `read_dataset` + `build_pipeline` (static shapes) from the CSV and from prepared shards."""
    from keras_restext.data import LabelVocabulary, build_pipeline, make_tokenizer, read_dataset
    from keras_restext.data.prepare import prepare

    source = MR_TRAIN if MR_TRAIN.exists() and not settings.tiny else write_generated_csv(folder / "train.csv", 2000)
    prepare(str(source), str(folder / "prepared"), shards=8)
    rates = {"source": str(source.name if source != MR_TRAIN else os.path.relpath(source, REPO))}
    tokenizer = None
    for kind, path in (("csv", str(source)), ("prepared TFRecords", str(folder / "prepared"))):
        data = read_dataset(path)
        if tokenizer is None:
            config = {**get_preset("restext_base")["tokenizer"], "max_length": settings.length}
            tokenizer = make_tokenizer(**config).adapt(data)
        labels = LabelVocabulary.from_data(data)
        batches = build_pipeline(data, tokenizer, labels, batch_size=global_batch, shuffle=True, seed=0,
                                 static_shapes=True, repeat=True)  # fmt: skip
        steps = max(2, settings.pipeline_examples // global_batch)
        iterator = iter(batches)
        next(iterator)  # warm-up: tracing, the first file reads
        start = time.perf_counter()
        for _ in range(steps):
            next(iterator)
        rates[kind] = round(steps * global_batch / (time.perf_counter() - start), 1)
    return rates


def planned_runs(settings: Settings, models: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """`(strategy, model, mode)` in order of importance: every model and mode on one device, then
    under `MirroredStrategy`. `--tiny` runs each path once: every model at float32, the first in
    every mode, and the first under `MirroredStrategy` (XLA compiles and Keras traces are what
    take the time on a CPU)."""
    if not settings.tiny:
        return [(strategy, model, mode) for strategy in ("one device", "mirrored") for model in models for mode in MODES]
    first = models[0]
    return ([("one device", model, MODES[0]) for model in models] + [("one device", first, m) for m in MODES[1:]]
            + [("mirrored", first, MODES[0])])  # fmt: skip


def run_all(settings: Settings, models: tuple[str, ...]) -> dict:
    """Every (strategy, model, mode) run within the budget, then the input pipeline's rates."""
    start = time.perf_counter()
    gpus = [d.name.replace("/physical_device:", "") for d in tf.config.list_physical_devices("GPU")]
    strategies = [("one device", tf.distribute.get_strategy())]
    strategies.append(("mirrored", tf.distribute.MirroredStrategy(gpus or None)))
    runs = []
    for strategy_name, preset, mode in planned_runs(settings, models):
        row = {"strategy": strategy_name, "model": preset, "mode": mode}
        if time.perf_counter() - start > settings.budget_s:
            runs.append({**row, "skipped": f"budget of {settings.budget_s:.0f} s spent"})
            continue
        runs.append({**row, **train_rate(preset, mode, dict(strategies)[strategy_name], settings, gpus)})
        print(json.dumps(runs[-1]), flush=True)
    with tempfile.TemporaryDirectory(prefix="restext-accelerator-") as folder:
        pipeline = pipeline_rates(settings, settings.batch_size, Path(folder))
    return {"settings": asdict(settings), "gpus": gpus, "runs": runs, "pipeline": pipeline,
            "seconds": round(time.perf_counter() - start, 1), "environment": environment(gpus)}  # fmt: skip


def environment(gpus: list[str]) -> dict:
    details = [tf.config.experimental.get_device_details(d) for d in tf.config.list_physical_devices("GPU")]
    return {
        "device": ", ".join(d.get("device_name", "GPU") for d in details) or f"CPU only ({os.cpu_count()} cores)",
        "TensorFlow": tf.__version__, "Keras": keras.__version__, "Python": platform.python_version(),
    }  # fmt: skip


def render(results: dict) -> str:
    """The Markdown page: one row per run, then the input pipeline beside the model."""
    s, env = results["settings"], results["environment"]
    lines = [
        "# Accelerator check" + (" (tiny CPU version)" if s["tiny"] else ""), "",
        f"`python -m benchmarks.accelerator{' --tiny' if s['tiny'] else ''}` on {env['device']}, TensorFlow "
        f"{env['TensorFlow']}, in {results['seconds']:.0f} s. Training steps of `model.fit` on random ids "
        f"`[{s['batch_size']} per replica, {s['length']}]`, {s['steps_per_execution']} steps per execution, "
        f"{s['timed_steps']} timed steps after {s['warmup_steps']} warm-up steps.", "",
        "| strategy | model | precision | replicas | global batch | ms / step | examples/s | peak device MiB "
        "| warm-up s |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]  # fmt: skip
    if not results["gpus"]:
        lines[2:2] = ["No GPU was at hand for this run: the table shows the tiny CPU version (width-8 models, "
                      "16 tokens), which checks that every path runs, not how fast a GPU is. Run "
                      "`python -m benchmarks.accelerator` on a GPU host for the real table.", ""]  # fmt: skip
    for r in results["runs"]:
        if "skipped" in r:
            lines.append(f"| {r['strategy']} | {r['model']} | {r['mode']} | | | | {r['skipped']} | | |")
            continue
        memory = "n/a (CPU)" if r["peak_device_mib"] is None else f"{r['peak_device_mib']:,.0f}"
        lines.append(f"| {r['strategy']} | {r['model']} | {r['mode']} | {r['replicas']} | {r['global_batch']} "
                     f"| {r['step_ms']:,.1f} | {r['examples_per_s']:,.0f} | {memory} | {r['warmup_s']:.1f} |")  # fmt: skip
    p = results["pipeline"]
    lines += ["", f"Input pipeline alone (`read_dataset` + `build_pipeline`, static shapes, batch {s['batch_size']}, "
              f"data `{p['source']}`): CSV {p['csv']:,.0f} examples/s, prepared TFRecords "
              f"{p['prepared TFRecords']:,.0f} examples/s, on this host's CPU.", ""]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="a tiny version in seconds (the default without a GPU)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated presets")
    parser.add_argument("--budget-s", type=float, help="skip the runs left after this many seconds")
    parser.add_argument("--output", help="the results' path without suffix (.json and .md are written)")
    args = parser.parse_args(argv)
    tiny = args.tiny or not tf.config.list_physical_devices("GPU")
    settings = Settings.for_device(tiny, args.budget_s)
    results = run_all(settings, tuple(m.strip() for m in args.models.split(",") if m.strip()))
    output = Path(args.output or RESULTS / ("accelerator_tiny" if tiny else "accelerator"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    output.with_suffix(".md").write_text(render(results))
    print(f"wrote {output}.json and {output}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
