"""The benchmark page's command: which jobs a run plans, and which a resumed run still has to do."""

from benchmarks.run import parse_args, plan, unfinished


def _row(method: str, dataset: str, seed: int, **extra) -> dict:
    return {"method": method, "dataset": dataset, "seed": seed, "accuracy": 0.9, **extra}


def test_searches_run_the_baseline_seeds():
    jobs = plan(parse_args(["--datasets", "trec", "--methods", "tune,ours", "--baseline-seeds", "3",
                            "--seeds", "2", "--no-efficiency"]))
    assert [(j["method"], j["seed"]) for j in jobs] == [("tune", 0), ("tune", 1), ("tune", 2), ("ours", 0), ("ours", 1)]


def test_resume_runs_only_the_seeds_without_a_finished_row():
    args = parse_args(["--resume", "--datasets", "trec", "--methods", "tune", "--baseline-seeds", "3"])
    assert args.merge  # a resume keeps the file's other rows
    data = {"runs": [_row("tune", "trec", 0), _row("tune", "trec", 2, error="killed"), _row("tune", "mr", 1)],
            "efficiency": {"forward": {}}}
    assert [(j["dataset"], j["seed"]) for j in unfinished(plan(args), data)] == [("trec", 1), ("trec", 2)]


def test_resume_measures_efficiency_only_when_it_is_missing():
    args = parse_args(["--resume", "--datasets", "mr", "--methods", "tfidf_lr"])
    done = {"runs": [_row("tfidf_lr", "mr", 0)], "efficiency": None}
    assert [j["method"] for j in unfinished(plan(args), done)] == ["efficiency"]
    assert unfinished(plan(args), {**done, "efficiency": {"forward": {}}}) == []
