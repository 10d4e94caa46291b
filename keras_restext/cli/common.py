"""Options and helpers shared by the `restext` subcommands."""

from __future__ import annotations

import argparse


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """--format, --text-column, --label-column, --no-header: how to read the data files."""
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


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {value!r}")
    return number


def fraction(value: str) -> float:
    """A number in [0, 1): a share of the training data."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), received {value!r}") from None
    if not 0 <= number < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), received {value!r}")
    return number


def positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, received {value!r}") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, received {value!r}")
    return number


def shorten_text(text: str, limit: int = 100) -> str:
    """One display line of a text: newlines and tabs as spaces, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
