"""One benchmark job (a method on a set with a seed, or the efficiency figures), the child side.

`benchmarks.runner.run_in_subprocess` starts this module in a fresh process per job (why: see there);
`main` runs the job and writes its result, or its error, to the result file:

    python -m benchmarks.jobs '{"method": "fasttext", "dataset": "mr", "seed": 0}' result.json
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

METHODS: tuple[str, ...] = ("fasttext", "tfidf_lr", "kim_cnn", "ours", "ours_auto", "fasttext_autotune", "tune")
# The searches: one wall-time budget each (`benchmarks.search`), shorter in the smoke test.
SEARCHES: tuple[str, ...] = ("fasttext_autotune", "tune")


def execute(job: dict) -> dict:
    """Runs `job` in this process.

    Args:
        job: `{"method": one of METHODS or "efficiency", "dataset": str, "seed": int,
            "max_train": int | None, "max_test": int | None, "max_chars": int | None,
            "epochs": int | None, "quick": bool, "budget": seconds of a search}`; the optional limits are for the smoke test. An
            "ours" job may also name a "preset" and "model_overrides" (`benchmarks.depth`).

    Returns:
        The job's fields, the method's measurements, and `n_train`, `n_test`, `n_classes`,
        `data_source`, `job_seconds`.
    """
    start = time.perf_counter()
    method = job["method"]
    if job.get("quick"):
        from benchmarks.measure import use_quick_settings  # noqa: PLC0415

        use_quick_settings()
    if method == "efficiency":
        from benchmarks.efficiency import run_efficiency  # noqa: PLC0415

        return {**job, **run_efficiency(quick=bool(job.get("quick"))), "job_seconds": time.perf_counter() - start}

    from benchmarks.datasets import load_benchmark_with_source, subsample  # noqa: PLC0415

    (train_x, train_y, test_x, test_y), source = load_benchmark_with_source(job["dataset"])
    train_x, train_y = subsample(train_x, train_y, job.get("max_train"))
    test_x, test_y = subsample(test_x, test_y, job.get("max_test"))
    if job.get("max_chars"):  # the --quick smoke test cuts long posts short
        train_x, test_x = [t[: job["max_chars"]] for t in train_x], [t[: job["max_chars"]] for t in test_x]
    seed, epochs = int(job.get("seed", 0)), job.get("epochs")
    if method in ("ours", "ours_auto"):
        from benchmarks.ours import train_ours  # noqa: PLC0415

        preset = "auto" if method == "ours_auto" else job.get("preset", "restext_base")
        result = train_ours(train_x, train_y, test_x, test_y, seed, epochs=epochs,
                            preset=preset, model_overrides=job.get("model_overrides"))
    elif method in SEARCHES:
        from benchmarks import search  # noqa: PLC0415

        run_search = search.tune_ours if method == "tune" else search.fasttext_autotune_baseline
        result = run_search((train_x, train_y), (test_x, test_y), seed, budget=job.get("budget", search.BUDGET_SECONDS))
    elif method == "kim_cnn":
        from benchmarks.baselines import kim_cnn_baseline  # noqa: PLC0415

        result = kim_cnn_baseline((train_x, train_y), (test_x, test_y), seed, epochs=epochs)
    elif method in METHODS:
        from benchmarks.baselines import BASELINES  # noqa: PLC0415

        result = BASELINES[method]((train_x, train_y), (test_x, test_y), seed)
    else:
        raise ValueError(f"Unknown method {method!r}. Allowed: {', '.join(METHODS)}, efficiency")
    return {
        **job,
        **result,
        "n_train": len(train_x),
        "n_test": len(test_x),
        "n_classes": len(set(train_y)),
        "data_source": source,
        "job_seconds": time.perf_counter() - start,
    }


def main(argv: list[str]) -> int:
    job, result_path = json.loads(argv[0]), Path(argv[1])
    try:
        result = execute(job)
    except Exception as error:  # noqa: BLE001 (report any failure as the job's result)
        traceback.print_exc()
        result = {**job, "error": f"{type(error).__name__}: {str(error)[:300]}"}
    result_path.write_text(json.dumps(result, indent=1, default=_jsonable))
    return 0 if "error" not in result else 1


def _jsonable(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
