"""How ``--help`` names what each option and argument takes: in words.

Typer shows Python types (``<bool>`` after a flag, ``<str>`` after a file
name); people read ``--json``, ``--port N``, ``--database URL`` and
``NUMBER`` better. This walks the built command tree once and sets those
names wherever a command did not choose its own. Parameters are recognised
by what they say they are (Typer ships its own copy of Click's classes).

Help texts are plain words too. Typer reads them as Rich markup, where
``[env: STOPLIST_HOST; default: 127.0.0.1]`` is a style tag: it would
vanish from ``--help``. So the help of every option and argument is escaped
here, where the command draws its help with Rich (not when Rich is turned
off, ``TYPER_USE_RICH=0``: that help is printed as written).
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape


def tidy(command: Any) -> Any:
    """Give every parameter of ``command`` and its subcommands a plain-word name."""
    markup = getattr(command, "rich_markup_mode", None) == "rich"
    for param in command.params:
        if param.param_type_name == "option":
            _tidy_option(param)
        elif param.param_type_name == "argument":
            _tidy_argument(param)
        if markup:
            _as_written(param)
    _tidy_help_option(command)
    commands = getattr(command, "commands", {})
    # The root group builds its commands when they are first used, and tidies them then.
    for sub in commands.loaded() if hasattr(commands, "loaded") else commands.values():
        tidy(sub)
    return command


def _tidy_help_option(command: Any) -> None:
    """``--help`` is made when help is asked for, so it is tidied then."""
    make = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            _tidy_option(option)
        return option

    command.get_help_option = get_help_option


def _as_written(param: Any) -> None:
    """Have Rich show ``param``'s help as written: brackets and all, no styles."""
    if param.help and not getattr(param, "_help_escaped", False):
        param.help = escape(param.help)
        param._help_escaped = True


def _tidy_option(option: Any) -> None:
    if option.is_flag or option.count:
        option.metavar = ""  # a flag takes no value: nothing to name
    elif option.metavar is None:
        option.metavar = _words(option)


def _tidy_argument(argument: Any) -> None:
    if argument.metavar is None:
        argument.metavar = (argument.name or "value").upper()
    # The name says what it is; a type column would only repeat "<str>".
    argument.display_type_rich = _no_type
    # Usage lines as everywhere else: NUMBER, [NUMBERS]..., not {NUMBER}.
    usage = argument.metavar if argument.required else f"[{argument.metavar}]"
    if argument.nargs != 1:
        usage += "..."
    argument._usage_display_name = lambda: usage


def _no_type(ctx: Any = None) -> None:
    return None


def _words(option: Any) -> str:
    described = option.type_descriptor
    if described.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in described.choices or ())
    if described.is_path:
        return "PATH"
    if described.annotation in (int, float):
        return "N"
    return (option.name or "value").upper()
