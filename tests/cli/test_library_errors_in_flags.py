"""Every library error that names an argument reaches the command line in flags.

The argument names come from the library itself (every `require`/`check_*` call and every
`ArgumentError(..., argument=...)` in keras_restext/) and from the parsers (every option's dest); the
messages are the library's own (every string raised or logged in keras_restext/). None of them may
reach a `restext` user with a library spelling (`name`, `name=`, name='value') of an argument that a
flag sets.
"""

import ast
import re
from pathlib import Path

import pytest

from keras_restext.checks import require
from keras_restext.cli import presets
from keras_restext.cli.main import build_parser, main
from keras_restext.cli.wording import Wording, option_flags
from tests.training.helpers import write_tsv

PACKAGE = Path(__file__).resolve().parents[2] / "keras_restext"
FLAGS = option_flags(build_parser())
CHECKS = {"require": 1, "check_int": 0, "check_positive_int": 0, "check_choice": 0}  # -> the name's position
# Calls whose strings are messages that can reach the command line.
MESSAGE_CALLS = {"DataError", "ArgumentError", "ExportError", "_damaged", "say", "log"}


def _library_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "cli" not in path.relative_to(PACKAGE).parts:
            yield path, ast.parse(path.read_text())


def _called(node: ast.Call) -> str | None:
    return getattr(node.func, "id", None) or getattr(node.func, "attr", None)


def _loop_values(tree) -> dict[int, list[str]]:
    """For each name node bound by `for name in ("a", "b")`, inside that loop: the strings it takes."""
    values = {}
    for loop in ast.walk(tree):
        if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and isinstance(loop.iter, ast.Tuple):
            strings = [e.value for e in loop.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            for node in ast.walk(loop):
                if isinstance(node, ast.Name) and node.id == loop.target.id and node is not loop.target:
                    values[id(node)] = strings
    return values


def _checked_arguments() -> set[str]:
    """The argument names of every `require`/`check_*` call and `ArgumentError` of the library."""
    names = set()
    for _, tree in _library_modules():
        loops = _loop_values(tree)  # `for key in ("epochs", "batch_size"): check_positive_int(key, ...)`
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            position = CHECKS.get(_called(node))
            candidates = [node.args[position]] if position is not None and len(node.args) > position else []
            if _called(node) == "ArgumentError":
                candidates += [k.value for k in node.keywords if k.arg == "argument"]
            for candidate in candidates:
                if isinstance(candidate, ast.Constant) and isinstance(candidate.value, str):
                    names.add(candidate.value)
                names.update(loops.get(id(candidate), ()))
    return names


CHECKED = _checked_arguments()


def _spelled(names) -> re.Pattern:
    """A library spelling of one of `names`: in backticks, or `name=` outside a word, path or quote."""
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.compile(rf"`({alternatives})(=[^`]*)?`|(?<![\w\-/.'\"])({alternatives})=")


def _text(node) -> str | None:
    """A string literal as a message shows it; an f-string's fields as a received value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.Constant) else ("'x'" if v.conversion == ord("r") else "x")
                 for v in node.values]  # fmt: skip
        return "".join(parts)
    return None


def _strings(node):
    """The string literals under `node`, an f-string whole (not its pieces)."""
    if (text := _text(node)) is not None:
        yield text
        return
    for child in ast.iter_child_nodes(node):
        yield from _strings(child)


def _library_messages() -> list[tuple[str, str]]:
    """(place, message) for each string that the library raises or passes to a message call."""
    messages = []
    for path, tree in _library_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) or (isinstance(node, ast.Call) and _called(node) in MESSAGE_CALLS):
                place = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                messages += [(place, text) for text in _strings(node)]
    return sorted(set(messages))


def test_the_library_s_argument_names_are_found():
    assert {"learning_rate", "batch_size", "epochs", "steps_per_execution", "deep_loss_weight"} <= CHECKED
    assert {"train", "output", "tpu", "strategy", "on_bad_row", "label_names", "header"} <= CHECKED


@pytest.mark.parametrize("name", sorted(CHECKED | set(FLAGS)))
def test_an_argument_error_reaches_the_command_line_as_its_flag(name, monkeypatch, capsys):
    def run(args):
        require(False, name, "nope", "something else")  # the library's own wording and `argument`

    monkeypatch.setattr(presets, "run", run)
    assert main(["presets"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("restext: error: ")
    if name in FLAGS:
        assert not _spelled([name]).search(err), err
        option = FLAGS[name].option
        assert err == f"restext: error: {option} must be something else. Received: {option} nope\n"
    else:  # no flag sets it: the library's words stay
        assert err == f"restext: error: `{name}` must be something else. Received: {name}='nope'\n"


def test_no_library_message_reaches_the_command_line_with_a_library_spelling():
    wording, spelled = Wording(FLAGS), _spelled(FLAGS)
    messages = _library_messages()
    assert len(messages) > 100, "the library's messages were not found"
    left = [f"{place}: {wording.in_flags(text)}" for place, text in messages if spelled.search(wording.in_flags(text))]
    assert left == []


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_tsv(tmp_path / "train.tsv", 40)
    (tmp_path / "train.jsonl").write_text('{"text": "a fine film", "label": "pos"}\n{"text": "dull", "label": "neg"}\n')
    (tmp_path / "a_file").write_text("not a folder\n")
    return tmp_path


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--train", "train.jsonl", "--no-header"],
         "--no-header applies to csv and tsv files only. Received: --no-header for --format jsonl"),
        (["--train", "train.tsv", "--no-header", "--label-column", "label"],
         ("train.tsv:1: --label-column label names a column, but the file has no header; expected 0-based column "
          "indices, or without --no-header if the first line is a header")),
    ],
)  # fmt: skip
def test_restext_train_names_the_flags(folder, argv, expected, capsys):
    assert main(["train", *argv, "--preset", "restext_small", "--epochs", "1", "--verbose", "0"]) == 2
    assert capsys.readouterr().err == f"restext: error: {expected}\n"


def test_an_output_folder_that_cannot_be_made_is_named_by_its_flag_before_training(folder, capsys):
    argv = ["--train", "train.tsv", "--output", "a_file/run", "--preset", "restext_small", "--epochs", "1"]
    assert main(["train", *argv, "--verbose", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("restext: error: --output cannot be written: ") and err.count("\n") == 1
    assert err.endswith("a_file is a file, so no folder can be made inside it. Received: --output a_file/run\n")
