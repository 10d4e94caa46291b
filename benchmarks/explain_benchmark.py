"""Do the explanations agree with the model? The deletion test on MR, and the time of one explanation.

    nice python -m benchmarks.explain_benchmark                 # every MR test text with >= 6 words
    nice python -m benchmarks.explain_benchmark --limit 500     # a seeded sample of them

1. trains restext_base on MR's training file (the preset's defaults, seed 0), or loads the model
   that an earlier run saved (`--model`, default /tmp/restext_explain_benchmark/model.keras);
2. explains every test text of >= 6 words (its predicted class, 64 steps), then removes from it
   (a) the 3 words with the largest attributions and (b) 3 words drawn at random (seeded per text),
   and counts the texts where the predicted class's probability drops more for (a) than for (b)
   (target: >= 80% of them);
3. times `explain` on one sentence with the model loaded (median of 5, after one warm-up call;
   target < 2 s).

Words are removed from the tokenizer's standardised words (lower-cased, punctuation split off), and
the rest joined again with spaces, which the tokenizer reads as the same words. Results:
`benchmarks/results/explain.json`, and the "Explanations" section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "explain.json"
MODEL = Path("/tmp/restext_explain_benchmark/model.keras")
SENTENCE = "a gorgeous , witty , seductive movie that never lets its clever premise slip ."

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(REPO))

from benchmarks.datasets import data_dir  # noqa: E402


def trained_model(path: Path):
    """The serving model of restext_base trained on MR (loaded from `path` when it is there)."""
    import keras

    from keras_restext import ResTextClassifier
    from keras_restext.data import read_dataset
    from keras_restext.export import load_keras_model

    if path.is_file():
        return load_keras_model(str(path)), 0.0
    keras.utils.set_random_seed(0)
    texts, labels = read_dataset(str(data_dir() / "mr" / "train.csv")).texts_and_labels()
    classifier = ResTextClassifier.from_preset("restext_base", num_classes=2)
    start = time.perf_counter()
    classifier.fit(texts, labels, seed=0, verbose=0)
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    serving = classifier.serving_model()
    serving.save(str(path))
    return serving, seconds


def without(units: list[str], drop) -> str:
    drop = set(int(i) for i in drop)
    return " ".join(unit for i, unit in enumerate(units) if i not in drop)


def deletion_test(target, texts: list[str], seed: int) -> dict:
    """The share of texts whose predicted class loses more probability without its 3 most
    attributed words than without 3 random ones."""
    from keras_restext.explain import explain

    def probability(batch, classes):
        ids = target.tokenizer(batch)
        return target.network.predict(ids, verbose=0)[np.arange(len(batch)), classes]

    wins, drops_top, drops_random, gaps, seconds = 0, [], [], [], 0.0
    for index, text in enumerate(texts):
        start = time.perf_counter()
        [explanation] = explain(target, [text])
        seconds += time.perf_counter() - start
        rng = np.random.default_rng([seed, index])
        random = rng.choice(len(explanation.units), 3, replace=False)
        cls = target.labels.index(explanation.class_name)
        base, top, rand = probability(
            [text, without(explanation.units, explanation.top_units(3)), without(explanation.units, random)], [cls] * 3
        )
        drops_top.append(float(base - top))
        drops_random.append(float(base - rand))
        wins += drops_top[-1] > drops_random[-1]
        gaps.append(abs(explanation.completeness_gap) / max(1.0, abs(explanation.logit - explanation.baseline_logit)))
    return {
        "texts": len(texts), "attributed_drop_more": wins, "share": wins / max(1, len(texts)),
        "mean_drop_attributed": float(np.mean(drops_top)), "mean_drop_random": float(np.mean(drops_random)),
        "completeness_relative_gap_max": float(np.max(gaps)), "completeness_relative_gap_median": float(np.median(gaps)),
        "explain_seconds_mean": seconds / max(1, len(texts)),
    }  # fmt: skip


def time_one(target, repeats: int = 5) -> float:
    """The median wall time of `explain` on one sentence, the model loaded and warmed up once."""
    from keras_restext.explain import explain

    explain(target, [SENTENCE])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        explain(target, [SENTENCE])
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=MODEL, help="where the trained model is kept between runs")
    parser.add_argument("--limit", type=int, help="a seeded sample of this many test texts (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from keras_restext.data import read_dataset
    from keras_restext.explain import explain_target
    from keras_restext.explain.spans import text_words

    serving, train_seconds = trained_model(args.model)
    target = explain_target(serving)
    texts, _ = read_dataset(str(data_dir() / "mr" / "test.csv")).texts_and_labels()
    long_enough = [t for t in texts if text_words(target.tokenizer, t) >= 6]  # the tokenizer's words
    sample = long_enough
    if args.limit and args.limit < len(long_enough):
        chosen = np.random.default_rng(args.seed).choice(len(long_enough), args.limit, replace=False)
        sample = [long_enough[i] for i in sorted(chosen)]
    result = {
        "date": datetime.date.today().isoformat(), "machine": f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, no GPU, shared with other jobs", "preset": "restext_base", "data": "MR",
        "train_seconds": train_seconds, "eligible_texts": len(long_enough), "sampled": len(sample) < len(long_enough),
        **deletion_test(target, sample, args.seed), "one_sentence_seconds": time_one(target), "steps": 64,
    }  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
