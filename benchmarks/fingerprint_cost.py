"""What the data fingerprint of a run costs next to one epoch of `restext train` (issue 50's target: <= 5%).

    python benchmarks/fingerprint_cost.py                    # a 1 GB CSV, 300 timed training steps
    python benchmarks/fingerprint_cost.py --size-gb 0.1 --steps 100 --keep

A run records every data file's content (`keras_restext.training.run_folder.content_digest`: the
size and a BLAKE2b digest of every byte, read in 1 MiB chunks) so that a killed run does not resume
on data that changed. This script:

1. writes a CSV of `--size-gb` GB under a temporary folder by repeating the rows of
   `../shared/data/mr/train.csv` (the header once), and deletes it at the end (unless `--keep`);
2. times the run's fingerprint of it (`with_data_contents`) with the file out of the page cache
   (`posix_fadvise(DONTNEED)`: read from the disk) and in it (three runs, the median);
3. times `train(train=CSV, epochs=1)` with the command line's defaults (preset "auto", ...): the
   start (reading, counting, choosing the preset, adapting the tokenizer) and the training steps,
   stopped after `--warmup-steps` + `--steps` steps (a 1 GB epoch takes hours on 2 cores); one
   epoch is estimated as the mean step time after the warm-up x the steps of an epoch;
4. prints one JSON object: the fingerprint's seconds and its share of one epoch.

Measured 2026-12-06 on the 2-core Intel Xeon build machine (a background job beside it), 1.00 GB
(7,897,508 rows): the fingerprint 2.92 s from the disk (0.34 GB/s), 1.07 s from the page cache;
"auto" chose restext_base, batch 64, 123,399 steps an epoch at 19.3 ms a step (304 steps timed):
one epoch about 2,382 s. The fingerprint costs 0.12% of one epoch (0.04% from the page cache),
against the target of 5%; the run's start before the first step (reading, counting, choosing the
preset, adapting the tokenizer) took 1,078 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = (REPO / ".." / "shared" / "data" / "mr" / "train.csv").resolve()

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(REPO))


def repeat_csv(source: Path, path: Path, size_bytes: int) -> int:
    """Writes `source`'s header once and its rows again and again until `path` holds `size_bytes`
    bytes or more; returns the number of rows."""
    header, *rows = source.read_bytes().splitlines(keepends=True)
    block = b"".join(rows)
    written, count = 0, 0
    with open(path, "wb") as stream:
        stream.write(header)
        while written < size_bytes:
            stream.write(block)
            written += len(block)
            count += len(rows)
    return count


def drop_from_page_cache(path: Path) -> None:
    """Evicts the file's pages (this file only), so that the next read comes from the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


def time_fingerprint(path: Path, repeats: int = 3) -> dict:
    """Seconds of the run's data fingerprint of `path`: read from the disk, and from the page cache."""
    from keras_restext.training.run_folder import with_data_contents

    fingerprint = {"train": str(path), "validation": None}
    drop_from_page_cache(path)
    start = time.perf_counter()
    digest = with_data_contents(fingerprint)["data"][str(path)]
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeats):
        start = time.perf_counter()
        with_data_contents(fingerprint)
        warm.append(time.perf_counter() - start)
    return {"from_disk_s": round(cold, 2), "from_page_cache_s": round(statistics.median(warm), 2),
            "bytes": digest["bytes"], "GB_per_s_from_disk": round(digest["bytes"] / cold / 1e9, 2)}  # fmt: skip


def time_training_steps(path: Path, output: Path, warmup: int, steps: int) -> dict:
    """`train` with the command line's defaults, stopped after `warmup + steps` steps: the start's
    seconds, the mean seconds of a step after the warm-up and the estimated epoch."""
    import keras

    from keras_restext.training import train

    marks: dict[str, float] = {"begin": time.perf_counter()}

    class StepClock(keras.callbacks.Callback):
        """Notes the time at the first batch, after the warm-up, and at the end; then stops `fit`."""

        def on_train_batch_end(self, batch, logs=None):  # `batch`: the last step of the execution
            done = batch + 1
            marks.setdefault("first_step", time.perf_counter())
            if done >= warmup and "warm" not in marks:
                marks["warm"], marks["warm_steps"] = time.perf_counter(), done
            if done >= warmup + steps:
                marks["end"], marks["end_steps"] = time.perf_counter(), done
                self.model.stop_training = True

    logged: list[str] = []
    result = train(train=str(path), epochs=1, output=str(output), verbose=0, log=logged.append, tensorboard=False,
                   callbacks=[StepClock()])  # fmt: skip
    summary = next(line for line in logged if ", preset " in line)  # "restext: N train examples, ..., preset P"
    step = (marks["end"] - marks["warm"]) / (marks["end_steps"] - marks["warm_steps"])
    batch_size = result.config["training"]["batch_size"]
    steps_per_epoch = -(-result.sizes["train"] // batch_size)
    return {
        "preset": summary.rsplit(", preset ", 1)[1],
        "rows": result.sizes["train"],
        "batch_size": batch_size,
        "steps_per_epoch": steps_per_epoch,
        "start_s": round(marks["first_step"] - marks["begin"], 1),
        "timed_steps": marks["end_steps"] - marks["warm_steps"],
        "step_s": round(step, 4),
        "epoch_estimate_s": round(step * steps_per_epoch, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-gb", type=float, default=1.0, help="the CSV's size in GB (10^9 bytes; default 1)")
    parser.add_argument("--steps", type=int, default=300, help="timed training steps (default 300)")
    parser.add_argument("--warmup-steps", type=int, default=64, help="untimed steps first (tracing; default 64)")
    parser.add_argument("--folder", default=tempfile.gettempdir(), help="where the CSV is written (default /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the CSV and the run folder")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="restext-fingerprint-", dir=args.folder))
    csv = work / "train.csv"
    try:
        rows = repeat_csv(SOURCE, csv, int(args.size_gb * 1e9))
        fingerprint = time_fingerprint(csv)
        training = time_training_steps(csv, work / "run", args.warmup_steps, args.steps)
    finally:
        if not args.keep:
            for file in sorted(work.rglob("*"), reverse=True):
                file.rmdir() if file.is_dir() else file.unlink()
            work.rmdir()
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "csv": {"bytes": fingerprint["bytes"], "rows": rows, "from": str(SOURCE)},
        "fingerprint": fingerprint,
        "training": training,
        "share_of_an_epoch_from_disk": round(fingerprint["from_disk_s"] / training["epoch_estimate_s"], 4),
        "share_of_an_epoch_from_cache": round(fingerprint["from_page_cache_s"] / training["epoch_estimate_s"], 4),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
