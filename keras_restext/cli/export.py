"""`restext export`: export a saved model again: the next SavedModel version, or LiteRT models."""

from __future__ import annotations

import argparse

FORMATS = ("savedmodel", "litert")
QUANTIZE_CHOICES = ("float16", "dynamic-int8")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="re-export a saved model as a SavedModel, or as LiteRT models for devices",
        description="--format savedmodel (the default): exports a model.keras written by `restext train` as the "
        "next version under --export (SavedModel, model.keras, labels.txt, metrics.json, model_card.md, plots); "
        "metrics and the model card's facts are carried over from a metrics.json beside the .keras file. "
        "--format litert: writes into --export model.tflite (raw strings in, needs the Flex delegate), "
        "model_ids.tflite (token ids in, builtin ops only), vocabulary.txt, labels.txt and tokenization.md.",
    )
    parser.add_argument(
        "--model", required=True, metavar="PATH",
        help="a model.keras written by restext, or a run, export or SavedModel version folder written by restext "
        "(its model.keras is exported)",
    )  # fmt: skip
    parser.add_argument("--export", required=True, metavar="DIR", help="the export folder, e.g. savedmodels/sst2")
    parser.add_argument("--format", choices=FORMATS, default="savedmodel", help="what to write (default: savedmodel)")
    parser.add_argument(
        "--quantize", choices=QUANTIZE_CHOICES,
        help="--format litert: post-training quantization of the weights (default: float32)",
    )  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from keras_restext.export import export_litert_from_path, keras_model_path, reexport

    if args.format == "litert":
        written = export_litert_from_path(args.model, args.export, quantize=args.quantize)
        for name, path in written.items():
            print(f"restext: skipped {path}" if name == "skipped" else f"restext: exported {path}")
        return 0
    if args.quantize:
        raise ValueError(f"--quantize {args.quantize} applies to --format litert only. Received --format {args.format}")
    print(f"restext: exported {reexport(keras_model_path(args.model), args.export)}")
    return 0
