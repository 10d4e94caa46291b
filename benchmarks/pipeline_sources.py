"""The input pipeline's rate per source kind, on 1 and 2 cores: the part `--sources` of
`benchmarks/pipeline_benchmark.py`.

Each (source kind, cores) runs in a fresh process pinned with `taskset -c 0` or `-c 0,1`, so that its
peak RSS (`ru_maxrss`) is its own and tf.data's thread pools see only those cores. The data: MR's
training rows repeated to `--rows` rows (a CSV in a temporary folder), and the same rows prepared by
`keras_restext.data.prepare` (8 shards; once with text only, once with token ids too). Every kind
then goes through what training runs: `build_pipeline` (tokenize on batches of 1024, shuffle buffer
10,000, batch 64 padded to the longest row, `num_parallel_calls=AUTOTUNE`), except "prepared token
ids", which reads the stored ids (parse, shuffle, pad; no tokenizing). The tokenizer is the word
tokenizer (30,000 tokens, max_length 256) adapted on the first 20,000 rows. The rate is the steady
state: the pipeline is built (a C++ reader's first checking pass included, timed apart as
"setup"), 20 batches are drawn to warm up, then one whole pass is timed as `fit` consumes it,
inside the graph (`Dataset.reduce`; the shuffle buffer's fill included). Then the reader alone is
timed the same way (its examples in batches of 64, nothing else), to tell the reader's pace from
the pace of the stages every kind shares.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

KINDS = ("csv, Python generator", "csv, C++ reader", "prepared TFRecords", "prepared token ids")
CORES = {"1 core": "0", "2 cores": "0,1"}
BATCH = 64


def write_corpus(data: Path, path: Path, rows: int) -> int:
    """MR's training rows (and SST-2's) repeated into a `text,label` CSV of `rows` rows."""
    with open(data / "mr" / "train.csv", newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        next(reader)
        base = [tuple(row) for row in reader]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("text", "label"))
    for i in range(rows):
        writer.writerow(base[i % len(base)])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return rows


def _tokenizer_and_labels(csv_path: str):
    from keras_restext.data import LabelVocabulary, WordTokenizer, read_dataset

    sample = read_dataset(csv_path, native=False, limit=20000)
    tokenizer = WordTokenizer(max_tokens=30000, max_length=256).adapt(sample)
    return tokenizer, LabelVocabulary.from_data(sample)


def _token_id_records(folder: str):
    """The stored `(token_ids, label)` records, one by one."""
    from keras_restext.data.sources.tfrecord import LABEL, TOKEN_IDS, record_dataset, tfrecord_files

    return record_dataset(tfrecord_files(folder)[0], token_ids=True, keys=(TOKEN_IDS, LABEL))


def _token_id_batches(folder: str, labels):
    """The stored token ids as training batches, with no `map` per example (as `build_pipeline`):
    each parsed batch of records made dense with its rows' lengths, split, shuffled, batched, and
    each batch cut back to its longest row."""
    import tensorflow as tf

    records = _token_id_records(folder).batch(1024)

    def dense(ids, label):
        return (tf.cast(ids.to_tensor(), tf.int32), tf.cast(ids.row_lengths(), tf.int32)), labels.encode(label)

    def trim(ids_and_lengths, targets):
        ids, lengths = ids_and_lengths
        return ids[:, : tf.maximum(tf.reduce_max(lengths), 1)], targets

    examples = records.map(dense, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    batches = examples.shuffle(10000, seed=0).padded_batch(BATCH)
    return batches.map(trim, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def child(kind: str, csv_path: str, prepared: str, prepared_ids: str) -> dict:
    """Runs in a fresh, pinned process: one source kind's pipeline, timed; returns one JSON-able dict."""
    import resource

    import tensorflow as tf

    from keras_restext.data import build_pipeline, read_dataset

    tokenizer, labels = _tokenizer_and_labels(csv_path)
    start = time.perf_counter()
    reader = "tf.data"
    if kind == "prepared token ids":
        batches = _token_id_batches(prepared_ids, labels)
        source_alone = _token_id_records(prepared_ids)
    else:
        source = {"csv, Python generator": csv_path, "csv, C++ reader": csv_path}.get(kind, prepared)
        data = read_dataset(source, native=False) if kind == "csv, Python generator" else read_dataset(source)
        reader, source_alone = data.reader, data.dataset
        batches = build_pipeline(data, tokenizer, labels, batch_size=BATCH, shuffle=True, seed=0)
    iterator = iter(batches)
    for _ in range(20):
        next(iterator)
    setup = time.perf_counter() - start
    # One whole pass consumed inside the graph, as `fit`'s compiled loop consumes it: a Python loop
    # over the batches would time the eager iterator's per-batch overhead, not the pipeline.
    count = lambda total, batch: total + tf.cast(tf.shape(batch[0])[0], tf.int64)  # noqa: E731
    start = time.perf_counter()
    examples = int(batches.reduce(tf.constant(0, tf.int64), count))
    seconds = time.perf_counter() - start
    start = time.perf_counter()  # the reader alone, in batches (a reduce per example would time the reduce)
    count_labels = lambda total, pair: total + tf.cast(tf.shape(pair[1])[0], tf.int64)  # noqa: E731
    read = int(source_alone.batch(BATCH).reduce(tf.constant(0, tf.int64), count_labels))
    source_rate = read / (time.perf_counter() - start)
    return {"examples_per_s": round(examples / seconds, 1), "source_alone_per_s": round(source_rate, 1),
            "examples": examples, "setup_s": round(setup, 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "reader": reader}  # fmt: skip


def prepare_folders(csv_path: Path, folder: Path) -> tuple[str, str]:
    """The corpus prepared twice (8 shards): text and label; and with token ids too."""
    code = (
        "import sys; from keras_restext.data.prepare import prepare; from keras_restext.data import make_tokenizer; "
        "prepare(sys.argv[1], sys.argv[2], shards=8); "
        "prepare(sys.argv[1], sys.argv[3], shards=8, tokenizer=make_tokenizer('word', max_tokens=30000, max_length=256))"
    )
    text, ids = str(folder / "prepared"), str(folder / "prepared_ids")
    subprocess.run([sys.executable, "-c", code, str(csv_path), text, ids], check=True, capture_output=True)
    return text, ids


def measure(script: str, data: Path, folder: Path, rows: int) -> dict:
    """Every (kind, cores) in a pinned child process; returns `{kind: {cores: result}}`."""
    csv_path = folder / "corpus.csv"
    write_corpus(data, csv_path, rows)
    prepared, prepared_ids = prepare_folders(csv_path, folder)
    results: dict = {"rows": rows, "load_average_before": round(os.getloadavg()[0], 1)}
    for kind in KINDS:
        for cores, cpus in CORES.items():
            argv = ["taskset", "-c", cpus, sys.executable, script, "--source-child", kind, str(csv_path), prepared,
                    prepared_ids]  # fmt: skip
            done = subprocess.run(argv, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"{kind} on {cores} failed:\n{done.stderr[-3000:]}")
            results.setdefault(kind, {})[cores] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{kind}, {cores}: {results[kind][cores]}", flush=True)
    return results


PEAKS = {"one H100 (989 TFLOP/s dense bf16)": 989e12, "one TPU v5e chip (197 TFLOP/s bf16)": 197e12}
UTILISATION = 0.4
PAPER_MODELS = ("restext_base", "dpcnn", "restext_deep64")


def paper() -> dict:
    """FLOPs per 256-token example of each preset (forward counted by `benchmarks.efficiency`;
    training = 3x forward: the backward pass costs about twice the forward), and the examples/s
    that each accelerator would consume at `UTILISATION` of its bf16 peak."""
    from benchmarks.efficiency import count_forward_flops
    from keras_restext import build_resnet_classifier

    rows = {}
    for preset in PAPER_MODELS:
        model = build_resnet_classifier(2, 200_000, preset=preset)
        forward = count_forward_flops(model, 256)
        rows[preset] = {"forward_flops": forward, "training_flops": 3 * forward,
                        "needed_examples_per_s": {name: UTILISATION * peak / (3 * forward) for name, peak in PEAKS.items()}}  # fmt: skip
    return rows


def render_paper(estimate: dict, sources: dict | None) -> list[str]:
    """The calculation on paper: what one accelerator consumes, and the input cores each kind needs."""
    lines = [
        "## On paper: what one accelerator would consume", "",
        "FLOPs of one 256-token example: the forward pass counted analytically (2 x the multiply-adds of every "
        "Conv1D, SeparableConv1D and Dense layer, `benchmarks/efficiency.py`), training = 3 x forward "
        f"(backward about 2 x forward). Needed examples/s = {UTILISATION:.0%} of the bf16 peak / training FLOPs. "
        "Cores needed = needed examples/s / the kind's measured 1-core rate above (this machine's core; "
        "an accelerator host's cores are likely faster, and scaling past 2 cores is not measured here).", "",
    ]  # fmt: skip
    per_core = {kind: sources[kind]["1 core"]["examples_per_s"] for kind in KINDS} if sources else {}
    header = "| model | GFLOP / example (forward) | GFLOP / example (training) | accelerator | examples/s needed |"
    header += "".join(f" cores: {kind} |" for kind in per_core)
    lines += [header, "| --- | ---: | ---: | --- | ---: |" + " ---: |" * len(per_core)]
    for preset, row in estimate.items():
        for name, needed in row["needed_examples_per_s"].items():
            cores = "".join(f" {needed / rate:,.0f} |" for rate in per_core.values())
            lines.append(f"| {preset} | {row['forward_flops'] / 1e9:.3f} | {row['training_flops'] / 1e9:.3f} | {name} "
                         f"| {needed:,.0f} |{cores}")  # fmt: skip
    return lines + [""]


def render(sources: dict) -> list[str]:
    """The Markdown section of the per-kind table."""
    lines = [
        f"## Pipeline rate per source kind ({sources.get('measured', '')})", "",
        f"MR's rows repeated to {sources['rows']:,} rows; see `benchmarks/pipeline_sources.py` for what each "
        "kind runs. Steady state, after the build and 20 warm-up batches, one pass consumed inside the graph "
        "(`Dataset.reduce`, as `fit` does; a Python loop gave the same rates); each kind in its own process, pinned "
        "with `taskset`. 'setup' is the time to build the pipeline and draw the first 20 batches (a C++ "
        "reader's first, checking pass in Python included). 'reader alone': the source's examples in batches, "
        "without tokenizing, shuffling or padding.", "",
        "| source kind | reader | examples/s, 1 core | examples/s, 2 cores | 2 / 1 cores | setup s (2 cores) "
        "| peak RSS MiB (2 cores) | vs the CSV generator (2 cores) | reader alone, examples/s (1 / 2 cores) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]  # fmt: skip
    base = sources[KINDS[0]]["2 cores"]["examples_per_s"]
    for kind in KINDS:
        one, two = sources[kind]["1 core"], sources[kind]["2 cores"]
        lines.append(f"| {kind} | {two['reader']} | {one['examples_per_s']:,.0f} | {two['examples_per_s']:,.0f} "
                     f"| {two['examples_per_s'] / one['examples_per_s']:.2f}x | {two['setup_s']:.1f} "
                     f"| {two['peak_rss_mib']:,.0f} | {two['examples_per_s'] / base:.2f}x "
                     f"| {_alone(one)} / {_alone(two)} |")  # fmt: skip
    return lines + [""] + contention_note(sources)


def _alone(result: dict) -> str:
    return f"{result['source_alone_per_s']:,.0f}" if "source_alone_per_s" in result else "-"


def contention_note(sources: dict) -> list[str]:
    """What sets the pace: a busy machine (2 cores slower than 1), or, when every kind's reader alone
    is faster than its whole pipeline, the stages that every kind shares."""
    slower = [kind for kind in KINDS
              if sources[kind]["2 cores"]["examples_per_s"] < sources[kind]["1 core"]["examples_per_s"]]  # fmt: skip
    load = sources.get("load_average_before")
    if slower and not (isinstance(load, (int, float)) and load < 1.5):
        return [f"**Not reliable**: 2 cores ran slower than 1 for {', '.join(slower)}: the machine was shared with other "
                f"jobs (load average {load or '~10'} on 2 cores during the run). Rerun "
                "`--sources` on an idle machine before reading the ratios or the core counts below.", ""]  # fmt: skip
    two = {kind: sources[kind]["2 cores"] for kind in KINDS}
    if not all("source_alone_per_s" in r for r in two.values()):
        return []
    rates = [r["examples_per_s"] for r in two.values()]
    readers = [r["source_alone_per_s"] for r in two.values()]
    if min(readers) <= max(rates):
        return []
    return [f"On 2 cores (load average {load} before the run) every kind's reader alone ({min(readers) / 1e3:,.0f}k-"
            f"{max(readers) / 1e3:,.0f}k examples/s) outruns every whole pipeline ({min(rates) / 1e3:,.0f}k-"
            f"{max(rates) / 1e3:,.0f}k): the stages that every kind shares (tokenizing, the shuffle buffer, batching) set "
            "the pace here, not the reader, so the kind of source changes the rate little. The Python generator is "
            "held to one core by Python's lock, the C++ readers are not: that gap opens only on a host with more "
            "cores than this one.", ""]  # fmt: skip


__all__ = ["KINDS", "child", "measure", "paper", "render", "render_paper", "write_corpus"]
