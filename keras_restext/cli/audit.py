"""`restext audit`: the training examples whose labels look wrong, ranked (k-fold cross-fitting and
cleanlab's confident learning).

The flags translate into `keras_restext.training.audit.audit`'s arguments; docs/audit.md is the guide.
"""

from __future__ import annotations

import argparse
import os

from keras_restext.cli.common import (
    DATA_HELP,
    add_data_options,
    add_label_names_option,
    positive_int,
    read_options,
    shorten_text,
    task_label_columns,
)

INSTALL = "restext audit needs cleanlab, an optional extra: pip install 'keras_restext[audit]'"
DEFAULT_OUTPUT = os.path.join("runs", "audit")
RANKINGS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")  # audit.RANKINGS

DESCRIPTION = """\
Finds the training examples whose labels are likely wrong. The examples are dealt into --folds
stratified, seeded folds; for each fold a classifier of --preset is trained on the other folds and
predicts the fold it did not see. cleanlab's confident learning then flags the examples whose given
label disagrees with these out-of-fold probabilities, ranked by a label quality score (the lower,
the likelier wrong). Writes --output/suspects.csv (rank, row, file, line, given_label,
suggested_label, score, text) and prints the top ones. Before the folds run it says how long they
should take. One label per text: multi-label data is refused. See docs/audit.md.
"""

EXAMPLE = """\
example:
  restext audit --train ../shared/data/sst2/train.tsv --output runs/sst2_audit --top 20
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="rank the training examples whose labels look wrong (cross-fitting + cleanlab)",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    parser.add_argument("--train", required=True, metavar="PATH", help=f"the training data to audit: {DATA_HELP}")
    add_data_options(parser)
    add_label_names_option(parser)
    group = parser.add_argument_group("the audit")
    option = group.add_argument
    option("--folds", type=int, default=5, metavar="K", help="folds of the cross-fitting, >= 2 (default 5)")
    option("--preset", default="restext_base", metavar="NAME", help="the folds' recipe (default restext_base)")
    option("--epochs", type=positive_int, default=3, metavar="N", help="each fold's epochs (default 3)")
    option("--ranked-by", choices=RANKINGS, default="self_confidence",
           help="cleanlab's label quality score that ranks the suspects (default self_confidence)")  # fmt: skip
    option("--seed", type=int, default=0, metavar="N", help="seeds the folds and their training (default 0)")
    group = parser.add_argument_group("output")
    option = group.add_argument
    option("--output", metavar="DIR", default=DEFAULT_OUTPUT,
           help=f"the folder of suspects.csv (default {DEFAULT_OUTPUT})")  # fmt: skip
    option("--top", type=positive_int, default=10, metavar="N", help="print the N likeliest (default 10)")


def check_cleanlab() -> None:
    """Raises a `ValueError` that says how to install cleanlab when it is missing."""
    try:
        import cleanlab  # noqa: F401  (the optional extra)
    except ImportError:
        raise ValueError(INSTALL) from None


def print_suspects(suspects, top: int) -> None:
    """The `top` likeliest suspects, one line each: where, given → suggested, score, text."""
    for suspect in suspects[:top]:
        print(f"{suspect.rank:>4}. {suspect.file}:{suspect.line}  {suspect.given_label} -> {suspect.suggested_label}"
              f"  score {suspect.score:.3f}  {shorten_text(suspect.text, 80)}", flush=True)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    check_cleanlab()
    from keras_restext.training.audit import audit, write_suspects

    if task_label_columns(args):
        raise ValueError("restext audit reads one task: give --label-column COLUMN, not TASK=COLUMN")
    result = audit(
        args.train, folds=args.folds, preset=args.preset, epochs=args.epochs, seed=args.seed,
        ranked_by=args.ranked_by, label_names=args.label_names or {}, log=args.say, **read_options(args),
    )  # fmt: skip
    path = write_suspects(result.suspects, args.output)
    shown = min(args.top, len(result.suspects))
    print(f"restext: audit: {len(result.suspects):,} suspects in {path}"
          f"{f'; the top {shown}:' if shown else ''}", flush=True)  # fmt: skip
    print_suspects(result.suspects, args.top)
    return 0
