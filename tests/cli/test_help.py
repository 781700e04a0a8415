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
