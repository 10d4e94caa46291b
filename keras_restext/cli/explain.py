"""`restext explain`: which words made the model decide, per text (docs/explain.md)."""

from __future__ import annotations

import argparse
import sys

from keras_restext.cli.common import positive_int
from keras_restext.cli.predict import read_lines

EXPLAIN_MODEL_HELP = "a run folder (restext train's --output), its model.keras, or an export version holding model.keras"


DESCRIPTION = (
    "Attributes each TEXT's predicted class (or --class) to its words: the wide branch's exact contributions plus "
    "the residual branch's integrated gradients. Texts come as arguments, from --file (one a line) or from standard "
    "input. It needs the Keras model (model.keras), not a SavedModel alone."
)
EXAMPLES = (
    'example:\n  restext explain --model runs/mr "a gorgeous, witty, seductive movie."\n'
    "  restext explain --model runs/mr --file reviews.txt --html explained.html"
)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("explain", help="show which words made the model decide", description=DESCRIPTION,
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--model", required=True, metavar="PATH", help=EXPLAIN_MODEL_HELP)
    parser.add_argument("--class", dest="class_name", metavar="NAME", help="explain this class (default: the predicted one)")
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts to explain (default: lines of standard input)")
    parser.add_argument("--file", metavar="PATH", help="explain each non-blank line of this UTF-8 file")
    parser.add_argument("--steps", type=positive_int, default=64, metavar="N",
                        help="integrated gradients' trapezoid steps (default 64)")  # fmt: skip
    parser.add_argument("--html", metavar="PATH", help="also write a self-contained HTML page of the explanations")
    parser.add_argument("--json", action="store_true", help="print one JSON object per text (JSON Lines)")
    parser.set_defaults(run=run)


def _texts(args: argparse.Namespace) -> list[str]:
    if args.texts and args.file:
        raise ValueError("give texts as arguments or --file, not both")
    if args.texts:
        return list(args.texts)
    if args.file:
        with open(args.file, "rb") as stream:
            texts = list(read_lines(stream, args.file))
        if not texts:
            raise ValueError(f"--file {args.file} holds no text: give a file with one non-blank line per text")
        return texts
    return list(read_lines(sys.stdin.buffer, "<stdin>"))


def run(args: argparse.Namespace) -> int:
    from keras_restext.explain import explain, load_explain_target
    from keras_restext.explain.render import format_json, format_terminal, render_html, use_colour

    texts = _texts(args)
    if not texts:
        raise ValueError("no text to explain: give TEXT arguments, --file, or lines on standard input")
    target = load_explain_target(args.model)
    explanations = explain(target, texts, args.class_name, steps=args.steps)
    if args.html:
        with open(args.html, "w", encoding="utf-8") as stream:
            stream.write(render_html(explanations, title=f"restext explain: {args.model}"))
    colour = use_colour(sys.stdout)
    for explanation in explanations:
        print(format_json(explanation) if args.json else format_terminal(explanation, colour=colour))
    return 0
