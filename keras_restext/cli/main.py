"""`restext`: train, evaluate, explain, export and query residual text classifiers from the shell.

Usage: `restext {train,tune,evaluate,explain,predict,export,presets,prepare,audit} --help`. Errors in the user's input (a missing
file or column, a malformed row, an unknown label, a bad option) print one line
`restext: error: <file>:<line>: <problem>; expected ...` and exit with code 2.

Parsing the arguments imports no TensorFlow (so `--help` answers at once); TensorFlow is imported,
with its C++ start-up lines silenced, only once a command runs.
"""

from __future__ import annotations

import argparse
import re
import sys

from keras_restext.cli import audit, evaluate, explain, export, predict, prepare, presets, train, tune
from keras_restext.cli.quiet_import import import_tensorflow_quietly
from keras_restext.cli.wording import Wording
from keras_restext.version import __version__

EXIT_USAGE = 2  # argparse's code for bad usage; bad input data is bad usage too
EXIT_FAILURE = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="restext",
        description="Deep residual convolutional text classifiers: train on labelled text, evaluate, export "
        "SavedModels that serve raw strings, and predict.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in (train, tune, evaluate, explain, predict, export, presets, prepare, audit):
        command.add_parser(subparsers)
    return parser


def _data_error_line(message: str) -> str | None:
    """The `DataError` line inside a TensorFlow error raised while `tf.data` read a file."""
    match = re.search(r"DataError: ([^\n]+)", message)
    return match.group(1).strip() if match else None


def _fail(message: str, code: int) -> int:
    print(f"restext: error: {' '.join(message.split())}", file=sys.stderr)
    return code


def _report(error, code: int, wording: Wording) -> int:
    """Prints `error` in the command line's words (its argument, if it names one, as a flag)."""
    return _fail(wording.in_flags(str(error), argument=getattr(error, "argument", None)), code)


def main(argv: list[str] | None = None) -> int:
    """Runs `restext` with `argv` (default: the process arguments) and returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    wording = Wording.of(parser)  # the library's argument names -> the flags of `parser`
    args.say = wording.say  # the library's progress lines, in flags
    import_tensorflow_quietly()  # before the first TensorFlow import, or its start-up lines bury ours
    import tensorflow as tf

    try:
        return args.run(args)
    except ValueError as error:  # a bad setting, and bad input data (`DataError`)
        return _report(error, EXIT_USAGE, wording)
    except tf.errors.OpError as error:
        line = _data_error_line(error.message)
        if line is None:
            raise
        return _report(line, EXIT_USAGE, wording)
    except FloatingPointError as error:
        return _report(error, EXIT_FAILURE, wording)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:  # `restext predict ... | head`
        return 0
    except OSError as error:  # a missing file, a read-only or full disk, a file where a folder should be, ...
        return _report(wording.naming_the_option(error, args), EXIT_USAGE, wording)


if __name__ == "__main__":
    sys.exit(main())
