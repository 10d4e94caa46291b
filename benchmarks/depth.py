"""The depth table: does depth pay? Each word-level trunk with the default's recipe, on the four sets.

    python -m benchmarks.depth                       # 6 trunks x 4 sets x 3 seeds: hours on a 2-core CPU
    python -m benchmarks.depth --quick               # smoke test: subsets, 1 seed, 1 epoch
    python -m benchmarks.depth --rows restext_base,restext_deep32 --datasets mr --seeds 1
    python -m benchmarks.depth --resume              # go on with an interrupted run: finished jobs are kept
    python -m benchmarks.depth --resume --replace --rows restext_base   # train rows again after a preset change
    python -m benchmarks.depth --render              # write depth.md again from depth.json (no training)

Every row trains through `benchmarks.ours.train_ours` (the package's `train`, as `benchmarks.run`
does for the default), one job at a time in a fresh process (`benchmarks.runner`), and reports test
accuracy (mean ± std over seeds), the accuracy of the residual branch alone (the wide logits left
out at inference), training time, and training time per example and epoch. It writes
`benchmarks/results/depth.json` and `benchmarks/results/depth.md` after every job (`--quick`: under
`benchmarks/results/quick/`), so an interrupted run keeps what it finished.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from benchmarks.datasets import DATASETS
from benchmarks.report import DATASET_NAMES, _ok, gap_in_points
from benchmarks.run import QUICK_DIR, QUICK_LIMITS
from benchmarks.runner import (
    REPO_ROOT, ResultsFiles, check_names, csv_list, machine, new_meta, pending, run_jobs, utc_now,
)

RESULTS = REPO_ROOT / "benchmarks" / "results" / "depth.json"

_SEPARABLE = {"separable": True, "kernel_sizes": (3, 5, 7)}
# Row name -> (preset, model overrides, what the row is).
ROWS: dict[str, tuple[str, dict, str]] = {
    "restext_base": ("restext_base", {}, "the default's trunk: 3 one-convolution blocks"),
    "restext_deep32": ("restext_deep32", {}, "32 weight layers"),
    "restext_deep64": ("restext_deep64", {}, "64 weight layers"),
    "dpcnn": ("dpcnn", {}, "DPCNN's 250-filter pyramid"),
    "separable_base": ("restext_base", _SEPARABLE, "separable convolutions at kernel sizes (3, 5, 7), the default's depth"),
    "separable_deep32": ("restext_deep32", _SEPARABLE, "separable convolutions at kernel sizes (3, 5, 7), 32 layers"),
    "deep_supervised_base": ("restext_base", {"deep_loss_weight": 1.0},
                             "the default's trunk, the deep logits' own cross-entropy added to the loss"),
    "deep_supervised_dpcnn": ("dpcnn", {"deep_loss_weight": 1.0},
                              "DPCNN's pyramid, the deep logits' own cross-entropy added to the loss"),
    "vdcnn_9": ("vdcnn_9", {}, "VDCNN on characters, 9 layers"),
    "vdcnn_17": ("vdcnn_17", {}, "VDCNN on characters, 17 layers"),
    "vdcnn_29": ("vdcnn_29", {}, "VDCNN on characters, 29 layers"),
}
VDCNN_ROWS = ("vdcnn_9", "vdcnn_17", "vdcnn_29")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.depth", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=csv_list, default=list(ROWS), help="comma-separated: " + ",".join(ROWS))
    parser.add_argument("--datasets", type=csv_list, default=list(DATASETS), help="comma-separated: " + ",".join(DATASETS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke test: small subsets, 1 seed, 1 epoch")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per job (default: none)")
    parser.add_argument("--results", type=Path, default=None, help="results JSON (default benchmarks/results/depth.json)")
    parser.add_argument("--render", action="store_true", help="only write the results' markdown again from their JSON")
    parser.add_argument("--resume", action="store_true",
                        help="keep the results file's finished jobs and run only the others (same command otherwise)")
    parser.add_argument("--replace", action="store_true",
                        help="with --resume: train the given rows and sets again, their finished jobs dropped "
                             "(after a change to their preset)")
    args = parser.parse_args(argv)
    if args.replace and not args.resume:
        parser.error("--replace goes with --resume")
    check_names(parser, args, {"rows": ROWS, "datasets": DATASETS})
    if args.quick:
        args.seeds = 1
    args.results = args.results or (QUICK_DIR / "depth.json" if args.quick else RESULTS)
    return args


def plan(args: argparse.Namespace) -> list[dict]:
    """The jobs, in order: per set, every row's seeds."""
    limits = QUICK_LIMITS if args.quick else {}
    return [
        {"method": "ours", "row": row, "preset": ROWS[row][0], "model_overrides": ROWS[row][1],
         "dataset": dataset, "seed": seed, **limits}
        for dataset in args.datasets
        for row in args.rows
        for seed in range(args.seeds)
    ]


def _stat(values: list[float], digits: int = 1) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.fmean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def render(data: dict) -> str:
    """The depth table as markdown: one line per row and set."""
    runs = data["runs"]
    resumed = data["meta"].get("resumed")
    lines = [
        "# Depth table",
        "",
        f"{data['meta']['date']}, `{data['meta']['command']}`; {data['meta']['machine']}; {data['meta']['software']}."
        + (f" Resumed with `--resume` at {', '.join(resumed)}." if resumed else ""),
        "Test accuracy %, mean ± std over seeds; \"residual alone\": the deep logits without the wide ones;",
        "training: from `train`'s call to the end of `fit`; per example: that time over training examples × epochs.",
        "",
        "| trunk | set | accuracy | residual alone | training s | ms per example | seeds | failed |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in ROWS:
        for dataset in DATASETS:
            chosen = [r for r in runs if r.get("row") == row and r.get("dataset") == dataset]
            if not chosen:
                continue
            ok = _ok(chosen)
            per_example = [1000 * r["train_seconds"] / (r["n_train"] * r["epochs_run"]) for r in ok]
            lines.append(
                f"| {row} | {DATASET_NAMES.get(dataset, dataset)} | {_stat([100 * r['accuracy'] for r in ok])} "
                f"| {_stat([100 * r['deep_alone_accuracy'] for r in ok if 'deep_alone_accuracy' in r])} "
                f"| {_stat([r['train_seconds'] for r in ok], 0)} | {_stat(per_example, 2)} | {len(ok)} "
                f"| {len(chosen) - len(ok)} |"
            )
    lines += ["", "Rows:", *(f"- `{row}`: {ROWS[row][2]} (preset `{ROWS[row][0]}`"
                             + (f", {ROWS[row][1]}" if ROWS[row][1] else "") + ")" for row in ROWS)]
    return "\n".join(lines + ["", *targets(runs)]) + "\n"


def _mean(runs: list[dict], row: str, dataset: str, key: str) -> float | None:
    values = [r[key] for r in _ok([r for r in runs if r.get("row") == row and r.get("dataset") == dataset]) if key in r]
    return statistics.fmean(values) if values else None


DEEP_ROWS = ("restext_deep32", "restext_deep64", "dpcnn")


def targets(runs: list[dict]) -> list[str]:
    """The depth targets of the issue that this table alone decides, met or missed by how much.

    (The default against fastText and TF-IDF + LR is `benchmarks.run`'s page.)
    """
    lines = ["## Depth targets (from the runs above)", "", "| target | set | measured | met |", "|---|---|---|---|"]
    for dataset in DATASETS:
        base = _mean(runs, "restext_base", dataset, "accuracy")
        if base is None:
            continue
        for row in DEEP_ROWS:
            deep = _mean(runs, row, dataset, "accuracy")
            if deep is not None:
                lines.append(_within_line(row, dataset, deep, base, 1.0))
    lines += _character_targets(runs)
    if _mean(runs, "restext_base", "20news", "accuracy") is not None:
        base = _mean(runs, "restext_base", "20news", "accuracy")
        best = max(((_mean(runs, row, "20news", "accuracy") or 0, row) for row in DEEP_ROWS))
        lines.append(f"| a deep preset above `restext_base` | 20 Newsgroups | `{best[1]}` {100 * best[0]:.1f} vs "
                     f"{100 * base:.1f} | {'yes' if gap_in_points(100 * best[0], 100 * base) > 0 else 'no'} |")
        alone = [(_mean(runs, row, "20news", "deep_alone_accuracy"), row) for row in ROWS]
        alone = [(value, row) for value, row in alone if value is not None]
        if alone:
            value, row = max(alone)
            shown = ", ".join(f"`{r}` {100 * v:.1f}" for v, r in alone)
            lines.append(f"| the residual branch alone >= 85% (best: `{row}`) | 20 Newsgroups | {shown} "
                         f"| {'yes' if gap_in_points(100 * value, 85.0) >= 0 else 'no'} |")
    base_time, deep_time = (_mean(runs, row, "mr", "train_seconds") for row in ("restext_base", "restext_deep64"))
    if base_time and deep_time:
        ratio = deep_time / base_time
        lines.append(f"| `restext_deep64` training <= 5x `restext_base`'s | MR | {deep_time:.0f} s vs {base_time:.0f} s "
                     f"({ratio:.1f}x) | {'yes' if ratio <= 5 else 'no'} |")
    return lines


def _within_line(row: str, dataset: str, accuracy: float, base: float, points: float) -> str:
    """The target line "`row` within `points` of `restext_base`" on `dataset`, met or not."""
    gap = gap_in_points(100 * accuracy, 100 * base)
    within = f"{points:.1f} point" if points == 1 else f"{points:.0f} points"
    return (f"| `{row}` within {within} of `restext_base` | {DATASET_NAMES.get(dataset, dataset)} "
            f"| {100 * accuracy:.1f} vs {100 * base:.1f} ({gap:+.1f}) | {'yes' if gap >= -points else 'no'} |")


# The character trunks' own accuracy that shows they learn (chance is 50% on both sets).
CHARACTER_TRUNK_TARGETS = {"mr": 65.0, "sst2": 70.0}


def _character_targets(runs: list[dict]) -> list[str]:
    """`vdcnn_*`: the whole model within 3 points of `restext_base`, and the trunk alone above its target."""
    lines = []
    for dataset, trunk_target in CHARACTER_TRUNK_TARGETS.items():
        base = _mean(runs, "restext_base", dataset, "accuracy")
        for row in VDCNN_ROWS:
            chars = _mean(runs, row, dataset, "accuracy")
            if base is not None and chars is not None:
                lines.append(_within_line(row, dataset, chars, base, 3.0))
            trunk = _mean(runs, row, dataset, "deep_alone_accuracy")
            if trunk is not None:
                met = gap_in_points(100 * trunk, trunk_target) >= 0
                lines.append(f"| `{row}`'s residual branch alone >= {trunk_target:.0f}% | {DATASET_NAMES[dataset]} "
                             f"| {100 * trunk:.1f} | {'yes' if met else 'no'} |")
    return lines


def _job_key(job: dict) -> tuple:
    return job["row"], job["dataset"], job["seed"]


def _finished(args: argparse.Namespace, files: ResultsFiles) -> dict | None:
    """The results file of the run being resumed, its failed jobs left out (they run again)."""
    if not (args.resume and args.results.exists()):
        return None
    data = files.load()
    data["runs"] = [r for r in data["runs"] if "error" not in r]
    # A resume may run on another machine than the first run: its jobs' times are that machine's.
    here = machine()
    entry = utc_now() if here == data["meta"]["machine"] else f"{utc_now()} on {here}"
    if args.replace:
        replaced = {(row, dataset) for row in args.rows for dataset in args.datasets}
        data["runs"] = [r for r in data["runs"] if (r.get("row"), r.get("dataset")) not in replaced]
        entry += f" (rows {', '.join(args.rows)} on {', '.join(args.datasets)} trained again)"
    data["meta"].setdefault("resumed", []).append(entry)
    return data


def _record(data: dict, result: dict) -> None:
    data["runs"].append(result)


def _summary(result: dict) -> str:
    return f"accuracy {100 * result['accuracy']:.1f}%, train {result['train_seconds']:.1f} s"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    files = ResultsFiles(args.results, args.results.with_suffix(".md"), render)
    if args.render:
        files.markdown.write_text(render(files.load()))
        print(f"Wrote {files.markdown}")
        return 0
    command = "python -m benchmarks.depth " + " ".join(argv if argv is not None else sys.argv[1:])
    data = _finished(args, files) or {"meta": new_meta(command, quick=args.quick), "runs": []}
    jobs = pending(plan(args), data["runs"], _job_key)
    run_jobs(jobs, data, files, label=lambda job: f"depth-{job['row']}-{job['dataset']}-{job['seed']}",
             record=_record, summary=_summary, timeout=args.timeout)
    return 1 if any("error" in r for r in data["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
