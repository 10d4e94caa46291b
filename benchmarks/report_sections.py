"""The benchmark page's sections that sibling commands measure: read from their files in results/."""

from __future__ import annotations

import json
import pathlib

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"


def litert_section(results_dir: pathlib.Path = RESULTS_DIR) -> list[str]:
    """The on-device section: the table `python -m benchmarks.litert_benchmark` wrote, as it is."""
    path = results_dir / "litert.md"
    intro = (
        "SavedModel against its LiteRT exports (docs/deploy.md), from the sibling command "
        "`python -m benchmarks.litert_benchmark` (its `--help` and docs/deploy.md give the full command)."
    )
    if not path.exists():
        return [intro, "", "Not measured yet."]
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    if lines and lines[0].startswith("#"):  # its own heading: the page's stands instead
        lines = "\n".join(lines[1:]).strip().splitlines()
    return [intro, "", *lines]


def explain_and_audit_section(results_dir: pathlib.Path = RESULTS_DIR) -> list[str]:
    """The figures of `benchmarks.explain_benchmark` and `benchmarks.audit_benchmark` (their JSON files)."""
    lines = []
    if (results_dir / "explain.json").exists():
        e = json.loads((results_dir / "explain.json").read_text(encoding="utf-8"))
        lines += [f"`python -m benchmarks.explain_benchmark` ({e['date']}, {e['machine']}; {e['preset']} trained on MR): "
                  f"removing the 3 words of highest attribution lowers the predicted class's probability more than "
                  f"removing 3 random words on **{100 * e['share']:.1f}%** of {e['texts']} MR test texts of 6 words or more"
                  f"{' (a seeded sample of the ' + str(e['eligible_texts']) + ')' if e.get('sampled') else ''} "
                  f"(target ≥ 80%; mean drop {e['mean_drop_attributed']:.3f} against {e['mean_drop_random']:.3f}); "
                  f"`explain` on one sentence {e['one_sentence_seconds']:.2f} s after loading (target < 2 s); "
                  f"completeness gap at most {100 * e['completeness_relative_gap_max']:.2f}% ({e['steps']} steps).", ""]
    if (results_dir / "audit.json").exists():
        runs = json.loads((results_dir / "audit.json").read_text(encoding="utf-8"))["runs"]
        lines += ["`python -m benchmarks.audit_benchmark`: SST-2's training labels, 5% flipped at random (seeded), "
                  "5 folds; targets: precision ≥ 50% among the top 5% of suspects, recall ≥ 50% within the top 10%, "
                  "≤ 10 minutes (a shared 2-core machine: times are upper bounds).", "",
                  "| recipe | fold seed | precision, top 5% | recall, top 10% | minutes |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {r['preset']}, {r['epochs']} epochs | {r['seed']} | {100 * r['precision_top_5_percent']:.1f} "
                  f"| {100 * r['recall_top_10_percent']:.1f} | {r['wall_time_s'] / 60:.1f} |" for r in runs]
    return lines or ["Not measured yet."]
