"""Options and helpers shared by the `restext` subcommands."""

from __future__ import annotations

import argparse
import math

from keras_restext.checks import is_int


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """--format, --text-column, --label-column, --no-header, --on-bad-row: how to read the data files."""
    group = parser.add_argument_group("data format (inferred when left out)")
    group.add_argument(
        "--format",
        choices=("csv", "tsv", "jsonl", "folder", "tfds"),
        help="the data format (default: from the file name)",
    )
    group.add_argument(
        "--text-column",
        metavar="C[,C2]",
        help="the text column, or several joined with a space (a header name, or a 0-based index)",
    )
    group.add_argument(
        "--label-column",
        metavar="L",
        action="append",
        help="the label column (a header name, or a 0-based index); TASK=L names the column of one task of a "
        "multi-task model (repeat it for each task)",
    )
    group.add_argument("--no-header", action="store_true", help="csv/tsv files have no header row (default: detect)")
    group.add_argument(
        "--on-bad-row",
        choices=("error", "skip"),
        help="a malformed row: stop with its file and line (error, the default) or skip and count it (skip)",
    )


def label_names(value: str) -> dict[str, str]:
    """`--label-names 0=negative,1=positive` → `{"0": "negative", "1": "positive"}`."""
    names: dict[str, str] = {}
    for pair in (part.strip() for part in value.split(",")):
        raw, sep, name = pair.partition("=")
        if not sep or not raw.strip() or not name.strip():
            raise argparse.ArgumentTypeError(f"expected LABEL=NAME pairs separated by commas, got {pair!r}")
        if raw.strip() in names:
            raise argparse.ArgumentTypeError(f"label {raw.strip()!r} is named twice")
        names[raw.strip()] = name.strip()
    if len(set(names.values())) < len(names):
        raise argparse.ArgumentTypeError(f"two labels get the same name: {value!r}")
    return names


def add_label_names_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--label-names",
        type=label_names,
        metavar="L=NAME,...",
        help="name the data's labels, e.g. 0=negative,1=positive: the model predicts and reports the names "
        "(give the same to `restext evaluate` for data with the raw labels)",
    )


def _column(value: str):
    return int(value) if value.strip().isdigit() else value.strip()


def read_options(args: argparse.Namespace) -> dict:
    """The `read_dataset` keyword arguments the data options ask for."""
    options = {}
    if args.format:
        options["format"] = args.format
    if args.text_column:
        columns = [_column(c) for c in args.text_column.split(",") if c.strip()]
        options["text_column"] = columns[0] if len(columns) == 1 else columns
    plain = [value for value in args.label_column or () if "=" not in value]
    if len(plain) > 1:
        raise ValueError(f"--label-column was given {len(plain)} times without TASK=: {plain}. Give one column, or "
                         "TASK=COLUMN for each task of a multi-task model.")
    if plain:
        options["label_column"] = _column(plain[0])
    if args.no_header:
        options["header"] = False
    if getattr(args, "on_bad_row", None):
        options["on_bad_row"] = args.on_bad_row
    return options


def task_label_columns(args: argparse.Namespace) -> dict:
    """The `--label-column TASK=COLUMN` values: task → column (name or 0-based index)."""
    columns = {}
    for value in args.label_column or ():
        if "=" not in value:
            continue
        task, column = (part.strip() for part in value.split("=", 1))
        if not task or not column:
            raise ValueError(f"--label-column {value!r}: expected TASK=COLUMN, e.g. sentiment=label")
        if task in columns:
            raise ValueError(f"--label-column names the task {task!r} twice")
        columns[task] = _column(column)
    return columns


MODEL_HELP = "savedmodels/NAME (its latest version), savedmodels/NAME/VERSION or a model.keras"
DATA_HELP = "a csv/tsv/jsonl file, a folder of class folders, or tfds:NAME[:SPLIT]"


def _number(value: str, parse, accept, expected: str):
    """`value` parsed by `parse` (int or float) if it is finite and `accept` holds for it, else
    argparse's usage error, which names what was expected and what was received. `float` parses
    "inf" and "nan", which no setting means."""
    try:
        number = parse(value)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number) or not accept(number):
        raise argparse.ArgumentTypeError(f"expected {expected}, received {value!r}")
    return number


def positive_int(value: str) -> int:
    return _number(value, int, is_int, "a positive integer")


def fraction(value: str) -> float:
    """A number in [0, 1): a share of the training data."""
    return _number(value, float, lambda n: 0 <= n < 1, "a number in [0, 1)")


def non_negative_float(value: str) -> float:
    return _number(value, float, lambda n: n >= 0, "a number >= 0")


def positive_float(value: str) -> float:
    return _number(value, float, lambda n: n > 0, "a positive number")


def shorten_text(text: str, limit: int = 100) -> str:
    """One display line of a text: newlines and tabs as spaces, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
