"""The library's messages in the words of the `restext` command line.

The library names its arguments as Python spells them (`learning_rate`, `export=`,
on_bad_row='skip'); a `restext` user knows the flags (--learning-rate, --export, --on-bad-row skip).
`Wording` rewrites every library spelling of an argument that the command line has a flag for, by
rule rather than by phrase, so that a reworded or a new library message is translated too:

    `name`, `name=`                       --name-with-dashes
    `name='value'`, `name=value`          --name-with-dashes value
    name='value', name=value              the same, where `name=` follows a space or "(" (not a path,
                                          not a quoted value)
    name=True, name=False                 --switch, without --switch (flags that take no value)
    name=None                             no --name-with-dashes

The argument names are the dests of the parsers' options (`Wording.of(parser)`), so a new flag is
covered at once. An error that names its argument (`keras_restext.errors.ArgumentError.argument`)
has that argument translated first, wherever `name=` stands in the message; the other names are
found by scanning. `LIBRARY_NAMES` lists the arguments whose flag has another name.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace

# A library argument whose flag has another name -> the flag's dest. `header=False` is --no-header.
LIBRARY_NAMES = {"header": "no_header"}
INVERTED = {"header"}  # the flag sets the library argument to False

# Where the command line's sentence differs from the library's by more than the spelling of an
# argument: library phrase -> the same sentence in library spelling, which the rule then turns into
# flags. (A test checks that each phrase is still in the library's source.)
CLI_PHRASES = {"Pass `tpu=` or set TPU_NAME,": "Set `tpu=` or TPU_NAME,"}

# What follows `name=` outside backticks: a quoted value, None/True/False, or anything else (kept).
_VALUE = r"'[^'\n]*'|\"[^\"\n]*\"|None\b|True\b|False\b|"
_PATH_METAVARS = ("PATH", "DIR")


@dataclass(frozen=True)
class Flag:
    """The command line's option for one argument.

    Attributes:
        option: the option string, e.g. "--learning-rate".
        switch: the option takes no value (`store_true`): `name=True` is the option alone.
        inverted: the option sets the library argument to False (--no-header: `header=False`).
        path: the option's value is a file or folder (its metavar is PATH or DIR).
    """

    option: str
    switch: bool = False
    inverted: bool = False
    path: bool = False

    def given(self, value: str | None) -> str:
        """The option as a user types it for the library's `value` (its `repr`, or None: no value).

        Example:
        >>> Flag("--on-bad-row").given("'skip'"), Flag("--tpu").given("None")
        ('--on-bad-row skip', 'no --tpu')
        >>> Flag("--static-shapes", switch=True).given("True"), Flag("--no-header", True, True).given("True")
        ('--static-shapes', 'without --no-header')
        """
        if not value:
            return self.option
        if value == "None":
            return f"no {self.option}"
        if self.switch and value in ("True", "False"):
            return self.option if (value == "True") != self.inverted else f"without {self.option}"
        if value[0] in "'\"" and value[-1] == value[0] and len(value) > 1:
            value = shlex.quote(value[1:-1])  # 'skip' -> skip; 'my column' -> 'my column'
        return f"{self.option} {value}"


def option_flags(parser: argparse.ArgumentParser) -> dict[str, Flag]:
    """The flag of every option of `parser` and its subcommands, by dest, plus `LIBRARY_NAMES`.

    Example:
    >>> parser = argparse.ArgumentParser()
    >>> _ = parser.add_argument("--learning-rate", type=float)
    >>> option_flags(parser)["learning_rate"]
    Flag(option='--learning-rate', switch=False, inverted=False, path=False)
    """
    flags: dict[str, Flag] = {}
    for action in parser._actions:  # argparse keeps its options there (no public accessor)
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                for dest, flag in option_flags(subparser).items():
                    flags.setdefault(dest, flag)
        elif action.option_strings and not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            option = max(action.option_strings, key=len)
            flag = Flag(option, switch=action.nargs == 0, path=action.metavar in _PATH_METAVARS)
            flags.setdefault(action.dest, flag)
    for library, dest in LIBRARY_NAMES.items():
        if dest in flags:
            flags[library] = replace(flags[dest], inverted=library in INVERTED)
    return flags


def _names(names) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


class Wording:
    """The command line's words for the library's messages, from the flags of its parser.

    Args:
        flags: library argument name -> its `Flag` (`option_flags(parser)`).

    Example:
    >>> wording = Wording({"learning_rate": Flag("--learning-rate"), "on_bad_row": Flag("--on-bad-row")})
    >>> wording.in_flags("`learning_rate` must be a finite number > 0. Received: learning_rate=-1.0")
    '--learning-rate must be a finite number > 0. Received: --learning-rate -1.0'
    >>> wording.in_flags("expected 2 fields (or on_bad_row='skip')")
    'expected 2 fields (or --on-bad-row skip)'
    """

    def __init__(self, flags: Mapping[str, Flag]):
        self.flags = dict(flags)
        names = _names(self.flags)
        self._quoted = re.compile(rf"`({names})(?:=([^`\n]*))?`")
        # After the start, a space, "(" or "[": not inside a path, a word or a quoted value.
        self._bare = re.compile(rf"(?<![^\s(\[])({names})=({_VALUE})")

    @classmethod
    def of(cls, parser: argparse.ArgumentParser) -> Wording:
        """The wording of `parser`'s options (`restext`'s parser, subcommands included)."""
        return cls(option_flags(parser))

    def in_flags(self, message: str, argument: str | None = None) -> str:
        """`message` with every library spelling of an argument that has a flag written as the flag.

        Args:
            message: a message of the library (an error, a progress line).
            argument: the argument the error is about (`ArgumentError.argument`), if it says: its
                `name=` is translated wherever it stands.

        Returns:
            The message as `restext` prints it; unchanged when it names no argument with a flag.
        """
        for library, command_line in CLI_PHRASES.items():
            message = message.replace(library, command_line)
        message = self._quoted.sub(lambda m: self.flags[m.group(1)].given(m.group(2)), message)
        if argument in self.flags:  # named by the error itself: its `name=` after any character but a word's
            message = re.sub(rf"(?<![\w\-/.])({re.escape(argument)})=({_VALUE})", self._bare_flag, message)
        return self._bare.sub(self._bare_flag, message)

    def _bare_flag(self, match: re.Match) -> str:
        flag, value = self.flags[match.group(1)], match.group(2)
        if value:
            return flag.given(value)
        rest = match.string[match.end() : match.end() + 1]
        # `name=-1.0`: the value follows as it is; `format= one of ...`: the option alone.
        return flag.option if rest in ("", " ", "\n", ")", ",", ";", ".") else f"{flag.option} "

    def say(self, message: str) -> None:
        """Prints a progress line of the library in the command line's words (`train(log=say)`)."""
        print(self.in_flags(message), flush=True)

    def naming_the_option(self, error: OSError, args: argparse.Namespace) -> str:
        """The message of an `OSError` about a path, led by the option that gave the path (or the
        folder it is in) when the message does not name one: "--file: [Errno 2] No such file ...".

        Example:
        >>> wording = Wording({"output": Flag("--output", path=True)})
        >>> error = PermissionError(13, "Permission denied", "runs/a/backup/state.json")
        >>> wording.naming_the_option(error, argparse.Namespace(output="runs/a"))
        "--output: [Errno 13] Permission denied: 'runs/a/backup/state.json'"
        """
        message = str(error)
        path = error.filename if error.filename is not None else error.filename2
        if error.errno is None or path is None:
            return message
        target, option, longest = os.path.abspath(os.fsdecode(path)), None, -1
        for dest, value in vars(args).items():
            flag = self.flags.get(dest)
            if flag is None or not flag.path or not isinstance(value, str) or not value:
                continue
            given = os.path.abspath(value)
            if (target == given or target.startswith(given.rstrip(os.sep) + os.sep)) and len(given) > longest:
                option, longest = flag.option, len(given)
        return message if option is None or option in message else f"{option}: {message}"


__all__ = ["CLI_PHRASES", "LIBRARY_NAMES", "Flag", "Wording", "option_flags"]
