"""The job runner of `benchmarks.run` and `benchmarks.depth`: jobs one at a time, each in a fresh process.

`benchmarks.multitask_progressive` starts its jobs with `run_in_subprocess` too.

A fresh process per job makes its peak RSS that job's own, keeps TensorFlow state from leaking from
one model into the next, and lets a crash (out of memory, ...) fail one row instead of the run. The
results file (JSON) and its markdown page are written again after every job, so an interrupted run
keeps what it finished and can go on from that file (`pending`).

Example:
```python
files = ResultsFiles(Path("out/results.json"), Path("out/results.md"), render)
data = {"meta": new_meta("python -m benchmarks.run --quick", quick=True), "runs": []}
run_jobs(jobs, data, files, label=lambda job: job["method"], record=lambda d, r: d["runs"].append(r),
         summary=lambda result: f"accuracy {result['accuracy']:.3f}")
```
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
JOB_ENTRY = ("-m", "benchmarks.jobs")  # the child `run_in_subprocess` starts unless told otherwise


def csv_list(value: str) -> list[str]:
    """An argparse type: `"mr, trec,"` → `["mr", "trec"]`."""
    return [v.strip() for v in value.split(",") if v.strip()]


def check_names(parser: argparse.ArgumentParser, args: argparse.Namespace, allowed: dict[str, Iterable[str]]) -> None:
    """Stops with a usage error when a list argument (`args.<name>`) holds a name not in `allowed[name]`."""
    for name, names in allowed.items():
        names = list(names)
        unknown = sorted(set(getattr(args, name)) - set(names))
        if unknown:
            parser.error(f"unknown {name} {unknown}; allowed: {', '.join(names)}")


def utc_now() -> str:
    """The time as results files record it: `2026-12-05 14:03 UTC`."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


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
        import psutil  # noqa: PLC0415 (optional: the line goes without memory when it is missing)

        memory = f", {psutil.virtual_memory().total / 2**30:.0f} GiB RAM"
    except ImportError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs{memory}, no GPU used, {platform.system()} {platform.release()}"


def software() -> str:
    """Python and the versions of the packages the figures depend on, in one line."""
    names = ("tensorflow", "keras", "scikit-learn", "fasttext-wheel", "numpy")
    versions = []
    for name in names:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return f"Python {platform.python_version()}, " + ", ".join(versions)


def new_meta(command: str, *, quick: bool) -> dict:
    """The `meta` of a new results file: date, command, machine, software and whether it is a smoke test."""
    return {"date": utc_now(), "command": command, "machine": machine(), "software": software(), "quick": quick}


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment with the repository first on `PYTHONPATH` (so that a child imports
    `benchmarks`, whatever its working directory or venv), plus `extra`."""
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, **extra, "PYTHONPATH": path}


def run_in_subprocess(
    job: dict, log_path: Path, *, timeout: float | None = None, entry: Sequence[str] = JOB_ENTRY
) -> dict:
    """Runs `job` in a fresh `python <entry> JOB_JSON RESULT_PATH` process; its output goes to `log_path`.

    Args:
        job: the job, passed to the child as JSON.
        log_path: the child's stdout and stderr; its result is read from `log_path` with the
            suffix `.result.json` (and deleted).
        timeout: seconds allowed (None: no limit).
        entry: what follows `python`: `benchmarks.jobs` by default, or another module's child mode.

    Returns:
        The child's result, or the job with an `error` field (and `job_seconds`) when it wrote none.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    result_path = log_path.with_suffix(".result.json")
    result_path.unlink(missing_ok=True)
    command = [sys.executable, *entry, json.dumps(job), str(result_path)]
    start = time.perf_counter()
    try:
        with open(log_path, "w") as log:
            code = subprocess.run(
                command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                env=child_env(TF_CPP_MIN_LOG_LEVEL="2"), timeout=timeout, check=False,
            ).returncode  # fmt: skip
    except subprocess.TimeoutExpired:
        return {**job, "error": f"timed out after {timeout:.0f} s", "job_seconds": time.perf_counter() - start}
    if result_path.exists():
        result = json.loads(result_path.read_text())
        result_path.unlink()
        return result
    tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
    return {**job, "error": f"exit code {code}: {' | '.join(tail)}", "job_seconds": time.perf_counter() - start}


@dataclass
class ResultsFiles:
    """A run's results JSON and the markdown page rendered from it, always written together."""

    results: Path
    markdown: Path
    render: Callable[[dict], str]

    def load(self) -> dict:
        """The results file as it is on disk."""
        return json.loads(self.results.read_text())

    def write(self, data: dict) -> None:
        """Writes `data` to the results file and its page (folders created)."""
        for path in (self.results, self.markdown):
            path.parent.mkdir(parents=True, exist_ok=True)
        self.results.write_text(json.dumps(data, indent=1) + "\n")
        self.markdown.write_text(self.render(data))


def pending(jobs: list[dict], runs: list[dict], key: Callable[[dict], tuple]) -> list[dict]:
    """The jobs whose `key` no run in `runs` has: what is left of a resumed run."""
    done = {key(run) for run in runs}
    return [job for job in jobs if key(job) not in done]


def run_jobs(
    jobs: list[dict],
    data: dict,
    files: ResultsFiles,
    *,
    label: Callable[[dict], str],
    record: Callable[[dict, dict], None],
    summary: Callable[[dict], str],
    timeout: float | None = None,
) -> None:
    """Runs `jobs` one at a time in fresh processes, writing `files` after every job.

    Args:
        jobs: the jobs, in order (`benchmarks.jobs.execute`'s kind).
        data: the results so far (`{"meta": ..., "runs": [...], ...}`), updated in place.
        files: where `data` goes; the jobs' logs go next to the results file, `<label>.log`.
        label: a job's name in the progress lines and its log's name.
        record: puts a job's result into `data`.
        summary: one line on a finished job (a failed one prints `FAILED: <error>` instead).
        timeout: seconds allowed per job (None: no limit).
    """
    for number, job in enumerate(jobs, 1):
        name = label(job)
        print(f"[{number}/{len(jobs)}] {name} ...", flush=True)
        result = run_in_subprocess(job, files.results.parent / f"{name}.log", timeout=timeout)
        record(data, result)
        print("    " + (f"FAILED: {result['error']}" if "error" in result else summary(result)), flush=True)
        files.write(data)
    print(f"Wrote {files.results} and {files.markdown}")
