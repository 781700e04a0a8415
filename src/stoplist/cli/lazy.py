"""Commands whose modules are imported when they run, not when ``stoplist`` starts.

Typer builds every command from its function's signature, so a command
registered the usual way costs the import of its module, and of all that
module imports (SQLAlchemy, the server, the HTTP client...), on every run of
every command. ``LazyGroup`` holds each command as a name, where to find
it, and its one-line help: running a command imports its module only;
``stoplist --help`` lists them all from those lines and imports none.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import typer
import typer.core
from typer import _click

from stoplist.cli.help import tidy


@dataclass(frozen=True)
class LazyCommand:
    """A command of the root group: its name, ``module:attribute`` and help line.

    The attribute is a ``typer.Typer`` (a group of commands) or a command function.
    """

    name: str
    target: str
    short_help: str

    def load(self) -> _click.Command:
        """The command as Typer builds it when it is registered on the root app."""
        module, attribute = self.target.split(":")
        found = getattr(importlib.import_module(module), attribute)
        parent = typer.Typer(add_completion=False)
        parent.callback()(_nothing)  # a group, so its one command is built as a subcommand
        if isinstance(found, typer.Typer):
            parent.add_typer(found, name=self.name)
        else:
            parent.command(self.name)(found)
        group = typer.main.get_command(parent)
        assert isinstance(group, typer.core.TyperGroup)
        return group.commands[self.name]


def _nothing() -> None:
    """The callback of the throwaway parent ``LazyCommand.load`` builds a command in."""


class _Commands(MutableMapping[str, _click.Command]):
    """The root group's commands by name, each loaded (and tidied) on first use."""

    def __init__(
        self, lazy: Sequence[LazyCommand], prepare: Callable[[_click.Command], _click.Command]
    ) -> None:
        self._lazy = {command.name: command for command in lazy}
        self._loaded: dict[str, _click.Command] = {}
        self._prepare = prepare

    def __getitem__(self, name: str) -> _click.Command:
        if name not in self._loaded:
            if name not in self._lazy:
                raise KeyError(name)
            self._loaded[name] = self._prepare(self._lazy[name].load())
        return self._loaded[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._lazy.pop(name, None)
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._lazy
        yield from (name for name in self._loaded if name not in self._lazy)

    def __len__(self) -> int:
        return len(set(self._lazy) | set(self._loaded))

    def loaded(self) -> list[_click.Command]:
        """The commands built so far (``help.tidy`` tidies only those; the rest on loading)."""
        return list(self._loaded.values())

    def placeholder(self, name: str) -> _click.Command | None:
        """A stand-in holding only the help line, for listing ``name`` without loading it."""
        if name in self._loaded or name not in self._lazy:
            return self._loaded.get(name)
        return typer.core.TyperCommand(name=name, help=self._lazy[name].short_help)


class LazyGroup(typer.core.TyperGroup):
    """The root ``stoplist`` group; ``LazyGroup.of(COMMANDS)`` is the class Typer builds it with."""

    lazy: Sequence[LazyCommand] = ()

    @classmethod
    def of(cls, commands: Sequence[LazyCommand]) -> type[LazyGroup]:
        return type(cls.__name__, (cls,), {"lazy": tuple(commands)})

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        commands = _Commands(self.lazy, tidy)
        for name, command in self.commands.items():
            commands[name] = command
        self.commands = commands
        self._listing = False

    def invoke(self, ctx: _click.Context) -> Any:
        """Run the command; a database that fails under it ends it in one line."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # No database error without SQLAlchemy loaded: ``--help`` and the like end
            # without importing it (and psycopg) to tell.
            if "sqlalchemy" in sys.modules:
                from stoplist.cli.options import end_if_database_failed

                end_if_database_failed(exc)
            raise

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(self.commands)  # the names, without building the commands

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        commands = self.commands
        if self._listing and isinstance(commands, _Commands):
            return commands.placeholder(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """List the commands from their help lines, importing none of them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
