"""Renders the results JSON of `benchmarks.run` as the markdown page `docs/benchmarks.md`."""

from __future__ import annotations

import json
import pathlib
import statistics
import sys
from collections.abc import Iterable

from benchmarks.report_sections import RESULTS_DIR, explain_and_audit_section, litert_section

PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

METHOD_NAMES = {
    "ours": "ours (restext_base)",
    "ours_auto": "ours (auto)",
    "tune": "ours (tune, 15 min)",
    "fasttext": "fastText (bigrams)",
    "fasttext_autotune": "fastText (autotune, 15 min)",
    "tfidf_lr": "TF-IDF + LR",
    "kim_cnn": "Kim CNN-rand",
}
DATASET_NAMES = {"mr": "MR", "trec": "TREC", "sst2": "SST-2", "20news": "20 Newsgroups"}

# Accuracy (%) measured on this machine by a colleague: TF-IDF + LR / fastText.
REFERENCE_ACCURACY = {"mr": (77.9, 78.5), "trec": (87.6, 91.2), "sst2": (82.6, 79.8)}
# Kim (2014), CNN-rand, as published (accuracy %): the issue asks ours to reach these too.
KIM_PUBLISHED = {"mr": 76.1, "sst2": 82.7, "trec": 91.2}

GIB = 1024.0


def _ok(runs: list[dict]) -> list[dict]:
    return [r for r in runs if "error" not in r]


def _select(runs: Iterable[dict], dataset: str, method: str) -> list[dict]:
    return [r for r in runs if r.get("dataset") == dataset and r.get("method") == method]


def _mean(values: list[float]) -> float:
    return statistics.fmean(values)


def gap_in_points(accuracy: float, reference: float) -> float:
    """`accuracy - reference`, both in percent, rounded to 1e-4 points: accuracies are float32 fractions
    (7 digits), so a gap of exactly 1.0 point (15 TREC answers over 3 seeds) would otherwise compare as
    -1.000000000000012. One answer of the largest test set (20 Newsgroups, 7,532 posts) over 3 seeds is
    0.0044 points."""
    return round(accuracy - reference, 4)


def _pct(runs: list[dict]) -> str:
    """Accuracy in %: `mean ± std (n=k)` over seeds, or the single value."""
    if not runs:
        return "–"
    accs = [100 * r["accuracy"] for r in runs]
    if len(accs) == 1:
        return f"{accs[0]:.1f}"
    return f"{_mean(accs):.1f} ± {statistics.stdev(accs):.1f} (n={len(accs)})"


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _params(value: int | None) -> str:
    if not value:
        return "–"
    return f"{value / 1e6:.1f} M" if value >= 1e5 else f"{value / 1e3:.0f} k"


def _datasets(runs: list[dict]) -> list[str]:
    seen = [r["dataset"] for r in runs if r.get("dataset")]
    return [d for d in DATASET_NAMES if d in seen] + sorted(set(seen) - set(DATASET_NAMES))


def _methods(runs: list[dict]) -> list[str]:
    seen = {r["method"] for r in runs if r.get("dataset")}
    return [m for m in METHOD_NAMES if m in seen]


def _chosen(runs: list[dict]) -> str:
    """The preset `preset="auto"` chose, after the accuracy of its runs."""
    choices = sorted({r["auto_choice"]["preset"] + "".join(f", {k} {v}" for k, v in r["auto_choice"]["overrides"].items())
                      for r in runs if r.get("auto_choice")})
    return f" ({'; '.join(choices)})" if choices else ""


def accuracy_table(runs: list[dict]) -> list[str]:
    methods = _methods(runs)
    lines = [
        "| set | " + " | ".join(METHOD_NAMES[m] for m in methods) + " | reference: TF-IDF+LR / fastText |",
        "|---|" + "---:|" * len(methods) + "---:|",
    ]
    for dataset in _datasets(runs):
        cells = [_pct(_ok(_select(runs, dataset, m))) + _chosen(_ok(_select(runs, dataset, m))) for m in methods]
        reference = REFERENCE_ACCURACY.get(dataset)
        ref = f"{reference[0]} / {reference[1]}" if reference else "–"
        lines.append(f"| {DATASET_NAMES.get(dataset, dataset)} | " + " | ".join(cells) + f" | {ref} |")
    return lines


def cost_table(runs: list[dict]) -> list[str]:
    lines = [
        "| set | method | runs | accuracy % | train s | epochs | texts/s (batch 256) | p50 ms (batch 1) | peak RSS MiB | params |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for dataset in _datasets(runs):
        for method in _methods(runs):
            group = _ok(_select(runs, dataset, method))
            if not group:
                continue
            mean = lambda key: _mean([r[key] for r in group]) if all(key in r for r in group) else None  # noqa: E731
            lines.append(
                f"| {DATASET_NAMES.get(dataset, dataset)} | {METHOD_NAMES[method]} | {len(group)} | {_pct(group)} "
                f"| {_num(mean('train_seconds'))} | {_num(mean('epochs_run'))} | {_num(mean('infer_texts_per_s'), 0)} "
                f"| {_num(mean('p50_latency_ms'), 2)} | {_num(max(r['peak_rss_mb'] for r in group), 0)} "
                f"| {_params(group[0].get('params'))} |"
            )
    return lines


def efficiency_section(eff: dict) -> list[str]:
    forward, scaling, depth = eff["forward"], eff["length_scaling"], eff["depth_scaling"]
    lines = [
        "Forward pass only, random token ids without padding. FLOPs are counted analytically "
        "(2 × multiply-adds of the convolution and dense layers). Each table's calls, a 2048×2048 "
        "float32 matmul included, run round-robin after warm-up and keep their fastest call (medians "
        "in the JSON): this shared machine's speed changes from minute to minute, and interleaving "
        "exposes every variant to the same conditions.",
        "",
        f"Forward pass of `{forward['preset']}` at batch {forward['batch_size']}, length {forward['length']} "
        f"({forward['gflops_per_example']:.3f} GFLOP per example): {forward['achieved_gflops_per_s']:.1f} GFLOP/s "
        f"against a matmul rate of {scaling['matmul']['gflops_per_s']:.1f} GFLOP/s measured alongside = "
        f"**{100 * forward['fraction_of_matmul']:.0f}% of matmul**.",
        "",
        f"Time per example against length (`{scaling['preset']}`, batch {scaling['rows'][0]['batch_size']}; "
        f"matmul alongside: {scaling['matmul']['gflops_per_s']:.1f} GFLOP/s):",
        "",
        "| length | ms / example | GFLOP / example | GFLOP/s | % of matmul |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in scaling["rows"]:
        lines.append(
            f"| {row['length']} | {row['ms_per_example']:.3f} | {row['gflops_per_example']:.3f} "
            f"| {row['achieved_gflops_per_s']:.1f} | {100 * row['fraction_of_matmul']:.0f}% |"
        )
    lines += [
        "",
        f"Log-log slope of time against length: {scaling['loglog_slope']:.2f} (1 = linear); steepest "
        f"step between neighbouring lengths: {scaling['max_step_exponent']:.2f}.",
        "",
        f"`dpcnn` at length {depth['length']} (batch {depth['rows'][0]['batch_size']}; matmul alongside: "
        f"{depth['matmul']['gflops_per_s']:.1f} GFLOP/s), twice the depth (29 instead of 15 weight layers) "
        "three ways: *pyramid* adds 7 more downsampling stages (DPCNN's own way to go deeper), *blocks* "
        "puts 2 blocks in each of the 7 stages, *layers* puts 4 convolutions in each block:",
        "",
        "| variant | params | ms / example | × 1x | GFLOP / example | % of matmul |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in depth["rows"]:
        lines.append(
            f"| {row['variant']} | {_params(row['params'])} | {row['ms_per_example']:.2f} | {row['time_ratio']:.2f} "
            f"| {row['gflops_per_example']:.2f} | {100 * row['fraction_of_matmul']:.0f}% |"
        )
    return lines


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("yes" if ok else "**no**")


def targets_table(runs: list[dict], eff: dict | None) -> list[str]:
    rows: list[tuple[str, str, bool | None]] = []
    ours_mr, ft_mr = _ok(_select(runs, "mr", "ours")), _ok(_select(runs, "mr", "fasttext"))
    if ours_mr and ft_mr:
        ratio = _mean([r["train_seconds"] for r in ours_mr]) / _mean([r["train_seconds"] for r in ft_mr])
        rows.append(("MR training wall time ≤ 15× fastText's", f"{ratio:.1f}×", ratio <= 15))
        rows.append(("MR training wall time ≤ 10× fastText's (the depth targets)", f"{ratio:.1f}×", ratio <= 10))
    else:
        rows.append(("MR training wall time ≤ 15× fastText's", "not measured", None))
    news = _ok(_select(runs, "20news", "ours"))
    if news:
        peak = max(r["peak_rss_mb"] for r in news) / GIB
        rows.append(("training the default preset on 20 Newsgroups peaks < 4 GiB RSS", f"{peak:.2f} GiB", peak < 4))
    else:
        rows.append(("training the default preset on 20 Newsgroups peaks < 4 GiB RSS", "not measured", None))
    if eff:
        frac = eff["forward"]["fraction_of_matmul"]
        rows.append(("forward pass ≥ 30% of matmul FLOP/s at batch 256", f"{100 * frac:.0f}%", frac >= 0.30))
        for row in eff["depth_scaling"]["rows"][1:]:
            rows.append((f"dpcnn 2× depth at length {eff['depth_scaling']['length']} ≤ 1.3× time per example "
                         f"({row['variant']})", f"{row['time_ratio']:.2f}×", row["time_ratio"] <= 1.3))
        step = eff["length_scaling"]["max_step_exponent"]
        rows.append(("time per example grows no faster than linearly with length (5% timing tolerance)",
                     f"steepest step exponent {step:.2f}", step <= 1.05))
    for dataset in _datasets(runs):
        ours = _ok(_select(runs, dataset, "ours"))
        if not ours:
            continue
        acc, name = 100 * _mean([r["accuracy"] for r in ours]), DATASET_NAMES[dataset]
        baselines = {m: _ok(_select(runs, dataset, m)) for m in ("tfidf_lr", "fasttext")}
        if all(baselines.values()):
            tfidf, fast = (100 * _mean([r["accuracy"] for r in baselines[m]]) for m in ("tfidf_lr", "fasttext"))
            margin = gap_in_points(acc, max(tfidf, fast))
            rows.append((f"{name} accuracy (mean of {len(ours)}) ≥ the best of TF-IDF+LR {tfidf:.1f} / "
                         f"fastText {fast:.1f} in this run", f"{acc:.1f}", margin >= 0))
            rows.append((f"{name}: by ≥ +0.5 points (the depth targets)", f"{margin:+.1f}", margin >= 0.5))
        if dataset in REFERENCE_ACCURACY:
            tfidf, fast = REFERENCE_ACCURACY[dataset]
            rows.append((f"{name} accuracy ≥ the issue's reference TF-IDF+LR {tfidf} / fastText {fast}",
                         f"{acc:.1f}", gap_in_points(acc, max(tfidf, fast)) >= 0))
        if dataset in KIM_PUBLISHED:
            rows.append((f"{name} accuracy ≥ Kim CNN-rand published {KIM_PUBLISHED[dataset]}",
                         f"{acc:.1f}", gap_in_points(acc, KIM_PUBLISHED[dataset]) >= 0))
    rows += default_and_search_targets(runs)
    lines = ["| target | measured | met |", "|---|---:|:---:|"]
    lines += [f"| {name} | {value} | {_verdict(ok)} |" for name, value, ok in rows]
    return lines


def _mean_of(runs: list[dict], dataset: str, method: str, key: str = "accuracy") -> float | None:
    group = _ok(_select(runs, dataset, method))
    return _mean([(100 if key == "accuracy" else 1) * r[key] for r in group]) if group else None


def default_and_search_targets(runs: list[dict]) -> list[tuple[str, str, bool | None]]:
    """The targets of `preset="auto"` and `restext tune` against the baselines of the same run."""
    rows: list[tuple[str, str, bool | None]] = []
    for dataset in _datasets(runs):
        name, auto = DATASET_NAMES.get(dataset, dataset), _mean_of(runs, dataset, "ours_auto")
        best = [v for v in (_mean_of(runs, dataset, m) for m in ("tfidf_lr", "fasttext")) if v is not None]
        if auto is not None and len(best) == 2:
            margin = gap_in_points(auto, max(best))
            rows.append((f"{name}: auto ≥ the best of TF-IDF+LR / fastText in this run ({max(best):.1f}) +0.5",
                         f"{auto:.1f} ({margin:+.1f})", margin >= 0.5))
        auto_s, base_s = _mean_of(runs, dataset, "ours_auto", "train_seconds"), _mean_of(runs, dataset, "ours", "train_seconds")
        if auto_s is not None and base_s is not None:
            limit = 3.0 if dataset == "20news" else 1.1
            rows.append((f"{name}: auto's training time ≤ {limit:g}× restext_base's", f"{auto_s / base_s:.2f}×",
                         auto_s / base_s <= limit))
        tuned, autotune = _mean_of(runs, dataset, "tune"), _mean_of(runs, dataset, "fasttext_autotune")
        if tuned is not None and autotune is not None:
            margin = gap_in_points(tuned, autotune)
            rows.append((f"{name}: tune ≥ fastText autotune ({autotune:.1f}) +0.5, same budget and split",
                         f"{tuned:.1f} ({margin:+.1f})", margin >= 0.5))
        if tuned is not None and auto is not None:
            rows.append((f"{name}: tune ≥ auto ({auto:.1f})", f"{tuned:.1f}", gap_in_points(tuned, auto) >= 0))
    return rows


def notes(data: dict) -> list[str]:
    runs = data["runs"]
    sources = sorted({r.get("data_source", "?") for r in runs if r.get("dataset")})
    trained = sorted({r["trained_with"] for r in _ok(runs) if r.get("trained_with")})
    errors = [r for r in runs if "error" in r]
    lines = [
        "- Accuracy is on each set's test split; every method trains on the training split only "
        "(SST-2's dev split is not used). Ours trains on all of it and keeps the last epoch's weights "
        "(`train` without validation data); the Kim CNN holds out a stratified 10% of it for early "
        "stopping. Same settings on every set, no per-set tuning.",
        "- *train s*: wall time from raw texts to a trained model (vocabulary, features and training "
        "included). *texts/s* and *p50 ms*: prediction on raw test texts, preprocessing included; for "
        "the Keras models through the exported SavedModel, reloaded. *peak RSS*: the peak of the "
        "process that ran the job (each job runs in a fresh process). *params*: fastText counts all "
        "allocated embedding rows (words + 2 M hash buckets); TF-IDF + LR counts the LR weights.",
        "- Data read by: " + "; ".join(sources) + ".",
    ]
    if trained:
        lines.append("- Our model trained with: " + "; ".join(trained) + ".")
    for method in _methods(runs):
        done = [r for r in _ok(runs) if r.get("method") == method and r.get("settings")]
        if done and method in ("tune", "fasttext_autotune"):
            lines.append(f"- {METHOD_NAMES[method]}, what each search found: " + search_notes(done))
        elif done:
            lines.append(f"- {METHOD_NAMES[method]} settings: `{done[0]['settings']}`")
    if errors:
        lines.append("- Failed jobs: " + "; ".join(
            f"{r.get('method')}/{r.get('dataset', '')}/seed {r.get('seed', '')}: {r['error']}" for r in errors))
    return lines


def search_notes(done: list[dict]) -> str:
    """Per set and seed: what a search found, how many trials it ran, and fastText's memory cap."""
    parts = []
    for run in sorted(done, key=lambda r: (r["dataset"], r.get("seed", 0))):
        trials = f"{run['trials']} trials ({run['pruned_trials']} pruned), " if "trials" in run else ""
        cap = f", address space capped at +{run['memory_cap_bytes'] / 2**30:.0f} GiB" if run.get("memory_cap_bytes") else ""
        choice = f" ({run['choice']})" if run.get("choice") else ""
        parts.append(f"{run['dataset']} seed {run.get('seed', 0)}: {trials}validation "
                     f"{100 * run['validation_accuracy']:.1f}{cap}{choice}, `{run['settings']}`")
    return "; ".join(parts) + "."


def render(data: dict, results_dir: pathlib.Path = RESULTS_DIR) -> str:
    """The whole markdown page for a results dict `{"meta", "settings", "runs", "efficiency"}`, with
    the sibling commands' sections read from `results_dir`."""
    meta, runs, eff = data["meta"], data["runs"], data.get("efficiency")
    out = [
        "# Benchmarks",
        "",
        "<!-- Generated by benchmarks/run.py (again by benchmarks/report.py) from benchmarks/results/: do not edit by hand. -->",
        "",
        f"Generated {meta['date']} by `{meta['command']}` on {meta['machine']}. "
        f"Software: {meta['software']}." + (" **Quick smoke test: subsets, 1 seed, 1 epoch; "
                                            "the numbers mean nothing.**" if meta.get("quick") else ""),
        "",
        "## Accuracy (%)",
        "",
        *accuracy_table(runs),
        "",
        "## Cost",
        "",
        *cost_table(runs),
        "",
        "## Efficiency",
        "",
        *(efficiency_section(eff) if eff and "error" not in eff else [
            "Not measured in this run." if not eff else f"Failed: {eff['error']}"]),
        "",
        "## Targets",
        "",
        *targets_table(runs, eff if eff and "error" not in eff else None),
        "",
        "## Depth",
        "",
        "Does depth pay? Every word-level trunk (the default's, 32 and 64 layers, `dpcnn`, and separable "
        "convolutions at kernel sizes 3, 5, 7) under the default's recipe, and the VDCNN character trunks with "
        "their character n-gram wide branch, with the residual branch's accuracy "
        "alone and the time per example: [benchmarks/results/depth.md](../benchmarks/results/depth.md), written "
        "by the sibling command `python -m benchmarks.depth` (hours on a 2-core CPU; `--resume` goes on with an "
        "interrupted run).",
        "",
        "## Explanations and the label audit",
        "",
        *explain_and_audit_section(results_dir),
        "",
        "## On-device (LiteRT)",
        "",
        *litert_section(results_dir),
        "",
        "## Notes",
        "",
        *notes(data),
        "",
        "Reproduce: `pip install -e .[bench]` then `python -m benchmarks.run` (all four sets, 3 seeds of "
        "ours, the baselines and the efficiency figures in one run; `--help` for options).",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.report`: writes the page again from `benchmarks.json` and the sibling
    commands' results, without running anything (after a sibling command ran)."""
    if argv is None:
        argv = sys.argv[1:]
    if argv:
        sys.exit("usage: python -m benchmarks.report   (re-renders docs/benchmarks.md from benchmarks/results/)")
    PAGE.write_text(render(json.loads((RESULTS_DIR / "benchmarks.json").read_text(encoding="utf-8"))))
    print(f"Wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
