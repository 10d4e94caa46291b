"""Does `restext audit` find planted label noise? SST-2 with 5% of its training labels flipped.

    python -m benchmarks.audit_benchmark                          # restext_base, 5 folds, seed 0
    python -m benchmarks.audit_benchmark --preset restext_small   # another recipe, added to the results

1. reads SST-2's training file (6,920 sentences), flips the labels of 5% of its rows, drawn at random
   (seed 0), and writes the noisy copy to a temporary folder (the shared data is never changed);
2. runs `keras_restext.training.audit.audit` on that file (5 folds) and writes `suspects.csv`, as
   `restext audit --train FILE --output FOLDER` does;
3. reads `suspects.csv` back and measures, against the flipped rows:
   - precision: the share of flipped rows among the top 5% of the rows of suspects.csv (targets >= 50%);
   - recall: the share of the flipped rows within the top 10% (target >= 50%);
   - the audit's wall time (target <= 10 minutes on 2 cores).

SST-2's own labels are not all right either: a suspect that was not flipped is not always a mistake
of the audit. Results: `benchmarks/results/audit.json` (one entry per recipe, replaced when run
again), and the "Label audit" section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "audit.json"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(REPO))

from benchmarks.datasets import data_dir


def write_noisy_copy(source: Path, target: Path, noise: float, seed: int) -> set[int]:
    """Copies SST-2's `sentence<TAB>label` file with the labels of `noise` of its rows flipped (0 <-> 1);
    returns the 0-based indices of the flipped rows."""
    with open(source, encoding="utf-8") as file:
        header, *lines = file.read().splitlines()
    rows = [line.rsplit("\t", 1) for line in lines if line]
    flipped = set(np.random.default_rng(seed).choice(len(rows), round(noise * len(rows)), replace=False).tolist())
    with open(target, "w", encoding="utf-8") as file:
        file.write(header + "\n")
        file.writelines(f"{text}\t{1 - int(label) if index in flipped else label}\n"
                        for index, (text, label) in enumerate(rows))  # fmt: skip
    return flipped


def measure(suspects_csv: str, flipped: set[int], examples: int) -> dict:
    """Precision among the top 5% of suspects.csv's rows and recall of the flipped rows in the top 10%."""
    with open(suspects_csv, newline="", encoding="utf-8") as file:
        ranked = [int(row["row"]) for row in csv.DictReader(file)]
    top5, top10 = ranked[: round(0.05 * examples)], ranked[: round(0.10 * examples)]
    return {
        "examples": examples,
        "flipped": len(flipped),
        "suspects": len(ranked),
        "top_5_percent_rows": len(top5),
        "precision_top_5_percent": round(len(flipped.intersection(top5)) / max(1, len(top5)), 4),
        "recall_top_10_percent": round(len(flipped.intersection(top10)) / max(1, len(flipped)), 4),
        "flipped_among_all_suspects": round(len(flipped.intersection(ranked)) / max(1, len(flipped)), 4),
    }


def run(args: argparse.Namespace) -> dict:
    from keras_restext.training.audit import audit, write_suspects

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="audit_benchmark_") as folder:
        noisy = Path(folder) / "train.tsv"
        flipped = write_noisy_copy(data_dir() / "sst2" / "train.tsv", noisy, args.noise, args.noise_seed)
        start = time.time()
        result = audit(str(noisy), folds=args.folds, preset=args.preset, epochs=args.epochs, seed=args.seed,
                       ranked_by=args.ranked_by)  # fmt: skip
        path = write_suspects(result.suspects, folder)
        wall = time.time() - start
        figures = measure(path, flipped, len(result.given))
        if args.save_probabilities:  # to compare rankings later without training again
            np.savez(args.save_probabilities, probabilities=result.probabilities, given=result.given,
                     flipped=np.array(sorted(flipped)))  # fmt: skip
    return {
        "preset": args.preset, "epochs": args.epochs, "folds": args.folds, "ranked_by": args.ranked_by,
        "noise": args.noise, "noise_seed": args.noise_seed, "seed": args.seed, **figures, "wall_time_s": round(wall, 1),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, no GPU",
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "date": datetime.date.today().isoformat(),
    }  # fmt: skip


def save(entry: dict) -> None:
    """Adds `entry` to the results, replacing an earlier one of the same recipe."""
    key = ("preset", "epochs", "folds", "ranked_by", "noise", "noise_seed", "seed")
    runs = json.loads(RESULTS.read_text())["runs"] if RESULTS.exists() else []
    runs = [run for run in runs if [run.get(k) for k in key] != [entry[k] for k in key]] + [entry]
    results = {"benchmark": "audit: SST-2 train, 5% of labels flipped", "runs": runs}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="restext_base")
    parser.add_argument("--epochs", type=int, default=3, help="each fold's epochs (default 3, as `restext audit`)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--ranked-by", default="self_confidence")
    parser.add_argument("--noise", type=float, default=0.05, help="the share of labels flipped")
    parser.add_argument("--seed", type=int, default=0, help="seeds the folds and their training")
    parser.add_argument("--noise-seed", type=int, default=0, help="seeds the choice of the flipped rows")
    parser.add_argument("--save-probabilities", metavar="NPZ", help="also save the out-of-fold probabilities here")
    entry = run(parser.parse_args())
    save(entry)
    print(json.dumps(entry, indent=2))


if __name__ == "__main__":
    main()
