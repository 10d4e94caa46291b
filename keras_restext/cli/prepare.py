"""`restext prepare`: read a corpus once into shuffled, sharded TFRecord files and a manifest."""

from __future__ import annotations

import argparse

from keras_restext.cli.common import DATA_HELP, add_data_options, positive_int, read_options

TOKENIZER_KINDS = ("word", "char", "wordpiece")  # keras_restext.data.TOKENIZERS, without importing TensorFlow

DESCRIPTION = """\
Reads training data once and writes it as shuffled, sharded TFRecord files (text and label, and the
token ids of a tokenizer with --tokenizer or --preset) plus manifest.json: the examples per label,
the label names, a histogram of lengths, and vocabulary.txt, the vocabulary counted over the whole
corpus. Memory stays bounded whatever the corpus' size: the shuffle is a two-pass scatter (rows to
random shards, then each shard shuffled holding at most --shuffle-memory MiB of records), and the
word counts hold at most 2 x --max-words entries (exact below that). `restext train --train FOLDER`
then reads the shards with TensorFlow's C++ readers, each worker its own shards.
"""

EXAMPLE = """\
example:
  restext prepare --train ../shared/data/mr/train.csv --output prepared/mr --shards 8
  restext train --train prepared/mr --test ../shared/data/mr/test.csv --preset restext_base
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "prepare",
        help="read data once into shuffled, sharded TFRecord files and a manifest",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--train", metavar="PATH", required=True, help=f"the data to prepare: {DATA_HELP}")
    parser.add_argument("--output", metavar="DIR", required=True, help="a new or empty folder for the shards")
    parser.add_argument("--shards", type=positive_int, default=8, metavar="N",
                        help="TFRecord files to write: at least the number of workers that will read them (default 8)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="the shuffle's seed (default 0)")
    add_data_options(parser)
    group = parser.add_argument_group("token ids (optional) and vocabulary")
    option = group.add_argument
    option("--preset", metavar="NAME", help="store token ids from this preset's tokenizer (see `restext presets`)")
    option("--tokenizer", choices=TOKENIZER_KINDS, help="store token ids from a tokenizer of this kind")
    option("--max-length", type=positive_int, metavar="N", help="the tokenizer's longest input, in tokens or characters")
    option("--vocabulary-size", type=positive_int, metavar="N",
           help="tokens in vocabulary.txt (default: the word tokenizer's, else every token counted)")
    option("--max-words", type=positive_int, default=1_000_000, metavar="N",
           help="distinct tokens counted exactly; beyond, the counts are pruned to N (default 1000000)")
    option("--shuffle-memory", type=positive_int, default=256, metavar="MIB",
           help="the most MiB of records held at once while shuffling (default 256)")
    parser.set_defaults(run=run)


def _tokenizer(args: argparse.Namespace):
    """The tokenizer that --preset or --tokenizer names (with --max-length), or None."""
    from keras_restext.data import make_tokenizer
    from keras_restext.models.presets import get_preset

    if args.preset and args.tokenizer:
        raise ValueError("--preset and --tokenizer exclude each other: the preset names its tokenizer")
    if args.preset:
        config = get_preset(args.preset)["tokenizer"]
    elif args.tokenizer:
        config = {"kind": args.tokenizer}
    else:
        if args.max_length:
            raise ValueError("--max-length applies to the token ids of --preset or --tokenizer")
        return None
    if args.max_length:
        config["max_length"] = args.max_length
    return make_tokenizer(**config)


def run(args: argparse.Namespace) -> int:
    from keras_restext.data.prepare import prepare

    manifest = prepare(
        args.train, args.output, shards=args.shards, tokenizer=_tokenizer(args), seed=args.seed,
        shuffle_memory=args.shuffle_memory * 2**20, max_words=args.max_words,
        vocabulary_size=args.vocabulary_size, read_options=read_options(args), log=args.say,
    )  # fmt: skip
    labels = ", ".join(f"{name} {count}" for name, count in manifest["labels"]["counts"].items())
    print(f"restext: prepared {manifest['examples']} examples ({labels}) in {len(manifest['shards'])} shards "
          f"under {args.output}; vocabulary {manifest['vocabulary']['size']} tokens", flush=True)  # fmt: skip
    return 0
