"""The library's messages in the words of the `restext` command line.

The library names its arguments (`learning_rate`, `export=`); a `restext` user knows the flags
(`--learning-rate`, `--export`). Each entry turns one exact library phrase into the words `restext`
has always printed, so its messages stay as they were while the library speaks in arguments.
"""

from __future__ import annotations

# library phrase -> the command line's phrase
FLAG_WORDING = {
    "Try a lower `learning_rate`.": "Try a lower --learning-rate.",
    "Pass another `output`,": "Pass another --output,",
    "(pass `export=` to write a SavedModel)": "(pass --export to write a SavedModel)",
    "Pass `tpu=` or set TPU_NAME,": "Set --tpu or TPU_NAME,",
    "(or on_bad_row='skip')": "(or --on-bad-row skip)",
    "`on_bad_row='skip'` is for one task;": "--on-bad-row skip is for one task;",
    "`label_names` renames one task's labels;": "--label-names renames one task's labels;",
}


def in_flags(message: str) -> str:
    """Rewrites the library phrases of `message` that name arguments with the flags that set them.

    Args:
        message: a message of the library (an error, a progress line).

    Returns:
        The message as `restext` prints it; unchanged when it holds none of the phrases.

    Example:
    >>> in_flags("Training diverged (the loss became NaN); see runs/mr. Try a lower `learning_rate`.")
    'Training diverged (the loss became NaN); see runs/mr. Try a lower --learning-rate.'
    """
    for library, command_line in FLAG_WORDING.items():
        message = message.replace(library, command_line)
    return message


def say(message: str) -> None:
    """Prints a progress line of the library in the command line's words (`train(log=say)`)."""
    print(in_flags(message), flush=True)
