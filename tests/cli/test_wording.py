"""The CLI prints the library's messages with its flags: `learning_rate` → --learning-rate."""

import pytest

from keras_restext.cli import presets
from keras_restext.cli.main import main
from keras_restext.cli.wording import FLAG_WORDING, in_flags


@pytest.mark.parametrize("library, command_line", list(FLAG_WORDING.items()))
def test_each_library_phrase_becomes_the_flag(library, command_line):
    assert in_flags(f"Something failed. {library} More.") == f"Something failed. {command_line} More."


def test_other_messages_are_left_as_they_are():
    message = "`learning_rate` must be > 0. Received: learning_rate=-1"
    assert in_flags(message) == message


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
