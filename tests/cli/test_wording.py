"""The CLI prints the library's messages with its flags: `learning_rate` → --learning-rate."""

import argparse
import errno
from pathlib import Path

import pytest

from keras_restext.cli import presets, train
from keras_restext.cli.main import build_parser, main
from keras_restext.cli.wording import CLI_PHRASES, Flag, Wording, option_flags

REPO = Path(__file__).resolve().parents[2]
WORDING = Wording.of(build_parser())

# The phrases the CLI has always printed for these library phrases: the rule must keep them.
PHRASES = {
    "Try a lower `learning_rate`.": "Try a lower --learning-rate.",
    "Pass another `output`,": "Pass another --output,",
    "(pass `export=` to write a SavedModel)": "(pass --export to write a SavedModel)",
    "Pass `tpu=` or set TPU_NAME,": "Set --tpu or TPU_NAME,",
    "(or on_bad_row='skip')": "(or --on-bad-row skip)",
    "`on_bad_row='skip'` is for one task;": "--on-bad-row skip is for one task;",
    "`label_names` renames one task's labels;": "--label-names renames one task's labels;",
}


@pytest.mark.parametrize("library, command_line", list(PHRASES.items()))
def test_each_library_phrase_becomes_the_flag(library, command_line):
    assert WORDING.in_flags(f"Something failed. {library} More.") == f"Something failed. {command_line} More."


@pytest.mark.parametrize(
    "library, command_line",
    [
        ("`learning_rate` must be > 0. Received: learning_rate=-1",
         "--learning-rate must be > 0. Received: --learning-rate -1"),
        ("Received: header=False for format='jsonl'", "Received: --no-header for --format jsonl"),
        ("or header=True if the first line is a header", "or without --no-header if the first line is a header"),
        ("a.csv:1: label_column='my label' names a column", "a.csv:1: --label-column 'my label' names a column"),
        ("`strategy='tpu'` found no TPU (tpu=None).", "--strategy tpu found no TPU (no --tpu)."),
        ("`static_shapes=True` and `bucket=True`", "--static-shapes and `bucket=True`"),
        ("or format= one of ('csv', 'tsv')", "or --format one of ('csv', 'tsv')"),
    ],
)  # fmt: skip
def test_every_spelling_of_an_argument_becomes_its_flag(library, command_line):
    assert WORDING.in_flags(library) == command_line


@pytest.mark.parametrize(
    "message",
    [
        "`alphabet` must be 'vdcnn' or a string of characters. Received: alphabet='x'",  # no flag sets it
        "runs/seed=3/model.keras: no such file",  # a path
        "row has 3 field(s) (['a', 'seed=3', 'b'])",  # a quoted value
        "give --train (one task), or --task NAME=TRAIN for each task",  # already in flags
    ],
)
def test_other_words_are_left_as_they_are(message):
    assert WORDING.in_flags(message) == message


def test_the_argument_an_error_names_is_translated_wherever_it_stands():
    assert WORDING.in_flags("x:seed=None") == "x:seed=None"  # after ":": not a place the scan looks
    assert WORDING.in_flags("x:seed=None", argument="seed") == "x:no --seed"


def test_the_flags_come_from_the_parsers():
    flags = option_flags(build_parser())
    assert flags["learning_rate"] == Flag("--learning-rate")
    assert flags["static_shapes"] == Flag("--static-shapes", switch=True)
    assert flags["header"] == Flag("--no-header", switch=True, inverted=True)  # LIBRARY_NAMES
    assert flags["output"].path and flags["file"].path and not flags["preset"].path
    assert "help" not in flags and "version" not in flags and "texts" not in flags  # no flag sets a positional


def test_a_dest_has_one_flag_in_every_subcommand():
    parser = build_parser()
    subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    options: dict[str, set] = {}
    for subparser in subcommands.values():
        for action in subparser._actions:
            if action.option_strings and not isinstance(action, argparse._HelpAction):
                options.setdefault(action.dest, set()).add(max(action.option_strings, key=len))
    assert {dest: flags for dest, flags in options.items() if len(flags) > 1} == {}


@pytest.mark.parametrize("library", list(CLI_PHRASES))
def test_each_cli_phrase_is_still_the_library_s(library):
    sources = "".join(path.read_text() for path in (REPO / "keras_restext").rglob("*.py") if "cli" not in path.parts)
    assert library in sources, f"the library no longer says {library!r}: drop it from CLI_PHRASES"


@pytest.mark.parametrize(
    "error, code",
    [
        (FloatingPointError("Training diverged (the loss became NaN); see runs/x. Try a lower `learning_rate`."), 1),
        (ValueError("The output folder 'runs/x' holds the backup of a different run. Pass another `output`, or "
                    "delete it."), 2),  # fmt: skip
    ],
)
def test_errors_raised_by_a_command_are_printed_in_flags(error, code, monkeypatch, capsys):
    def run(args):
        raise error

    monkeypatch.setattr(presets, "run", run)
    assert main(["presets"]) == code
    err = capsys.readouterr().err
    assert err.startswith("restext: error: ") and "`" not in err
    assert "--learning-rate" in err or "--output" in err


def test_an_os_error_about_a_path_names_the_option_that_gave_it(monkeypatch, capsys, tmp_path):
    state = tmp_path / "run" / "backup" / "state.json"

    def run(args):
        raise PermissionError(errno.EACCES, "Permission denied", str(state))

    monkeypatch.setattr(train, "run", run)
    assert main(["train", "--train", "x.tsv", "--output", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == f"restext: error: --output: [Errno 13] Permission denied: '{state}'\n"

    def run_elsewhere(args):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/etc/x")

    monkeypatch.setattr(train, "run", run_elsewhere)  # a path that no option gave: printed as it is
    assert main(["train", "--train", "x.tsv"]) == 2
    assert capsys.readouterr().err == "restext: error: [Errno 2] No such file or directory: '/etc/x'\n"
