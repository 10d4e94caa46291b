import numpy as np

from benchmarks.report import search_notes, targets_table


def _runs(method: str, correct: list[int], total: int) -> list[dict]:
    # As the jobs record them: float32 accuracies.
    return [{"method": method, "dataset": "trec", "seed": seed, "accuracy": float(np.float32(c / total)),
             "train_seconds": 1.0} for seed, c in enumerate(correct)]


def _verdict(runs: list[dict], target: str) -> str:
    """The last column ("yes" or "**no**") of the one targets-table row that names `target`."""
    [row] = [row for row in targets_table(runs, None) if target in row]
    return row.rsplit("|", 2)[-2].strip()


def _margin_verdict(ours_correct: list[int]) -> str:
    baselines = _runs("tfidf_lr", [896], 1000) + _runs("fasttext", [880], 1000)  # TF-IDF + LR: 89.6
    return _verdict(baselines + _runs("ours", ours_correct, 1000), "| TREC: by ≥ +0.5 points")


def test_a_margin_of_exactly_half_a_point_meets_the_target_and_one_answer_less_does_not():
    assert _margin_verdict([902, 901, 900]) == "yes"  # 90.1: +0.5 exactly
    assert _margin_verdict([902, 901, 899]) == "**no**"


def test_tune_level_with_auto_over_the_same_seeds_meets_tune_at_least_auto():
    # A search that keeps auto's recipe trains auto's own model with each seed: equal means, target met.
    auto = _runs("ours_auto", [912, 910, 906], 1000)
    assert _verdict(auto + _runs("tune", [912, 910, 906], 1000), "tune ≥ auto") == "yes"
    assert _verdict(auto + _runs("tune", [912, 910, 905], 1000), "tune ≥ auto") == "**no**"


def test_search_notes_name_each_seed_in_order():
    runs = [{"dataset": "trec", "seed": seed, "trials": 5, "pruned_trials": 1, "validation_accuracy": 0.9,
             "settings": {"preset": "dpcnn"}} for seed in (2, 0, 1)]
    notes = search_notes(runs)
    assert notes.index("trec seed 0:") < notes.index("trec seed 1:") < notes.index("trec seed 2:")
