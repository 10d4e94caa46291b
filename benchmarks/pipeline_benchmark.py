"""Input pipeline benchmark: is the data side fast enough, and does it stream in bounded memory?

    python benchmarks/pipeline_benchmark.py                     # both parts, 100 MB and 1 GB CSVs
    python benchmarks/pipeline_benchmark.py --skip-memory       # throughput only (a minute)
    python benchmarks/pipeline_benchmark.py --skip-throughput --sizes-mb 100
    python benchmarks/pipeline_benchmark.py --skip-throughput --skip-memory --sources   # per source kind

1. Throughput. The pipeline alone (read the CSV from disk, tokenize, batch: `read_dataset` +
   `build_pipeline`, no cache, several epochs, nothing else running) in examples/s, next to the
   training step of `restext_base` (`model.fit` on the same batches, cached in memory so only the
   model is timed). The pipeline should be >= 3x faster than the model consumes.
2. Memory. Generates CSVs of the given sizes in a temporary folder (deleted afterwards), streams each
   through `read_dataset` + `build_pipeline` (shuffle buffer 10,000) in a fresh subprocess and reports
   its peak RSS (`ru_maxrss`). Streaming means the peak does not grow with the file's size.

Results go to `benchmarks/results/pipeline.md` (and `.json`, which keeps the numbers of parts that a
later run skips).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
RESULTS = REPO / "benchmarks" / "results"
STREAM_LABELS = ["negative", "positive"]

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(REPO))

from benchmarks import pipeline_sources  # noqa: E402  (imports no TensorFlow at module level)


def peak_rss_mib() -> float:
    """`ru_maxrss` of this process in MiB (Linux reports KiB). Beware: after fork/exec it starts from
    the parent's resident size, so the memory part spawns its children before importing TensorFlow."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status_mib(field: str) -> float | None:
    """`VmRSS` (now) or `VmHWM` (peak) of this process from /proc, in MiB; None off Linux."""
    try:
        with open("/proc/self/status") as stream:
            for line in stream:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# -- 1. throughput -------------------------------------------------------------------------------------


def time_epochs(dataset, epochs: int) -> tuple[int, float]:
    """Iterates `dataset` once to warm up (tracing, file cache), then `epochs` times; (examples, seconds)."""
    for _ in dataset:
        pass
    examples, start = 0, time.perf_counter()
    for _ in range(epochs):
        for ids, _targets in dataset:
            examples += int(ids.shape[0])
    return examples, time.perf_counter() - start


def throughput(data_name: str, epochs: int, train_epochs: int, batch_size: int) -> dict:
    import keras
    import tensorflow as tf

    from keras_restext import build_resnet_classifier, get_preset
    from keras_restext.data import LabelVocabulary, build_pipeline, make_tokenizer, read_dataset

    path = {"mr": DATA / "mr" / "train.csv", "sst2": DATA / "sst2" / "train.tsv"}[data_name]
    preset = get_preset("restext_base")
    data = read_dataset(path)
    labels = LabelVocabulary.from_data(data)
    tokenizer = make_tokenizer(**preset["tokenizer"]).adapt(data)
    result = {
        "data": os.path.relpath(path, REPO),
        "batch_size": batch_size,
        "tokenizer": preset["tokenizer"],
        "vocabulary_size": tokenizer.vocabulary_size(),
        "pipeline": {},
    }
    modes = {"padded to the batch": {}, "bucketed": {"bucket": True}, "static [batch, 256]": {"static_shapes": True}}
    for mode, options in modes.items():
        dataset = build_pipeline(data, tokenizer, labels, batch_size=batch_size, shuffle=True, seed=0, **options)
        examples, seconds = time_epochs(dataset, epochs)
        result["pipeline"][mode] = round(examples / seconds, 1)
        print(f"pipeline ({mode}): {examples / seconds:,.0f} examples/s ({examples} examples, {seconds:.2f} s)", flush=True)

    # The model on the very batches the default pipeline yields, held in memory.
    batches = build_pipeline(data, tokenizer, labels, batch_size=batch_size, shuffle=True, seed=0).cache()
    count = sum(1 for _ in batches)  # fills the cache
    batches = batches.apply(tf.data.experimental.assert_cardinality(count))
    model = build_resnet_classifier(len(labels), tokenizer.vocabulary_size(), preset="restext_base")
    model.compile(
        optimizer=keras.optimizers.AdamW(preset["training"]["learning_rate"]),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    model.fit(batches, epochs=1, verbose=0)  # tracing and warm-up
    start = time.perf_counter()
    model.fit(batches, epochs=train_epochs, verbose=0)
    seconds = time.perf_counter() - start
    examples = train_epochs * sum(int(ids.shape[0]) for ids, _ in batches)
    result["training_step"] = round(examples / seconds, 1)
    result["ratio"] = round(result["pipeline"]["padded to the batch"] / result["training_step"], 1)
    print(f"training step (restext_base): {examples / seconds:,.0f} examples/s ({examples} examples, {seconds:.1f} s)")
    print(f"pipeline / training step: {result['ratio']}x")
    return result


# -- 2. memory -------------------------------------------------------------------------------------------


def generate_csv(path: Path, size_mb: int, seed: int = 0) -> int:
    """Writes a `text,label` CSV of about `size_mb` MiB: random words, some quoted fields with commas
    and line breaks. Returns the number of rows."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    rows = []
    for i in range(20000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 80)))
        if i % 10 == 0:
            text = f'"{text}, with a comma,\nand a line break"'
        rows.append(f"{text},{STREAM_LABELS[i % 2]}\n")
    block = "".join(rows).encode()
    target, written, count = size_mb * 1024 * 1024, 0, 0
    with open(path, "wb") as stream:
        stream.write(b"text,label\n")
        while written < target:
            stream.write(block)
            written += len(block)
            count += len(rows)
    return count


def stream_child(path: str, batch_size: int) -> None:
    """Runs in a fresh process: streams one file through the pipeline, prints one JSON line."""
    from keras_restext.data import LabelVocabulary, WordTokenizer, build_pipeline, read_dataset

    rss_after_import = proc_status_mib("VmRSS")
    start = time.perf_counter()
    data = read_dataset(path)
    # The vocabularies come from a 20,000-row sample and the known label names: adapting on the whole
    # file would be another full pass, which this benchmark does not need.
    tokenizer = WordTokenizer(max_tokens=30000, max_length=256).adapt(data.dataset.take(20000))
    labels = LabelVocabulary(STREAM_LABELS)
    dataset = build_pipeline(data, tokenizer, labels, batch_size=batch_size, shuffle=True, seed=0, shuffle_buffer=10000)
    examples = 0
    for ids, _targets in dataset:
        examples += int(ids.shape[0])
    seconds = time.perf_counter() - start
    print(json.dumps({
        "examples": examples,
        "seconds": round(seconds, 1),
        "examples_per_s": round(examples / seconds, 1),
        "rss_after_import_mib": round(rss_after_import or 0, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "vm_hwm_mib": round(proc_status_mib("VmHWM") or 0, 1),
        "skipped": data.skipped,
    }))


def memory(sizes_mb: list[int], batch_size: int) -> dict:
    results = {}
    with tempfile.TemporaryDirectory(prefix="restext-stream-") as folder:
        for size in sizes_mb:
            path = Path(folder) / f"stream_{size}mb.csv"
            start = time.perf_counter()
            rows = generate_csv(path, size)
            took = time.perf_counter() - start
            print(f"generated {path.stat().st_size / 2**20:,.0f} MiB, {rows:,} rows in {took:.0f} s", flush=True)
            child = subprocess.run(
                [sys.executable, __file__, "--stream-child", str(path), "--batch-size", str(batch_size)],
                capture_output=True, text=True, cwd=REPO,
            )
            path.unlink()
            if child.returncode != 0:
                raise RuntimeError(f"streaming {size} MB failed:\n{child.stderr[-3000:]}")
            measured = json.loads(child.stdout.strip().splitlines()[-1])
            measured.update(file_mib=size, rows=rows, parent_peak_rss_mib=round(peak_rss_mib(), 1))
            results[str(size)] = measured
            print(f"{size} MB: {json.dumps(measured)}", flush=True)
    return results


# -- report --------------------------------------------------------------------------------------------


def render(results: dict) -> str:
    lines = [
        "# Input pipeline benchmark",
        "",
        "Generated by `python benchmarks/pipeline_benchmark.py` (see its docstring). Measured on the project's",
        "2-core CPU machine, which other jobs may share: treat the numbers as indicative.",
        "",
    ]
    t = results.get("throughput")
    if t:
        lines += [
            f"## Throughput ({t['measured']})",
            "",
            f"Data: `{t['data']}`, tokenizer {t['tokenizer']} (vocabulary {t['vocabulary_size']}), batch {t['batch_size']}, "
            "shuffled, read from the file every epoch (no cache).",
            "",
            "| what | examples/s |",
            "| --- | ---: |",
        ]
        for mode, value in t["pipeline"].items():
            lines.append(f"| pipeline alone: read + tokenize + batch, {mode} | {value:,.0f} |")
        lines += [
            f"| training step of `restext_base` (`fit`, batches in memory) | {t['training_step']:,.0f} |",
            "",
            f"The pipeline (padded to the batch, the default) is **{t['ratio']}x** faster than the model consumes "
            f"(goal: >= 3x): {'met' if t['ratio'] >= 3 else 'NOT met'}.",
            "",
        ]
    m = results.get("memory")
    if m:
        lines += [
            f"## Streaming memory ({results.get('memory_measured', '')})",
            "",
            "A generated `text,label` CSV streamed through `read_dataset` + `build_pipeline` (word tokenizer, "
            "batch 64, shuffle buffer 10,000) in a fresh process: one pass over the file, tokenizer adapted on its "
            "first 20,000 rows. Peak RSS is the child's `ru_maxrss` (TensorFlow included) and, as a cross-check, "
            "its `VmHWM`; 'RSS after import' is its resident size before reading any data. The children are "
            "started before the benchmark imports TensorFlow: `ru_maxrss` starts from the parent's size at "
            "fork/exec, and the parent's peak then was at most the last column.",
            "",
            "| file | rows | examples/s | RSS after import (MiB) | peak RSS, ru_maxrss (MiB) | VmHWM (MiB) "
            "| parent's peak (MiB) |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for size, r in sorted(m.items(), key=lambda kv: int(kv[0])):
            lines.append(
                f"| {int(size):,} MB | {r['rows']:,} | {r['examples_per_s']:,.0f} | {r['rss_after_import_mib']:,.0f} "
                f"| {r['peak_rss_mib']:,.0f} | {r.get('vm_hwm_mib', 0):,.0f} | {r.get('parent_peak_rss_mib', 0):,.0f} |"
            )
        peaks = [r["peak_rss_mib"] for r in m.values()]
        lines += [
            "",
            f"Largest peak: {max(peaks):,.0f} MiB (goal: < 2048 MiB, not growing with the file's size).",
            "",
        ]
    if results.get("sources"):
        lines += pipeline_sources.render(results["sources"])
    big = results.get("prepare_1gb")
    if big:  # measured by hand: `/usr/bin/time -v restext prepare` on a generated CSV (see the line)
        lines += ["## `restext prepare` on a 1 GB CSV", "", big["how"], "",
                  f"{big['examples']:,} examples, {big['tokens_counted']:,} tokens counted (all of them, exactly: no "
                  f"pruning), vocabulary {big['vocabulary']:,}; peak RSS {big['peak_rss_mib']:,.0f} MiB (goal < 2048); "
                  f"{big['wall_s']:,.0f} s wall, {big['cpu_s']:,.0f} s CPU.", ""]  # fmt: skip
    if results.get("paper"):
        lines += pipeline_sources.render_paper(results["paper"], results.get("sources"))
    env = results.get("environment", {})
    lines += ["## Environment", "", *(f"- {k}: {v}" for k, v in env.items()), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=("mr", "sst2"), default="mr")
    parser.add_argument("--epochs", type=int, default=3, help="timed pipeline epochs (after one warm-up epoch)")
    parser.add_argument("--train-epochs", type=int, default=1, help="timed training epochs (after one warm-up epoch)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--sizes-mb", default="100,1024", help="generated CSV sizes, comma-separated MiB")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--results", default=str(RESULTS / "pipeline.md"))
    parser.add_argument("--sources", action="store_true",
                        help="also measure each source kind on 1 and 2 cores, and the paper estimate (pipeline_sources)")
    parser.add_argument("--source-rows", type=int, default=300_000, help="rows of the corpus of --sources")
    parser.add_argument("--stream-child", metavar="CSV", help=argparse.SUPPRESS)
    parser.add_argument("--source-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_child:
        stream_child(args.stream_child, args.batch_size)
        return 0
    if args.source_child:
        print(json.dumps(pipeline_sources.child(*args.source_child)))
        return 0

    md_path = Path(args.results)
    json_path = md_path.with_suffix(".json")
    results = json.loads(json_path.read_text()) if json_path.exists() else {}
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    if not args.skip_memory:  # first: while this process is small (see peak_rss_mib)
        results["memory"] = memory([int(s) for s in args.sizes_mb.split(",")], args.batch_size)
        results["memory_measured"] = now
    if args.sources:  # before importing TensorFlow here: the children are measured alone
        with tempfile.TemporaryDirectory(prefix="restext-sources-") as folder:
            results["sources"] = {**pipeline_sources.measure(__file__, DATA, Path(folder), args.source_rows), "measured": now}
        results["paper"] = pipeline_sources.paper()
    if not args.skip_throughput:
        results["throughput"] = {**throughput(args.data, args.epochs, args.train_epochs, args.batch_size), "measured": now}
    import keras
    import tensorflow as tf

    results["environment"] = {
        "CPU cores": os.cpu_count(),
        "machine": platform.machine(),
        "Python": platform.python_version(),
        "TensorFlow": tf.__version__,
        "Keras": keras.__version__,
    }
    md_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    md_path.write_text(render(results))
    print(f"wrote {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
