"""`restext predict`: the label and probability of each text."""

from __future__ import annotations

import argparse
import itertools
import json
import sys

from keras_restext.cli.common import MODEL_HELP, positive_int, shorten_text
from keras_restext.errors import DataError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="predict the labels of texts",
        description="Prints the label and probability of each TEXT, or of each non-blank line of --file or of "
        "standard input when no TEXT is given. --model is an export folder (latest version), a version folder, "
        "a .keras file or a run folder.",
        epilog='example:\n  restext predict --model savedmodels/sst2 "a gorgeous, witty, seductive movie."\n'
        "  cat reviews.txt | restext predict --model savedmodels/sst2 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, metavar="PATH", help=MODEL_HELP)
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts to classify (default: lines of standard input)")
    parser.add_argument("--file", metavar="PATH", help="classify each non-blank line of this UTF-8 file")
    parser.add_argument("--top-k", type=positive_int, metavar="K", help="also print the K most probable labels")
    parser.add_argument("--json", action="store_true", help="print one JSON object per text (JSON Lines)")
    parser.add_argument(
        "--batch-size", type=positive_int, default=256, metavar="N", help="texts per model call (default 256)"
    )
    parser.set_defaults(run=run)


def _batches(texts, size):
    iterator = iter(texts)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def read_lines(stream, name: str):
    """The non-blank lines of a binary stream, decoded as UTF-8; a line that is not UTF-8 is a
    `DataError` naming the stream and the line, after the lines before it were yielded."""
    for number, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise DataError("a line that is not valid UTF-8", path=name, line=number, expected="UTF-8 text") from None
        if line.strip():
            yield line


def _texts(args: argparse.Namespace):
    if args.texts and args.file:
        raise ValueError("give texts as arguments or --file, not both")
    if args.texts:
        return args.texts
    if args.file:
        return read_lines(open(args.file, "rb"), args.file)
    return read_lines(sys.stdin.buffer, "<stdin>")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from keras_restext.export import load_predictor

    predictor = load_predictor(args.model)
    texts = _texts(args)
    if predictor.multi_task:
        return _predict_tasks(predictor, texts, args)
    k = min(args.top_k or 1, len(predictor.labels))
    for batch in _batches(texts, args.batch_size):
        probabilities = predictor.predict(batch, batch_size=args.batch_size)
        for text, row in zip(batch, probabilities):
            best = np.argsort(-row, kind="stable")[:k]
            ranked = [(predictor.labels[i], float(row[i])) for i in best]
            if args.json:
                record = {"text": text, "label": ranked[0][0], "probability": ranked[0][1]}
                if args.top_k:
                    record["top_k"] = [{"label": name, "probability": p} for name, p in ranked]
                print(json.dumps(record, ensure_ascii=False))
            else:
                shown = "\t".join(f"{name}\t{p:.4f}" for name, p in ranked)
                print(f"{shown}\t{shorten_text(text)}")
        sys.stdout.flush()
    return 0


def _predict_tasks(predictor, texts, args: argparse.Namespace) -> int:
    """A multi-task model: each task's label and probability (`TASK=LABEL<TAB>P`, or JSON per task)."""
    import numpy as np

    for batch in _batches(texts, args.batch_size):
        probabilities = predictor.predict(batch, batch_size=args.batch_size)
        for index, text in enumerate(batch):
            ranked = {}
            for task, names in predictor.labels.items():
                row = probabilities[task][index]
                best = np.argsort(-row, kind="stable")[: min(args.top_k or 1, len(names))]
                ranked[task] = [(names[i], float(row[i])) for i in best]
            if args.json:
                record = {"text": text}
                for task, pairs in ranked.items():
                    record[task] = {"label": pairs[0][0], "probability": pairs[0][1]}
                    if args.top_k:
                        record[task]["top_k"] = [{"label": name, "probability": p} for name, p in pairs]
                print(json.dumps(record, ensure_ascii=False))
            else:
                shown = "\t".join(f"{task}={name}\t{p:.4f}" for task, pairs in ranked.items() for name, p in pairs)
                print(f"{shown}\t{shorten_text(text)}")
        sys.stdout.flush()
    return 0
