"""Every ``--help`` reads as prose: values named in words, no Python types, no markup."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
import typer
from rich.text import Text

from stoplist import __version__
from stoplist.cli import COMMANDS as COMMAND_TABLE
from stoplist.cli import app
from stoplist.cli.help import tidy
from tests.support import run_cli

_ROOT = tidy(typer.main.get_command(app))


def _paths(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _paths(sub, (*path, name))


def _help(path: tuple[str, ...]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        _ROOT.main(args=[*path, "--help"], prog_name="stoplist", standalone_mode=False)
    return out.getvalue()


COMMANDS = list(_paths(_ROOT))


def test_every_command_is_covered():
    assert ("remote", "add") in COMMANDS and ("backup",) in COMMANDS and len(COMMANDS) > 30


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "stoplist")
def test_help_names_values_in_words(path):
    text = _help(path)
    assert "Usage: stoplist" in text
    assert not re.search(r"<(bool|str|int|float|list\[str\]|Path)>", text), text
    assert "`" not in text, text
    assert not re.search(r"\{[a-z_]+\}", text), text  # usage says NUMBER, not {number}


def test_flags_take_no_value_and_arguments_are_in_capitals():
    text = _help(("remote", "add"))
    assert re.search(r"--json\s+Print JSON", text)
    assert "Usage: stoplist remote add [OPTIONS] NUMBER" in text
    assert re.search(r"--base-url\s+URL", text)
    assert "[NUMBERS]..." in _help(("remote", "filter"))


def _words(text: str) -> str:
    """The help as one line of words: without the panels' borders or Rich's line breaks."""
    return " ".join(text.replace("│", " ").split())


@pytest.mark.parametrize(
    "locale",
    [
        {"LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""},
        {"LANG": "fr_FR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""},
    ],
    ids=["en", "fr"],
)
def test_options_name_their_environment_variable_and_default(locale):
    """``[env: ...; default: ...]`` is printed as written, not read as a Rich style tag."""
    serve = _words(run_cli("serve", "--help", env=locale).stdout)
    assert "Interface to listen on [env: STOPLIST_HOST; default: 127.0.0.1]." in serve
    assert "TCP port [env: STOPLIST_PORT; default: 8080]." in serve
    assert "[env: STOPLIST_LOG_LEVEL; default: info]; debug also prints" in serve
    export = _words(run_cli("export", "--help", env=locale).stdout)
    assert "[env: STOPLIST_DATABASE_URL; default: stoplist.db in the working directory]." in export


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "stoplist")
def test_help_is_shown_as_written(path):
    """Every option's help shows whole; a command's own help holds nothing Rich would take."""
    text = _words(_help(path))
    command = _ROOT
    for name in path:
        command = command.commands[name]
    for param in command.params:
        if param.help:
            assert _words(Text.from_markup(param.help).plain) in text, param.name
        if param.name == "database":
            assert "[env: STOPLIST_DATABASE_URL; default: stoplist.db" in text
    assert Text.from_markup(command.help or "").plain == (command.help or ""), path


def test_version():
    result = run_cli("--version")
    assert result.stdout.strip() == f"stoplist {__version__}"


def test_the_command_list_shows_each_commands_own_help_line():
    """``stoplist --help`` lists the commands from ``COMMANDS``, without building them."""
    ctx = typer.Context(_ROOT)
    for lazy in COMMAND_TABLE:
        command = _ROOT.get_command(ctx, lazy.name)
        assert command is not None
        own = (command.help or "").split("\n\n")[0].replace("\n", " ").strip()
        assert lazy.short_help == own, lazy.name
    assert [lazy.name for lazy in COMMAND_TABLE] == _ROOT.list_commands(ctx)


_LOADED = """
import sys
from stoplist.cli import main
sys.argv = ["stoplist", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = ("sqlalchemy", "alembic", "psycopg", "uvicorn", "starlette", "httpx", "pydantic_settings")
print(" ".join(name for name in heavy if name in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "needed"),
    [
        (["--version"], set()),
        (["--help"], set()),
        (["remote", "check", "--help"], {"httpx"}),
    ],
)
def test_a_command_starts_without_what_it_does_not_use(args, needed):
    """Every process start pays for what it imports: ``--help`` opens no database."""
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, *args], capture_output=True, text=True, check=True
    )
    assert set(result.stderr.split()) == needed, result.stderr
