"""`restext tune`: a budgeted hyperparameter search (Optuna), then the best recipe trained and exported.

The flags translate into `keras_restext.training.tune.tune`'s arguments; docs/tune.md is the guide.
"""

from __future__ import annotations

import argparse
import math
import re

from keras_restext.cli.common import (
    DATA_HELP,
    add_data_options,
    add_label_names_option,
    fraction,
    positive_int,
    read_options,
    task_label_columns,
)

INSTALL = "restext tune needs Optuna, an optional extra: pip install 'keras_restext[tune]'"
UNITS = {"s": 1, "m": 60, "h": 3600}

DESCRIPTION = """\
Searches the training recipe on validation data within a budget (Optuna: TPE, median pruning after
every epoch), then trains the best recipe on all the training data, evaluates it on --test and
exports it. The first trial is the recipe that `restext train` picks for these texts, so the search
never ends below the default on validation. It searches the word-level presets (and vdcnn_9 with
--characters), the learning rate, the epochs, stochastic depth, the wide branch (off, or its scale,
deep_drop_path and deep_loss_weight), the vocabulary size, the n-grams and --max-length.

The study lives in --output/study.db: the same command started again continues it (finished trials
are kept, killed ones marked failed, new ones numbered on). --storage URL shares one search between
machines. --output also gets trials.csv, best.json (`restext train --config best.json` trains it
again), optimization_history.png and param_importances.png. See docs/tune.md.
"""

EXAMPLE = """\
example:
  restext tune --train ../shared/data/mr/train.csv --test ../shared/data/mr/test.csv --budget 15m \\
      --export savedmodels/mr
"""


def duration(value: str) -> float:
    """`--budget`: seconds, or a number with a unit s, m or h ("90s", "20m", "1.5h").

    Example:
    >>> duration("20m"), duration("90"), duration("1.5h")
    (1200.0, 90.0, 5400.0)
    """
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([smh]?)\s*", value.lower())
    seconds = float(match.group(1)) * UNITS[match.group(2) or "s"] if match else math.nan
    if not 0 < seconds < math.inf:
        raise argparse.ArgumentTypeError(f"expected a duration > 0 such as 90s, 20m or 1.5h, received {value!r}")
    return seconds


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "tune",
        help="search the training recipe within a budget (Optuna), then train and export the best",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    option = parser.add_argument
    option("--train", required=True, metavar="PATH", help=f"training data: {DATA_HELP}")
    option("--validation", metavar="PATH", help="validation data that judges the trials (default: a share of --train)")
    option("--validation-fraction", type=fraction, metavar="F",
           help="without --validation, hold out this share of --train, stratified and seeded (default 0.1)")
    option("--test", metavar="PATH", help="test data, evaluated once by the final model")
    add_data_options(parser)
    add_label_names_option(parser)
    group = parser.add_argument_group("the search (give --budget, --trials or both)")
    option = group.add_argument
    option("--budget", type=duration, metavar="T",
           help="wall time of the search: 90s, 20m, 1.5h; no trial starts after it, the running one finishes")
    option("--trials", dest="n_trials", type=positive_int, metavar="N",
           help="the finished trials the study should hold; started again, it runs only the missing ones")
    option("--storage", metavar="URL", help="an Optuna database URL shared by several machines "
           "(default sqlite:///OUTPUT/study.db)")  # fmt: skip
    option("--seed", type=int, default=0, metavar="N", help="seeds the split, the trials and the sampler (default 0)")
    option("--characters", action="store_true", help="also search the character-level vdcnn_9")
    group = parser.add_argument_group("output")
    option = group.add_argument
    option("--output", metavar="DIR", help="the run folder: the study, trials.csv, best.json, plots, the final run "
           "(default runs/<NAME>_tune, else runs/tune)")  # fmt: skip
    option("--export", metavar="DIR", help="export the final model as the next version under DIR")
    parser.set_defaults(run=run)


def check_optuna() -> None:
    """Raises a `ValueError` that says how to install Optuna when it is missing."""
    try:
        import optuna  # noqa: F401  (the optional extra)
    except ImportError:
        raise ValueError(INSTALL) from None


def run(args: argparse.Namespace) -> int:
    check_optuna()
    from keras_restext.training.tune import tune

    if task_label_columns(args):
        raise ValueError("restext tune trains one task: give --label-column COLUMN, not TASK=COLUMN")
    if args.validation and args.validation_fraction is not None:
        raise ValueError("give --validation or --validation-fraction, not both")
    share = {} if args.validation_fraction is None else {"validation_fraction": args.validation_fraction}
    result = tune(
        args.train, validation=args.validation, test=args.test, export=args.export, output=args.output,
        budget=args.budget, n_trials=args.n_trials, storage=args.storage, seed=args.seed,
        characters=args.characters, label_names=args.label_names or {}, log=args.say, **share,
        **read_options(args),
    )  # fmt: skip
    test = result.final.metrics.get("test")
    summary = f", test accuracy {test['accuracy']:.4f} (macro-F1 {test['macro_f1']:.4f})" if test else ""
    print(f"restext: tuned in {len(result.study.trials)} trials: trained trial {result.best_trial.number}'s recipe "
          f"(validation accuracy {result.best_trial.value:.4f}){summary}; {result.output_dir}/best.json",
          flush=True)  # fmt: skip
    return 0
