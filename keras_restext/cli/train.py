"""`restext train`: train, evaluate and export a classifier."""

from __future__ import annotations

import argparse

from keras_restext.cli.common import (
    DATA_HELP,
    add_data_options,
    add_label_names_option,
    fraction,
    non_negative_float,
    positive_float,
    positive_int,
    read_options,
)
from keras_restext.cli.config_file import add_config_option, with_config_file
from keras_restext.cli.tasks import (
    TASKS_EXAMPLE,
    add_task_options,
    parse_tasks,
    run_multitask,
    staged_options,
    word_vector_options,
)
from keras_restext.errors import ExportError

# `keras_restext.training.distribute.STRATEGIES`, spelled out so that `restext train --help` needs
# no TensorFlow import (a test checks that the two agree).
STRATEGIES = ("auto", "default", "mirrored", "multiworker", "tpu")

DESCRIPTION = """\
Trains a classifier on labelled text: a Keras progress bar per epoch, test metrics at the end, then
the export (with --export). With validation data (--validation, or --validation-fraction to hold
some training data out): validation metrics each epoch and early stopping with the best epoch's
weights restored; without (the default), every example trains and the last epoch's weights are
kept. The training state is backed up under --output every epoch: a run that was killed resumes
after its last finished epoch when started again with the same command.
"""

EXAMPLE = """\
example:
  restext train --train ../shared/data/sst2/train.tsv --validation ../shared/data/sst2/dev.tsv \\
      --test ../shared/data/sst2/test.tsv --preset restext_base --export savedmodels/sst2
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train, evaluate and export a classifier",
        description=DESCRIPTION,
        epilog=EXAMPLE + TASKS_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--train", metavar="PATH", help=f"training data: {DATA_HELP} (not with --task)")
    parser.add_argument("--validation", metavar="PATH", help="validation data, for early stopping and the best epoch")
    parser.add_argument("--validation-fraction", type=fraction, default=0.0, metavar="F",
                        help="without --validation, hold out this share of --train, stratified (default 0: none)")
    parser.add_argument("--test", metavar="PATH", help="test data, evaluated once at the end")
    add_data_options(parser)
    add_label_names_option(parser)
    add_task_options(parser)
    group = parser.add_argument_group("model and training (defaults from the preset)")
    option = group.add_argument
    option("--preset", default="auto", metavar="NAME",
           help="see `restext presets`; auto (the default) picks one from the data: "
                "its classes and texts' lengths")
    option("--epochs", type=positive_int, metavar="N", help="the most epochs to train")
    option("--batch-size", type=positive_int, metavar="N", help="examples per batch (per replica)")
    option("--learning-rate", type=positive_float, metavar="X", help="the peak learning rate")
    option("--max-length", type=positive_int, metavar="N", help="the longest input, in tokens or characters")
    option("--patience", type=positive_int, metavar="N", help="epochs without improvement before stopping early")
    option("--seed", type=int, default=0, metavar="N", help="seeds weights, shuffles, validation split (default 0)")
    option("--deep-loss-weight", type=non_negative_float, metavar="W",
           help="deep supervision: add W x the residual branch's own loss, so that it learns to read without the "
                "wide branch (1.0 helps long documents and costs short sentences; presets with a wide branch; "
                "default 0)")  # fmt: skip
    group = parser.add_argument_group("devices (see docs/scaling.md)")
    option = group.add_argument
    option("--strategy", choices=STRATEGIES, default="auto",
           help="auto: a TPU if one is found, all GPUs if several, else one device (default auto)")
    option("--tpu", metavar="NAME", help="the TPU name or address, for --strategy tpu/auto")
    option("--mixed-precision", choices=("bfloat16", "float16"),
           help="compute in bfloat16 (TPU, recent GPUs) or float16 (older GPUs); the softmax stays float32")
    option("--static-shapes", action="store_true",
           help="pad batches to exactly --max-length, drop the last partial batch, compile with XLA (TPU)")
    option("--jit-compile", action="store_true", help="compile the training steps with XLA")
    option("--steps-per-execution", type=positive_int, default=16, metavar="N",
           help="training steps per call of the compiled step (default 16; 1 under multi-worker)")
    group = parser.add_argument_group("output")
    option = group.add_argument
    option("--output", metavar="DIR", help="the run folder: backup, TensorBoard logs, history (default runs/<NAME>)")
    option("--export", metavar="DIR", help="export the model as the next version under DIR, e.g. savedmodels/sst2")
    option(
        "--verbose", type=int, choices=(0, 1, 2), default=None,
        help="0 silent, 1 progress bar, 2 one line per epoch (default: a progress bar on a terminal, else one line per epoch)",
    )  # fmt: skip
    add_config_option(parser)  # --config FILE: train() options, the flags' defaults
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from keras_restext.training import (
        DataConfig,
        ModelConfig,
        OutputConfig,
        RuntimeConfig,
        ScheduleConfig,
        TokenizerConfig,
        TrainConfig,
        train,
    )
    from keras_restext.training.distribute import get_strategy

    options = read_options(args)
    tasks = parse_tasks(args)  # several tasks (--task, --label-column TASK=COLUMN), else None
    config = TrainConfig(  # the flags, grouped as the run uses them
        data=DataConfig(
            train=args.train, validation=args.validation, test=args.test,
            validation_fraction=args.validation_fraction, label_names=args.label_names or {}, **options,
        ),
        tokenizer=TokenizerConfig(max_length=args.max_length),
        model=ModelConfig(
            preset=args.preset,
            overrides={} if args.deep_loss_weight is None else {"deep_loss_weight": args.deep_loss_weight},
            **word_vector_options(args),  # --embeddings, --embeddings-mode
        ),
        schedule=ScheduleConfig(
            epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
            patience=args.patience, seed=args.seed, **staged_options(args),  # --progressive, --freeze-grown
        ),
        runtime=RuntimeConfig(
            verbose="auto" if args.verbose is None else args.verbose, mixed_precision=args.mixed_precision,
            static_shapes=args.static_shapes, jit_compile=args.jit_compile,
            steps_per_execution=args.steps_per_execution,
        ),
        output=OutputConfig(folder=args.output, export=args.export),
    )  # fmt: skip
    config = with_config_file(config, args)  # --config's options that have no flag
    try:
        if tasks:
            return run_multitask(config, tasks, get_strategy(args.strategy, tpu=args.tpu), args.say)
        result = train(config, strategy=get_strategy(args.strategy, tpu=args.tpu), log=args.say)
    except ExportError as error:  # the model is safe in the run folder: say how to export it again
        raise ExportError(f"{error} Export it again with: restext export --model {config.output_dir()} "
                          f"--export {args.export}") from error  # fmt: skip
    summary = ", ".join(
        f"{split} accuracy {report['accuracy']:.4f} (macro-F1 {report['macro_f1']:.4f})"
        for split, report in result.metrics.items()
    )
    summary = summary or "no validation or test data, nothing evaluated"
    print(f"restext: done in {result.wall_time:.0f}s: {summary}", flush=True)
    return 0
