"""The benchmark page in one command: accuracy against three baselines, cost and efficiency.

    python -m benchmarks.run                      # everything: 4 sets, ours x 3 seeds, baselines, efficiency
    python -m benchmarks.run --quick              # smoke test: subsets, 1 seed, 1 epoch (~minutes)
    python -m benchmarks.run --datasets mr,trec --methods fasttext,tfidf_lr --no-efficiency
    python -m benchmarks.run --resume --datasets trec --methods tune --baseline-seeds 3 --no-efficiency  # seeds 1-2

For every set it trains, one after the other and each in a fresh process (see `benchmarks.runner`):
fastText, TF-IDF + LR, the Kim CNN and our default preset (3 seeds), then measures the efficiency
figures. It writes the raw results to `benchmarks/results/benchmarks.json` and the page
`docs/benchmarks.md` after every job, so an interrupted run keeps what it finished. `--quick` writes
to `benchmarks/results/quick/` instead and leaves the documentation alone.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from benchmarks.datasets import DATASETS
from benchmarks.jobs import METHODS, SEARCHES
from benchmarks.report import render
from benchmarks.runner import REPO_ROOT, ResultsFiles, check_names, csv_list, new_meta, pending, run_jobs

RESULTS = REPO_ROOT / "benchmarks" / "results" / "benchmarks.json"
DOC = REPO_ROOT / "docs" / "benchmarks.md"
QUICK_DIR = REPO_ROOT / "benchmarks" / "results" / "quick"
QUICK_LIMITS = {"max_train": 600, "max_test": 200, "max_chars": 2000, "epochs": 1, "quick": True}
DETERMINISTIC = ("tfidf_lr",)  # one run whatever the seeds
OURS = ("ours", "ours_auto")  # our seeds; the baselines and the searches run `--baseline-seeds`
QUICK_BUDGET = 20  # seconds of each search in the smoke test


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=csv_list, default=list(DATASETS), help="comma-separated: " + ",".join(DATASETS))
    parser.add_argument("--methods", type=csv_list, default=list(METHODS), help="comma-separated: " + ",".join(METHODS))
    parser.add_argument("--seeds", type=int, default=3, help="seeds of our model (default 3)")
    parser.add_argument("--baseline-seeds", type=int, default=1, help="seeds of fastText and the Kim CNN (default 1)")
    parser.add_argument("--no-efficiency", action="store_true", help="skip the efficiency figures")
    parser.add_argument("--only-efficiency", action="store_true", help="measure the efficiency figures only")
    parser.add_argument("--quick", action="store_true", help="smoke test: small subsets, 1 seed, 1 epoch")
    parser.add_argument("--merge", action="store_true", help="keep the other runs of an existing results file")
    parser.add_argument("--resume", action="store_true",
                        help="like --merge, and the jobs that already have a finished row are not run again")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per job (default: none)")
    parser.add_argument("--results", type=Path, default=None, help=f"results JSON (default {RESULTS.relative_to(REPO_ROOT)})")
    parser.add_argument("--doc", type=Path, default=None, help=f"markdown page (default {DOC.relative_to(REPO_ROOT)})")
    args = parser.parse_args(argv)
    check_names(parser, args, {"datasets": DATASETS, "methods": METHODS})
    args.merge = args.merge or args.resume
    if args.quick:
        args.seeds = args.baseline_seeds = 1
    if args.only_efficiency:
        args.datasets, args.no_efficiency = [], False
    args.results = args.results or (QUICK_DIR / "benchmarks.json" if args.quick else RESULTS)
    args.doc = args.doc or (QUICK_DIR / "benchmarks.md" if args.quick else DOC)
    return args


def plan(args: argparse.Namespace) -> list[dict]:
    """The jobs of the run, in order: per set, the baselines then our seeds; efficiency last."""
    limits = QUICK_LIMITS if args.quick else {}
    jobs = []
    for dataset in args.datasets:
        for method in args.methods:
            seeds = 1 if method in DETERMINISTIC else (args.seeds if method in OURS else args.baseline_seeds)
            for seed in range(seeds):
                job = {"method": method, "dataset": dataset, "seed": seed, **limits}
                if method not in (*OURS, "kim_cnn"):
                    job.pop("epochs", None)
                if method in SEARCHES and args.quick:
                    job["budget"] = QUICK_BUDGET
                jobs.append(job)
    if not args.no_efficiency:
        jobs.append({"method": "efficiency", "quick": args.quick})
    return jobs


def _key(run: dict) -> tuple:
    return (run.get("method"), run.get("dataset"), run.get("seed"))


def _label(job: dict) -> str:
    return "-".join(str(job[k]) for k in ("method", "dataset", "seed") if k in job)


def _start(args: argparse.Namespace, files: ResultsFiles, argv: list[str]) -> dict:
    """The results to add to: empty, or with `--merge` the existing file's (its command kept in front)."""
    data = {"meta": {}, "runs": [], "efficiency": None}
    if args.merge and args.results.exists():
        data = files.load()
    command = "python -m benchmarks.run " + shlex.join(argv)
    if args.merge and data["meta"].get("command"):
        command = data["meta"]["command"] + "` + `" + command  # every command that wrote a row
    data["meta"] = new_meta(command.strip(), quick=args.quick)
    return data


def unfinished(jobs: list[dict], data: dict) -> list[dict]:
    """The jobs without a finished row in `data`: what `--resume` runs (a row with an error runs again)."""
    finished = [run for run in data["runs"] if "error" not in run]
    has_efficiency = bool(data.get("efficiency")) and "error" not in data["efficiency"]
    return [job for job in pending(jobs, finished, _key) if job["method"] != "efficiency" or not has_efficiency]


def _record(data: dict, result: dict) -> None:
    if result["method"] == "efficiency":
        data["efficiency"] = result
    else:
        data["runs"] = [r for r in data["runs"] if _key(r) != _key(result)] + [result]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    files = ResultsFiles(args.results, args.doc, render)
    data = _start(args, files, argv if argv is not None else sys.argv[1:])
    jobs = unfinished(plan(args), data) if args.resume else plan(args)
    run_jobs(jobs, data, files, label=_label, record=_record, summary=_summary, timeout=args.timeout)
    failed = [r for r in [*data["runs"], data["efficiency"] or {}] if "error" in r]
    return 1 if failed else 0


def _summary(result: dict) -> str:
    if result.get("method") == "efficiency":
        return (f"forward {result['forward']['achieved_gflops_per_s']:.0f} GFLOP/s = "
                f"{100 * result['forward']['fraction_of_matmul']:.0f}% of matmul ({result['job_seconds']:.0f} s)")
    return (f"accuracy {100 * result['accuracy']:.1f}%, train {result['train_seconds']:.1f} s, "
            f"peak RSS {result['peak_rss_mb']:.0f} MiB ({result['job_seconds']:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
