"""`restext train` options for several tasks, staged training and pretrained word vectors.

Several tasks (one shared trunk, one head per task; see `keras_restext.training.multitask`):

    --task NAME=TRAIN[,test=PATH][,validation=PATH][,label=COLUMN][,text=COLUMN][,format=F]
        one file per task (repeat for each task); each example carries only its own task's label
    --label-column NAME=COLUMN
        several label columns of the one --train file (repeat for each task); an empty cell is a
        missing label
    --loss-weight NAME=X
        the weight of a task's loss (default 1)

Staged training: `--progressive [--freeze-grown]`. Word vectors: `--embeddings PATH
[--embeddings-mode static|non-static]`.
"""

from __future__ import annotations

import argparse

from keras_restext.cli.common import _column, task_label_columns

TASK_KEYS = {"test": "test", "validation": "validation", "label": "label_column", "text": "text_column", "format": "format"}

TASKS_HELP = """\
Several tasks share one residual trunk, with one head per task; the export returns
<task>_probabilities, <task>_label_id and <task>_label for every task. Either one file per task
(--task, repeated; --train is then not needed), or several label columns of the --train file
(--label-column TASK=COLUMN, repeated). An example carries only the labels of the tasks its data
gives; the loss of the other tasks is masked for it."""

TASKS_EXAMPLE = """
multi-task examples:
  restext train --task sentiment=../shared/data/mr/train.csv,test=../shared/data/mr/test.csv \\
      --task question=../shared/data/trec/train.tsv,test=../shared/data/trec/test.tsv --export savedmodels/mr_trec
  restext train --train reviews.csv --test reviews_test.csv --label-column sentiment=stars \\
      --label-column topic=category --loss-weight topic=0.5
"""


def task_spec(value: str) -> tuple[str, dict]:
    """Parses `NAME=TRAIN[,key=value...]` (an argparse type)."""
    if "=" not in value:
        raise argparse.ArgumentTypeError(f"expected NAME=TRAIN[,test=PATH,...], received {value!r}")
    name, rest = (part.strip() for part in value.split("=", 1))
    parts = [part.strip() for part in rest.split(",")]
    if not name or not parts[0]:
        raise argparse.ArgumentTypeError(f"expected NAME=TRAIN[,test=PATH,...], received {value!r}")
    spec = {"train": parts[0]}
    for part in parts[1:]:
        key, _, setting = part.partition("=")
        key = key.strip()
        if key not in TASK_KEYS or not setting.strip():
            raise argparse.ArgumentTypeError(
                f"in {value!r}: {part!r} is not KEY=VALUE with KEY one of {', '.join(TASK_KEYS)}"
            )
        setting = setting.strip()
        spec[TASK_KEYS[key]] = _column(setting) if key in ("label", "text") else setting
    return name, spec


def loss_weight(value: str) -> tuple[str, float]:
    """Parses `NAME=X` (an argparse type)."""
    name, _, number = value.partition("=")
    try:
        weight = float(number)
    except ValueError:
        weight = -1.0
    if not name.strip() or not weight >= 0:
        raise argparse.ArgumentTypeError(f"expected NAME=X with X >= 0, received {value!r}")
    return name.strip(), weight


def add_task_options(parser: argparse.ArgumentParser) -> None:
    """--task, --loss-weight, --progressive, --freeze-grown, --embeddings, --embeddings-mode."""
    group = parser.add_argument_group("several tasks", TASKS_HELP)
    group.add_argument(
        "--task",
        type=task_spec,
        action="append",
        metavar="NAME=TRAIN[,test=P][,validation=P][,label=C][,text=C][,format=F]",
        help="one task and its own files (paths without commas); repeat for each task",
    )
    group.add_argument(
        "--loss-weight", type=loss_weight, action="append", metavar="NAME=X", help="a task's loss weight (default 1)"
    )
    group = parser.add_argument_group("staged training and word vectors")
    group.add_argument(
        "--progressive",
        action="store_true",
        help="staged training: train the first of the S stages for max(1, EPOCHS//S) epochs, add the next stage "
        "and continue, ..., then the full network for EPOCHS epochs from the grown weights (docs/progressive.md)",
    )
    group.add_argument(
        "--freeze-grown", action="store_true", help="with --progressive: keep the stages carried over frozen"
    )
    group.add_argument(
        "--embeddings",
        metavar="PATH",
        help="pretrained word vectors, word2vec/GloVe/fastText .vec text format, for the word vocabulary "
        "(missing words random; the coverage is printed; embedding_dim follows the file)",
    )
    group.add_argument(
        "--embeddings-mode",
        choices=("static", "non-static"),
        default="non-static",
        help="static: frozen vectors; non-static: fine-tuned (default)",
    )


def staged_options(args: argparse.Namespace) -> dict:
    """The `ScheduleConfig` fields of --progressive and --freeze-grown."""
    if args.freeze_grown and not args.progressive:
        raise ValueError("--freeze-grown needs --progressive")
    return {"progressive": args.progressive, "freeze_grown": args.freeze_grown}


def word_vector_options(args: argparse.Namespace) -> dict:
    """The `ModelConfig` fields of --embeddings and --embeddings-mode."""
    if args.embeddings_mode == "static" and not args.embeddings:
        raise ValueError("--embeddings-mode static needs --embeddings PATH")
    return {"embeddings": args.embeddings, "embeddings_trainable": args.embeddings_mode != "static"}


def parse_tasks(args: argparse.Namespace) -> dict | None:
    """The tasks of a multi-task run (task → `TaskData`), or None for one task."""
    from keras_restext.data.tasks import TaskData

    tasks: dict[str, TaskData] = {}
    for name, spec in args.task or ():
        if name in tasks:
            raise ValueError(f"--task names the task {name!r} twice")
        tasks[name] = TaskData(**spec)
    columns = task_label_columns(args)
    if columns:
        if not args.train:
            raise ValueError("--label-column TASK=COLUMN names columns of the --train file: give --train")
        for name, column in columns.items():
            if name in tasks:
                raise ValueError(f"the task {name!r} is given by both --task and --label-column")
            tasks[name] = TaskData(train=args.train, validation=args.validation, test=args.test, label_column=column)
    elif args.task and (args.train or args.validation or args.test):
        raise ValueError("--task gives each task its own files: leave --train/--validation/--test out, or use "
                         "--label-column TASK=COLUMN for tasks of the --train file")
    if not tasks:
        if args.loss_weight:
            raise ValueError("--loss-weight needs several tasks (--task or --label-column TASK=COLUMN)")
        if not args.train:
            raise ValueError("give --train (one task), or --task NAME=TRAIN for each task")
        return None
    for name, weight in args.loss_weight or ():
        if name not in tasks:
            raise ValueError(f"--loss-weight names the task {name!r}, which is not one of {sorted(tasks)}")
        tasks[name].loss_weight = weight
    return tasks


def run_multitask(config, tasks: dict, strategy, say) -> int:
    """Trains the tasks and prints one summary line; `say` prints the progress lines."""
    from keras_restext.training.multitask import train_multitask

    result = train_multitask(tasks, config, strategy=strategy, log=say)
    summary = "; ".join(
        f"{split} " + ", ".join(f"{task} {report['accuracy']:.4f}" for task, report in reports.items())
        for split, reports in result.metrics.items()
    )
    summary = f"accuracy {summary}" if summary else "no validation or test data, nothing evaluated"
    print(f"restext: done in {result.wall_time:.0f}s: {summary}", flush=True)
    return 0
