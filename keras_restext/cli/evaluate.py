"""`restext evaluate`: accuracy, macro-F1, per-class scores and the confusion matrix of a model on labelled data.

Past `MATRIX_MAX_CLASSES` classes the report holds every confusion, counted sparsely, instead of the
matrix (10,000 classes: 10^8 cells), and the text shows the most frequent ones; the probabilities
are kept one chunk of texts at a time. Memory and output grow with the examples, not the classes squared.
"""

from __future__ import annotations

import argparse
import json

from keras_restext.cli.common import (
    DATA_HELP,
    MODEL_HELP,
    add_data_options,
    add_label_names_option,
    positive_int,
    read_options,
    task_label_columns,
)


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
    add_label_names_option(parser)
    parser.add_argument(
        "--batch-size", type=positive_int, default=256, metavar="N", help="texts per model call (default 256)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


CHUNK_BATCHES = 4  # batches per chunk of texts whose probabilities are held at once
EVERY_CONFUSION = "the report of --json"


def _evaluate(predictor, texts, labels, names, args: argparse.Namespace, task: str | None = None) -> dict:
    """The report of one task: sparse past `MATRIX_MAX_CLASSES` classes, the texts predicted by chunks."""
    from keras_restext.training import evaluate_texts

    def predict(batch):
        out = predictor.predict(batch, batch_size=args.batch_size)
        return out if task is None else out[task]

    return evaluate_texts(predict, texts, [label.strip() for label in labels], names, full_matrix=False,
                          chunk_size=args.batch_size * CHUNK_BATCHES)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from keras_restext.data import LabelVocabulary, read_dataset
    from keras_restext.export import load_predictor
    from keras_restext.training import format_report

    predictor = load_predictor(args.model)
    if predictor.multi_task:
        return _evaluate_tasks(predictor, args)
    if task_label_columns(args):
        raise ValueError(f"--label-column TASK=COLUMN is for multi-task models; {predictor.path} has one task")
    data = read_dataset(args.data, **read_options(args)).with_label_names(args.label_names or {})
    vocabulary = LabelVocabulary(predictor.labels)
    vocabulary.check(data)  # an unknown label: DataError naming its file and line
    texts, labels = data.texts_and_labels()
    report = {"model": predictor.path, "data": args.data, **_evaluate(predictor, texts, labels, predictor.labels, args)}
    if args.json:
        print(json.dumps(report))
    else:
        print(format_report(report, title=f"{predictor.path} on {args.data}", every_confusion=EVERY_CONFUSION))
    return 0


def _evaluate_tasks(predictor, args: argparse.Namespace) -> int:
    """A multi-task model: each task named by `--label-column TASK=COLUMN` against that column."""
    from keras_restext.data import LabelVocabulary, read_dataset
    from keras_restext.training import format_report

    columns = task_label_columns(args)
    if not columns:
        raise ValueError(
            f"{predictor.path} is a multi-task model (tasks {', '.join(predictor.labels)}): name the label column "
            "of each task to evaluate with --label-column TASK=COLUMN"
        )
    unknown = sorted(set(columns) - set(predictor.labels))
    if unknown:
        raise ValueError(f"--label-column names task(s) {unknown} that the model lacks; it has {sorted(predictor.labels)}")
    options = {k: v for k, v in read_options(args).items() if k != "label_column"}
    reports = {}
    for task, column in columns.items():
        data = read_dataset(args.data, label_column=column, **options)
        vocabulary = LabelVocabulary(predictor.labels[task])
        vocabulary.check(data)
        texts, labels = data.texts_and_labels()
        reports[task] = _evaluate(predictor, texts, labels, predictor.labels[task], args, task)
    if args.json:
        print(json.dumps({"model": predictor.path, "data": args.data, "tasks": reports}))
    else:
        for task, report in reports.items():
            title = f"{predictor.path} on {args.data}, task {task!r}"
            print(format_report(report, title=title, every_confusion=EVERY_CONFUSION))
    return 0
