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
    parser.add_argument("--errors", type=positive_int, metavar="N",
                        help="write the N mistakes made with the highest confidence to errors.csv in --output")
    parser.add_argument("--output", default=".", metavar="DIR", help="the folder of errors.csv (default: the current one)")
    parser.add_argument("--html", metavar="PATH", help="with --errors: an HTML page of those mistakes, their words shaded "
                        "by attribution (needs the model.keras, not a SavedModel alone)")
    parser.set_defaults(run=run)  # fmt: skip


CHUNK_BATCHES = 4  # batches per chunk of texts whose probabilities are held at once
EVERY_CONFUSION = "the report of --json"


def _evaluate(predictor, texts, labels, names, args: argparse.Namespace, task: str | None = None, mistakes=None) -> dict:
    """The report of one task: sparse past `MATRIX_MAX_CLASSES` classes, the texts predicted by
    chunks; `mistakes` (a `ConfidentMistakes`), when given, watches the probabilities."""
    from keras_restext.training import evaluate_texts

    def predict(batch):
        out = predictor.predict(batch, batch_size=args.batch_size)
        return out if task is None else out[task]

    if mistakes is not None:
        predict = mistakes.wrap(predict)

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
    mistakes = _mistakes(predictor.labels, labels, args)
    report = {"model": predictor.path, "data": args.data,
              **_evaluate(predictor, texts, labels, predictor.labels, args, mistakes=mistakes)}  # fmt: skip
    if mistakes is not None:
        report["errors"] = _write_mistakes(mistakes, predictor.labels, texts, args)
    if args.json:
        print(json.dumps(report))
    else:
        print(format_report(report, title=f"{predictor.path} on {args.data}", every_confusion=EVERY_CONFUSION))
        if "errors" in report:
            shown = " and ".join(report["errors"][key] for key in ("file", "html") if key in report["errors"])
            print(f"the {report['errors']['count']} most confident mistakes: {shown}")
    return 0


def _mistakes(names, labels, args: argparse.Namespace):
    """A `ConfidentMistakes` watcher when --errors asks for one (--html without --errors: an error)."""
    from keras_restext.explain.mistakes import ConfidentMistakes

    if args.html and not args.errors:
        raise ValueError("--html writes the page of the mistakes that --errors N selects: give --errors N too")
    if not args.errors:
        return None
    index = {name: i for i, name in enumerate(names)}
    return ConfidentMistakes([index[label.strip()] for label in labels], args.errors)


def _write_mistakes(mistakes, names, texts, args: argparse.Namespace) -> dict:
    """errors.csv in --output and, with --html, the page of the mistakes explained; returns where
    they went and how many mistakes they hold."""
    import os

    from keras_restext.explain import explain, load_explain_target
    from keras_restext.explain.mistakes import ERRORS_FILE, write_errors_csv
    from keras_restext.explain.render import render_html

    rows = mistakes.rows()
    os.makedirs(args.output, exist_ok=True)
    written = {"file": write_errors_csv(os.path.join(args.output, ERRORS_FILE), rows, names, texts), "count": len(rows)}
    if args.html:
        chosen = [row for row in rows if texts[row["row"]].strip()]  # a blank text has no word to shade
        explanations = explain(load_explain_target(args.model), [texts[row["row"]] for row in chosen])
        extra = [{"row": row["row"], "true": names[row["true_id"]], "p(true)": f"{row['probability_true']:.4f}"}
                 for row in chosen]  # fmt: skip
        with open(args.html, "w", encoding="utf-8") as stream:
            stream.write(render_html(explanations, title=f"Confident mistakes of {args.model} on {args.data}", extra=extra))
        written["html"] = args.html
    return written


def _evaluate_tasks(predictor, args: argparse.Namespace) -> int:
    """A multi-task model: each task named by `--label-column TASK=COLUMN` against that column."""
    from keras_restext.data import LabelVocabulary, read_dataset
    from keras_restext.training import format_report

    columns = task_label_columns(args)
    if args.errors or args.html:
        raise ValueError(f"--errors and --html take a one-task model; {predictor.path} has tasks {', '.join(predictor.labels)}")
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
