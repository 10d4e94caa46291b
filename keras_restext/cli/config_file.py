"""`restext train --config FILE`: a JSON object of `train()` options (e.g. `restext tune`'s best.json)
whose values are the run's defaults, which the flags given beside it override.

An option that has a flag becomes that flag's default before the flags are parsed (so `--seed 0`
overrides a file's `"seed": 3`, though 0 is the flag's own default); the others (`model_overrides`,
`tokenizer_overrides`, the data-reading options, ...) are set on the `TrainConfig` that the flags
built, under what the flags set: `--deep-loss-weight` over the file's `model_overrides`, and
`--text-column` over its `text_column`.
"""

from __future__ import annotations

import argparse
import json
import os

# The options whose flag has the same name and takes the value as it is (the flag's dest).
FLAG_OPTIONS = (
    "train", "validation", "test", "validation_fraction", "preset", "epochs", "batch_size", "learning_rate",
    "max_length", "patience", "seed", "mixed_precision", "static_shapes", "jit_compile", "steps_per_execution",
    "output", "export", "verbose", "progressive", "freeze_grown", "embeddings",
)  # fmt: skip
# The options set on the `TrainConfig` from the file unless a flag set them (None or {}: no flag).
READ_OPTIONS = ("format", "text_column", "label_column", "header", "on_bad_row", "label_names")


def read_config_file(path: str) -> dict:
    """The JSON object in `path`.

    Raises:
        ValueError: a file that is missing, unreadable or not one JSON object; the message names it.
    """
    try:
        with open(path) as file:
            options = json.load(file)
    except (OSError, ValueError) as error:
        raise ValueError(f"--config {path}: {error}") from None
    if not isinstance(options, dict):
        raise ValueError(f"--config {path}: expected one JSON object of train() options, found {type(options).__name__}")  # noqa: TRY004
    return options


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """Adds `--config FILE` to `parser`: its options become the defaults of the flags that set
    them, and the rest wait in `args.config_options` for `with_config_file`."""
    parser.add_argument(
        "--config", metavar="FILE",
        help="a JSON file of train() options, e.g. best.json of `restext tune`: the defaults, which the flags override",
    )  # fmt: skip
    parse = parser.parse_known_args
    probe = argparse.ArgumentParser(prog=parser.prog, add_help=False)
    probe.add_argument("--config")

    def parse_known_args(args=None, namespace=None):
        # A first pass finds --config, so that the file's values are in place as defaults
        # before the flags are parsed over them.
        path = probe.parse_known_args(args)[0].config
        if path:
            try:
                options = read_config_file(path)
            except ValueError as error:  # as argparse reports a bad flag: usage, then the error
                parser.error(str(error))
            defaults = {key: options.pop(key) for key in FLAG_OPTIONS if key in options}
            if "embeddings_trainable" in options:
                defaults["embeddings_mode"] = "non-static" if options.pop("embeddings_trainable") else "static"
            parser.set_defaults(**defaults, config_options=options)
        return parse(args, namespace)

    parser.parse_known_args = parse_known_args


def with_config_file(config, args: argparse.Namespace):
    """`config` (a `TrainConfig` that the flags built) with the options of `--config` that have no
    flag; what a flag set stays.

    Raises:
        ValueError: an option that is not one of `train()`'s.
    """
    options = dict(getattr(args, "config_options", None) or {})
    if not options:
        return config
    given = config.options()
    for key in READ_OPTIONS:
        if key in options and given[key] not in (None, {}):
            del options[key]  # the flag's
    options["model_overrides"] = {**options.get("model_overrides", {}), **given["model_overrides"]}
    options["tokenizer_overrides"] = {**options.get("tokenizer_overrides", {}), **given["tokenizer_overrides"]}
    try:
        return config.replace(**options)
    except TypeError as error:  # an unknown option
        raise ValueError(f"--config {os.fspath(args.config)}: {error}") from None


__all__ = ["add_config_option", "read_config_file", "with_config_file"]
