"""The benchmark page in one command: accuracy against three baselines, cost and efficiency.

    python -m benchmarks.run                      # everything: 4 sets, ours x 3 seeds, baselines, efficiency
    python -m benchmarks.run --quick              # smoke test: subsets, 1 seed, 1 epoch (~minutes)
    python -m benchmarks.run --datasets mr,trec --methods fasttext,tfidf_lr --no-efficiency

For every set it trains, one after the other and each in a fresh process (see `benchmarks.jobs`):
fastText, TF-IDF + LR, the Kim CNN and our default preset (3 seeds), then measures the efficiency
figures. It writes the raw results to `benchmarks/results/benchmarks.json` and the page
`docs/benchmarks.md` after every job, so an interrupted run keeps what it finished. `--quick` writes
to `benchmarks/results/quick/` instead and leaves the documentation alone.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
from importlib import metadata
from pathlib import Path

from benchmarks.datasets import DATASETS
from benchmarks.jobs import METHODS, REPO_ROOT, run_in_subprocess
from benchmarks.report import render

RESULTS = REPO_ROOT / "benchmarks" / "results" / "benchmarks.json"
DOC = REPO_ROOT / "docs" / "benchmarks.md"
QUICK_DIR = REPO_ROOT / "benchmarks" / "results" / "quick"
QUICK_LIMITS = {"max_train": 600, "max_test": 200, "max_chars": 2000, "epochs": 1, "quick": True}
DETERMINISTIC = ("tfidf_lr",)  # one run whatever the seeds


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=_csv, default=list(DATASETS), help="comma-separated: " + ",".join(DATASETS))
    parser.add_argument("--methods", type=_csv, default=list(METHODS), help="comma-separated: " + ",".join(METHODS))
    parser.add_argument("--seeds", type=int, default=3, help="seeds of our model (default 3)")
    parser.add_argument("--baseline-seeds", type=int, default=1, help="seeds of fastText and the Kim CNN (default 1)")
    parser.add_argument("--no-efficiency", action="store_true", help="skip the efficiency figures")
    parser.add_argument("--only-efficiency", action="store_true", help="measure the efficiency figures only")
    parser.add_argument("--quick", action="store_true", help="smoke test: small subsets, 1 seed, 1 epoch")
    parser.add_argument("--merge", action="store_true", help="keep the other runs of an existing results file")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per job (default: none)")
    parser.add_argument("--results", type=Path, default=None, help=f"results JSON (default {RESULTS.relative_to(REPO_ROOT)})")
    parser.add_argument("--doc", type=Path, default=None, help=f"markdown page (default {DOC.relative_to(REPO_ROOT)})")
    args = parser.parse_args(argv)
    for name, allowed in (("datasets", DATASETS), ("methods", METHODS)):
        unknown = sorted(set(getattr(args, name)) - set(allowed))
        if unknown:
            parser.error(f"unknown {name} {unknown}; allowed: {', '.join(allowed)}")
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
            seeds = 1 if method in DETERMINISTIC else (args.seeds if method == "ours" else args.baseline_seeds)
            for seed in range(seeds):
                job = {"method": method, "dataset": dataset, "seed": seed, **limits}
                if method not in ("ours", "kim_cnn"):
                    job.pop("epochs", None)
                jobs.append(job)
    if not args.no_efficiency:
        jobs.append({"method": "efficiency", "quick": args.quick})
    return jobs


def machine() -> str:
    """CPU model, logical CPUs, memory and OS, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        import psutil  # noqa: PLC0415

        memory = f", {psutil.virtual_memory().total / 2**30:.0f} GiB RAM"
    except ImportError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs{memory}, no GPU used, {platform.system()} {platform.release()}"


def software() -> str:
    names = ("tensorflow", "keras", "scikit-learn", "fasttext-wheel", "numpy")
    versions = []
    for name in names:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return f"Python {platform.python_version()}, " + ", ".join(versions)


def _key(run: dict) -> tuple:
    return (run.get("method"), run.get("dataset"), run.get("seed"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = {"meta": {}, "runs": [], "efficiency": None}
    if args.merge and args.results.exists():
        data = json.loads(args.results.read_text())
    command = "python -m benchmarks.run " + shlex.join(argv if argv is not None else sys.argv[1:])
    if args.merge and data["meta"].get("command"):
        command = data["meta"]["command"] + "` + `" + command  # every command that wrote a row
    data["meta"] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command.strip(),
        "machine": machine(),
        "software": software(),
        "quick": args.quick,
    }
    jobs = plan(args)
    logs = args.results.parent
    for number, job in enumerate(jobs, 1):
        name = "-".join(str(job[k]) for k in ("method", "dataset", "seed") if k in job)
        print(f"[{number}/{len(jobs)}] {name} ...", flush=True)
        result = run_in_subprocess(job, logs / f"{name}.log", timeout=args.timeout)
        if job["method"] == "efficiency":
            data["efficiency"] = result
        else:
            data["runs"] = [r for r in data["runs"] if _key(r) != _key(result)] + [result]
        print("    " + _summary(result), flush=True)
        _write(data, args)
    print(f"Wrote {args.results} and {args.doc}")
    failed = [r for r in [*data["runs"], data["efficiency"] or {}] if "error" in r]
    return 1 if failed else 0


def _summary(result: dict) -> str:
    if "error" in result:
        return "FAILED: " + result["error"]
    if result.get("method") == "efficiency":
        return (f"forward {result['forward']['achieved_gflops_per_s']:.0f} GFLOP/s = "
                f"{100 * result['forward']['fraction_of_matmul']:.0f}% of matmul ({result['job_seconds']:.0f} s)")
    return (f"accuracy {100 * result['accuracy']:.1f}%, train {result['train_seconds']:.1f} s, "
            f"peak RSS {result['peak_rss_mb']:.0f} MiB ({result['job_seconds']:.0f} s)")


def _write(data: dict, args: argparse.Namespace) -> None:
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(data, indent=1) + "\n")
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(render(data))


if __name__ == "__main__":
    sys.exit(main())
