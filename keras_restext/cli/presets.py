"""`restext presets`: the named configurations."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "presets", help="list the presets", description="Lists the presets: name and description."
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from keras_restext.models import PRESETS
    from keras_restext.models.auto_preset import AUTO, AUTO_DESCRIPTION

    width = max(len(name) for name in PRESETS)
    print(f"{AUTO:<{width}}  {AUTO_DESCRIPTION}")
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {preset['description']}")
    return 0
