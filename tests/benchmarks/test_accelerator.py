"""`python -m benchmarks.accelerator`'s CPU mode: every path of the GPU check runs, tiny, and reports."""

import json

from benchmarks.accelerator import MODES, Settings, main, planned_runs, render


def test_the_tiny_check_runs_every_path_and_writes_its_table(tmp_path, monkeypatch):
    monkeypatch.setattr("benchmarks.accelerator.MR_TRAIN", tmp_path / "absent.csv")  # the generated CSV instead
    assert main(["--tiny", "--models", "restext_base", "--output", str(tmp_path / "tiny")]) == 0
    results = json.loads((tmp_path / "tiny.json").read_text())
    runs = results["runs"]
    assert [(r["strategy"], r["mode"]) for r in runs] == [
        ("one device", "float32"), ("one device", "mixed_bfloat16"), ("one device", "mixed_bfloat16+xla"),
        ("mirrored", "float32")]  # fmt: skip
    for run in runs:
        assert run["examples_per_s"] > 0 and run["step_ms"] > 0 and run["global_batch"] == 4
        assert abs(run["examples_per_s"] * run["step_ms"] / 1000 - run["global_batch"]) < 0.05 * run["global_batch"]
    assert results["pipeline"]["csv"] > 0 and results["pipeline"]["prepared TFRecords"] > 0
    page = (tmp_path / "tiny.md").read_text()
    assert page == render(results) and page.count("| restext_base |") == 4


def test_the_full_plan_covers_every_model_mode_and_strategy():
    plan = planned_runs(Settings.for_device(False, None), ("restext_base", "dpcnn", "restext_deep64"))
    assert len(plan) == len(set(plan)) == 2 * 3 * len(MODES)
    assert plan[0] == ("one device", "restext_base", "float32")  # one device first: skipped last on the budget
