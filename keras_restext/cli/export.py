"""`restext export`: export a saved `.keras` model again, as the next SavedModel version."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="re-export a saved .keras model as a SavedModel",
        description="Exports a model.keras written by `restext train` as the next version under --export "
        "(SavedModel, model.keras, labels.txt, metrics.json, model_card.md, plots). Metrics and the model "
        "card's facts are carried over from a metrics.json beside the .keras file.",
    )
    parser.add_argument("--model", required=True, metavar="PATH", help="a model.keras written by restext")
    parser.add_argument("--export", required=True, metavar="DIR", help="the export folder, e.g. savedmodels/sst2")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from keras_restext.data import DataError
    from keras_restext.export import reexport, resolve_model_path

    kind, path = resolve_model_path(args.model)
    if kind != "keras":
        expected = "a .keras file (e.g. savedmodels/NAME/VERSION/model.keras)"
        raise DataError("is a SavedModel", path=path, expected=expected)
    print(f"restext: exported {reexport(path, args.export)}")
    return 0
