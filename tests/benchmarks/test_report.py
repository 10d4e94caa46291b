import numpy as np

from benchmarks.report import targets_table


def _runs(method: str, correct: list[int], total: int) -> list[dict]:
    # As the jobs record them: float32 accuracies.
    return [{"method": method, "dataset": "trec", "seed": seed, "accuracy": float(np.float32(c / total)),
             "train_seconds": 1.0} for seed, c in enumerate(correct)]


def _margin_verdict(ours_correct: list[int]) -> str:
    baselines = _runs("tfidf_lr", [896], 1000) + _runs("fasttext", [880], 1000)  # TF-IDF + LR: 89.6
    rows = targets_table(baselines + _runs("ours", ours_correct, 1000), None)
    [row] = [row for row in rows if row.startswith("| TREC: by ≥ +0.5 points")]
    return row.rsplit("|", 2)[-2].strip()


def test_a_margin_of_exactly_half_a_point_meets_the_target_and_one_answer_less_does_not():
    assert _margin_verdict([902, 901, 900]) == "yes"  # 90.1: +0.5 exactly
    assert _margin_verdict([902, 901, 899]) == "**no**"
