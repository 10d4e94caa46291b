"""`restext evaluate`: accuracy, macro-F1, per-class scores and the confusion matrix of a model on labelled data."""

from __future__ import annotations

import argparse
import json

from keras_restext.cli.common import DATA_HELP, MODEL_HELP, add_data_options, read_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="evaluate a model on labelled data",
        description="Evaluates a model on labelled data: accuracy, macro-F1, per-class precision/recall/F1 and "
        "the confusion matrix. --model is an export folder (latest version), a version folder or a .keras file.",
    )
    parser.add_argument("--model", required=True, metavar="PATH", help=MODEL_HELP)
    parser.add_argument("--data", required=True, metavar="PATH", help=f"labelled data: {DATA_HELP}")
    add_data_options(parser)
    parser.add_argument("--batch-size", type=int, default=256, metavar="N", help="texts per model call (default 256)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from keras_restext.data import LabelVocabulary, read_dataset
    from keras_restext.export import load_predictor
    from keras_restext.training import classification_report, format_report

    data = read_dataset(args.data, **read_options(args))
    predictor = load_predictor(args.model)
    vocabulary = LabelVocabulary(predictor.labels)
    vocabulary.check(data)  # an unknown label: DataError naming its file and line
    texts, labels = data.texts_and_labels()
    y_true = [vocabulary.index(label.strip()) for label in labels]
    y_pred = predictor.predict(texts, batch_size=args.batch_size).argmax(axis=-1)
    report = classification_report(y_true, y_pred, predictor.labels)
    report = {"model": predictor.path, "data": args.data, **report}
    if args.json:
        print(json.dumps(report))
    else:
        print(format_report(report, title=f"{predictor.path} on {args.data}"))
    return 0
