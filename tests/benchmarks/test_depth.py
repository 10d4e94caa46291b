import numpy as np

from benchmarks.depth import targets


def _runs(row: str, dataset: str, correct: list[int], total: int) -> list[dict]:
    # As `train` records them: float32 accuracies.
    return [{"row": row, "dataset": dataset, "seed": seed, "accuracy": float(np.float32(c / total))}
            for seed, c in enumerate(correct)]


def _verdict(lines: list[str], target: str) -> str:
    [line] = [line for line in lines if line.startswith(f"| {target}")]
    return line.rsplit("|", 2)[-2].strip()


def test_a_gap_of_exactly_one_point_is_within_one_point_and_one_answer_more_is_not():
    base = _runs("restext_base", "trec", [456, 455, 453], 500)
    at_the_edge = targets(base + _runs("restext_deep32", "trec", [454, 448, 447], 500))  # 15 of 1,500 fewer
    assert _verdict(at_the_edge, "`restext_deep32` within 1.0 point") == "yes"
    beyond = targets(base + _runs("restext_deep32", "trec", [454, 448, 446], 500))
    assert _verdict(beyond, "`restext_deep32` within 1.0 point") == "no"


def test_a_residual_branch_alone_at_exactly_85_percent_meets_its_target():
    runs = _runs("restext_base", "20news", [840, 845, 850], 1000)
    for run, correct in zip(runs, [848, 849, 853]):  # 85.0% over 3 seeds; float32 fractions average to 0.84999...
        run["deep_alone_accuracy"] = float(np.float32(correct / 1000))
    assert _verdict(targets(runs), "the residual branch alone") == "yes"
    runs[0]["deep_alone_accuracy"] = float(np.float32(847 / 1000))  # one post fewer
    assert _verdict(targets(runs), "the residual branch alone") == "no"


def test_a_character_trunk_alone_meets_its_target_at_the_edge_and_not_one_answer_under():
    runs = _runs("restext_base", "sst2", [1500], 1821) + _runs("vdcnn_9", "sst2", [1470], 1821)
    runs[-1]["deep_alone_accuracy"] = float(np.float32(1275 / 1821))  # 70.02%
    assert _verdict(targets(runs), "`vdcnn_9`'s residual branch alone >= 70%") == "yes"
    runs[-1]["deep_alone_accuracy"] = float(np.float32(1274 / 1821))  # 69.96%
    assert _verdict(targets(runs), "`vdcnn_9`'s residual branch alone >= 70%") == "no"
    assert _verdict(targets(runs), "`vdcnn_9` within 3 points") == "yes"  # 80.7 vs 82.4
