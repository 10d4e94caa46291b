"""Multi-task vs single-task, and progressive vs ordinary training, with `restext_base`.

    python -m benchmarks.multitask_progressive            # all jobs, one after the other (about 20 min on 2 CPU cores)
    python -m benchmarks.multitask_progressive --quick    # smoke test: 600 training examples, 1 epoch, writes to /tmp

Jobs (each in a fresh Python process, through `benchmarks.runner.run_in_subprocess`, so that one
model's TensorFlow state and memory do not leak into the next):

- `single`: `keras_restext.training.train` on one set (MR, TREC, SST-2): the ordinary recipe;
- `multitask`: `keras_restext.training.train_multitask` on MR (task "sentiment") + TREC (task
  "question"): one shared trunk, two heads, each example carrying only its own set's label;
- `progressive`, `progressive_freeze`: `train(progressive=True[, freeze_grown=True])` on MR and SST-2.

Everything else is the preset's recipe, untouched and identical across the arms: `restext_base`,
10 epochs at most with early stopping (patience 3) on a stratified 10% of each training set (the
same held-out examples in the single-task and multi-task runs), seed 0, the test sets never seen
before the end. Accuracy is the best epoch's model on the test set, computed by `train` itself.
`train_seconds` runs from the call of `train` to the end of the main `fit` (data reading, tokenizer,
the earlier stages of a progressive run, training; not the evaluation and saving).

Writes `benchmarks/results/multitask_progressive.json` and `docs/multitask_progressive_results.md`.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.datasets import load_benchmark, subsample
from benchmarks.measure import peak_rss_mb
from benchmarks.runner import REPO_ROOT, machine, run_in_subprocess, software

RESULTS = REPO_ROOT / "benchmarks" / "results" / "multitask_progressive.json"
REPORT = REPO_ROOT / "docs" / "multitask_progressive_results.md"
PRESET = "restext_base"
TASK_NAMES = {"mr": "sentiment", "trec": "question", "sst2": "sentiment"}

JOBS: list[dict] = [
    {"kind": "single", "datasets": ["mr"]},
    {"kind": "single", "datasets": ["trec"]},
    {"kind": "multitask", "datasets": ["mr", "trec"]},
    {"kind": "single", "datasets": ["sst2"]},
    {"kind": "progressive", "datasets": ["mr"]},
    {"kind": "progressive", "datasets": ["sst2"]},
    {"kind": "progressive_freeze", "datasets": ["mr"]},
    {"kind": "progressive_freeze", "datasets": ["sst2"]},
]


def _data(name: str, job: dict):
    train_x, train_y, test_x, test_y = load_benchmark(name)
    train_x, train_y = subsample(train_x, train_y, job.get("max_train"))
    return (train_x, train_y), (test_x, test_y)


def execute(job: dict) -> dict:
    """Runs one job in this process; returns its measurements."""
    import keras  # noqa: PLC0415

    from benchmarks.ours import _TrainingEnd  # noqa: PLC0415
    from keras_restext.training import TaskData, train, train_multitask  # noqa: PLC0415

    keras.utils.clear_session()
    overrides = {"epochs": job["epochs"]} if job.get("epochs") else {}
    common = {"preset": PRESET, "seed": job.get("seed", 0), "verbose": 2, "tensorboard": False, **overrides}
    end = _TrainingEnd()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        if job["kind"] == "multitask":
            tasks = {}
            for name in job["datasets"]:
                train_data, test_data = _data(name, job)
                tasks[TASK_NAMES[name]] = TaskData(train=train_data, test=test_data)
            result = train_multitask(tasks, output=str(Path(tmp) / "run"), callbacks=[end], **common)
            accuracy = {
                name: result.metrics["test"][TASK_NAMES[name]]["accuracy"] for name in job["datasets"]
            }
            best_val = max(result.history.get("val_mean_task_accuracy", [float("nan")]))
        else:
            (name,) = job["datasets"]
            train_data, test_data = _data(name, job)
            result = train(
                train=train_data, test=test_data, output=str(Path(tmp) / "run"), callbacks=[end],
                progressive=job["kind"].startswith("progressive"), freeze_grown=job["kind"] == "progressive_freeze",
                **common,
            )  # fmt: skip
            accuracy = {name: result.metrics["test"]["accuracy"]}
            best_val = max(result.history.get("val_accuracy", [float("nan")]))
        call_seconds = time.perf_counter() - start
    return {
        **job,
        "accuracy": accuracy,
        "train_seconds": end.time - start,
        "train_call_seconds": call_seconds,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "best_val": float(best_val),
        "params": result.classifier.count_params(),
        "peak_rss_mb": peak_rss_mb(),
        "tokenizer": {k: v for k, v in result.config["tokenizer"].items() if k != "vocabulary"},
    }


def run_job(job: dict, log_path: Path) -> dict:
    """Runs `job` in a fresh `python -m benchmarks.multitask_progressive --job ...` process, its output to `log_path`.

    The child writes its result only when the job succeeds; `job_seconds` is the whole process's time.
    """
    start = time.perf_counter()
    result = run_in_subprocess(job, log_path, entry=("-m", "benchmarks.multitask_progressive", "--job"))
    result["job_seconds"] = time.perf_counter() - start
    return result


def _find(runs: list[dict], kind: str, datasets: list[str]) -> dict | None:
    return next((r for r in runs if r["kind"] == kind and r["datasets"] == datasets and "error" not in r), None)


def _pct(run: dict | None, name: str) -> str:
    return "—" if run is None else f"{100 * run['accuracy'][name]:.1f}"


def _secs(run: dict | None) -> str:
    return "—" if run is None else f"{run['train_seconds']:.0f}"


def _delta(a: dict | None, b: dict | None, name: str) -> str:
    if a is None or b is None:
        return "—"
    return f"{100 * (a['accuracy'][name] - b['accuracy'][name]):+.1f}"


def _noise(a: dict | None, b: dict | None, name: str, test_sizes: dict) -> str:
    """Whether two test accuracies differ by more than twice the standard error of their difference
    (binomial, the two models' errors taken as independent): a yardstick, not a significance test."""
    if a is None or b is None or name not in test_sizes:
        return "—"
    n = test_sizes[name]
    pa, pb = a["accuracy"][name], b["accuracy"][name]
    se = math.sqrt(pa * (1 - pa) / n + pb * (1 - pb) / n)
    return "no (within noise)" if abs(pa - pb) < 2 * se else "yes"


def test_sizes(names) -> dict:
    """The number of test examples of each set (for the noise yardstick)."""
    return {name: len(load_benchmark(name)[2]) for name in names}


def _header(meta: dict) -> list[str]:
    """The report's title and how it was measured."""
    sizes = meta.get("test_sizes", {})
    se = ", ".join(
        f"{name.upper()} ±{100 * math.sqrt(0.8 * 0.2 / n):.1f}" for name, n in sizes.items()
    )
    lines = [
        "# Multi-task and progressive training: results",
        "",
        f"Generated by `{meta['command']}` on {meta['date']}.",
        "",
        f"- machine: {meta['machine']} (shared, so timings are noisy: treat differences under ~10% as noise)",
        f"- software: {meta['software']}",
        f"- preset as measured: {meta['preset_as_measured']}" if meta.get("preset_as_measured") else "",
        f"- preset `{PRESET}`, its own recipe (AdamW, warm-up + cosine, label smoothing 0.1, "
        f"{meta['epochs']}, early stopping with patience 3 on a stratified 10% of the training set), "
        f"seed {meta['seed']}, **one seed per row**: differences of about 1 point are within seed noise.",
        "- accuracy: the best epoch's model on the test set; time: `train` call to the end of the main `fit` "
        "(reading, tokenizer, the earlier stages of a progressive run, training), seconds.",
        f"- noise yardstick: the binomial standard error of one test accuracy near 80% is {se} points "
        "(test sets of " + ", ".join(f"{n} ({name.upper()})" for name, n in sizes.items()) + " examples); "
        "*beyond noise* says whether two accuracies differ by more than twice the standard error of their "
        "difference. Seed-to-seed variation adds to it.",
        "",
    ]
    if meta.get("quick"):
        lines += ["**Smoke test (`--quick`): subsets and 1 epoch; the numbers mean nothing.**", ""]
    return lines


def _multitask_section(runs: list[dict], sizes: dict) -> list[str]:
    """Multi-task (MR + TREC) against one model per task."""
    mr, trec = _find(runs, "single", ["mr"]), _find(runs, "single", ["trec"])
    multi = _find(runs, "multitask", ["mr", "trec"])
    lines = [
        "## Multi-task (MR sentiment + TREC question type, one model) vs one model per task",
        "",
        "| test accuracy | single-task | multi-task | difference | beyond noise |",
        "|---|---:|---:|---:|---|",
        f"| MR | {_pct(mr, 'mr')} | {_pct(multi, 'mr')} | {_delta(multi, mr, 'mr')} | {_noise(multi, mr, 'mr', sizes)} |",
        f"| TREC | {_pct(trec, 'trec')} | {_pct(multi, 'trec')} | {_delta(multi, trec, 'trec')} | "
        f"{_noise(multi, trec, 'trec', sizes)} |",
        "",
    ]
    if mr and trec and multi:
        lines += [
            f"Training time: {mr['train_seconds']:.0f} s (MR) + {trec['train_seconds']:.0f} s (TREC) = "
            f"{mr['train_seconds'] + trec['train_seconds']:.0f} s for two single-task models, "
            f"{multi['train_seconds']:.0f} s for the multi-task one ({multi['epochs_run']} epochs over both sets, "
            f"best epoch {multi['best_epoch']}); parameters {mr['params']:,} + {trec['params']:,} vs "
            f"{multi['params']:,}.",
            "",
        ]
    return lines


def _progressive_section(runs: list[dict], sizes: dict) -> list[str]:
    """Progressive training, with and without freezing, against the ordinary recipe on MR and SST-2."""
    lines = [
        "## Progressive (staged) vs ordinary training",
        "",
        "Progressive: stage 1 alone for max(1, E // 3) epochs, then stages 1-2, then the full 3-stage network "
        "for E epochs from the grown weights (`docs/progressive.md`); *+ freeze*: the carried-over stages stay "
        "frozen.",
        "",
        "| set | arm | test accuracy | vs ordinary | beyond noise | train time (s) | main-fit epochs (best) |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    for name in ("mr", "sst2"):
        base = _find(runs, "single", [name])
        for kind, arm in (("single", "ordinary"), ("progressive", "progressive"),
                          ("progressive_freeze", "progressive + freeze")):  # fmt: skip
            run = _find(runs, kind, [name])
            delta = "" if kind == "single" else _delta(run, base, name)
            noise = "" if kind == "single" else _noise(run, base, name, sizes)
            epochs = "—" if run is None else f"{run['epochs_run']} ({run['best_epoch']})"
            lines.append(
                f"| {name.upper()} | {arm} | {_pct(run, name)} | {delta} | {noise} | {_secs(run)} | {epochs} |"
            )
    lines.append("")
    return lines


def render(data: dict) -> str:
    """The report as markdown: how it was measured, the two comparisons, failed jobs, every run."""
    runs = data["runs"]
    sizes = data["meta"].get("test_sizes", {})
    lines = _header(data["meta"]) + _multitask_section(runs, sizes) + _progressive_section(runs, sizes)
    failed = [r for r in runs if "error" in r]
    if failed:
        lines += ["## Failed jobs", ""] + [f"- {r['kind']} {'+'.join(r['datasets'])}: {r['error']}" for r in failed]
        lines.append("")
    lines += ["## All runs", "", "```json", json.dumps(runs, indent=1), "```", ""]
    return "\n".join(lines)


def _git_revision() -> str:
    """The commit, with "+ local changes" when the working tree differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + local changes" if dirty else "")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.multitask_progressive", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="600 training examples, 1 epoch, output under /tmp")
    parser.add_argument("--epochs", type=int, help="override the preset's 10 epochs (say so in the report)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite docs/multitask_progressive_results.md from benchmarks/results/multitask_progressive.json"
    )
    parser.add_argument("--job", nargs=2, metavar=("JSON", "RESULT"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def render_only() -> None:
    """Writes the report again from the results file (test sizes added when missing)."""
    data = json.loads(RESULTS.read_text())
    data["meta"].setdefault("test_sizes", test_sizes(["mr", "trec", "sst2"]))
    RESULTS.write_text(json.dumps(data, indent=1))
    REPORT.write_text(render(data))
    print(f"multitask_progressive: wrote {REPORT}")


def run_all(extra: dict, logs: Path) -> list[dict]:
    """Every job of `JOBS` with `extra` (seed, limits), one after the other, each in a fresh process."""
    runs = []
    for job in JOBS:
        job = {**job, **extra}
        label = f"{job['kind']}-{'+'.join(job['datasets'])}"
        print(f"multitask_progressive: {label} ...", flush=True)
        result = run_job(job, logs / f"{label}.log")
        runs.append(result)
        shown = result.get("error") or ", ".join(f"{k} {100 * v:.1f}%" for k, v in result["accuracy"].items())
        print(f"multitask_progressive: {label}: {shown}, {result.get('train_seconds', float('nan')):.0f} s", flush=True)
    return runs


def _meta(args: argparse.Namespace, extra: dict, runs: list[dict]) -> dict:
    tokenizer = next((r["tokenizer"] for r in runs if "tokenizer" in r), None)
    command = "python -m benchmarks.multitask_progressive" + (" --quick" if args.quick else "") + (
        f" --epochs {args.epochs}" if args.epochs and not args.quick else ""
    )
    return {
        "command": command,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "software": software(),
        "seed": args.seed,
        "epochs": f"at most {extra.get('epochs', 10)} epoch(s)" + (" (reduced)" if "epochs" in extra else ""),
        "quick": args.quick,
        "test_sizes": test_sizes(["mr", "trec", "sst2"]),
        "preset_as_measured": f"{PRESET} at commit {_git_revision()}, tokenizer {tokenizer}",
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.job:
        job, result_path = json.loads(args.job[0]), Path(args.job[1])
        result_path.write_text(json.dumps(execute(job), indent=1))
        return 0
    if args.render_only:
        render_only()
        return 0
    extra = {"seed": args.seed}
    if args.quick:
        extra.update(max_train=600, epochs=1)
    elif args.epochs:
        extra["epochs"] = args.epochs
    out_json, out_md = RESULTS, REPORT
    logs = RESULTS.parent / "multitask_progressive"
    if args.quick:
        quick = Path(tempfile.gettempdir()) / "restext_multitask_progressive_quick"
        out_json, out_md, logs = quick / "multitask_progressive.json", quick / "multitask_progressive_results.md", quick
    runs = run_all(extra, logs)
    data = {"meta": _meta(args, extra, runs), "runs": runs}
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(data, indent=1))
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(render(data))
    print(f"multitask_progressive: wrote {out_json} and {out_md}")
    return 0 if not any("error" in r for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
