"""The `frontdesk` group's domain commands, imported only when one of them runs.

A command module (a module with `COMMANDS`, a list of click commands) is read, not imported, to
list its commands: their names and help come from its source. `frontdesk --help` therefore
imports none of them, and `frontdesk draft list` imports the module that defines `draft` and the
command modules that import it at their top (they may add subcommands to its groups, as the
channels' modules add `channel add <kind>`). A module whose source does not say plainly what it
defines (COMMANDS built in code, a decorator argument that is not a literal) is imported to list
it: slower, never wrong.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import click

_DECORATORS = {"command", "group"}
_LITERAL_ARGS = {"name", "help", "short_help"}


@dataclass(frozen=True)
class Listed:
    """A command as its module's source declares it: enough for `frontdesk --help`."""

    name: str
    help: str | None
    short_help: str | None

    def placeholder(self) -> click.Command:
        return click.Command(self.name, help=self.help, short_help=self.short_help)


@dataclass(frozen=True)
class CommandModule:
    module: str
    listed: tuple[Listed, ...] | None  # None: the source does not say plainly; import it to know
    imports: frozenset[str]  # the modules it imports at its top


def _literal(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise ValueError("not a literal")


def _declared(fn: ast.FunctionDef) -> Listed:
    """The command that `@click.command(...)`/`@….group(...)` makes of `fn`, as click names it."""
    for decorator in fn.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call else decorator
        if not (isinstance(target, ast.Attribute) and target.attr in _DECORATORS):
            continue
        args = {k.arg: k.value for k in (call.keywords if call else [])}
        if set(args) - _LITERAL_ARGS or (call and len(call.args) > 1):
            raise ValueError("arguments other than name and help")
        name = _literal(call.args[0]) if call and call.args else None
        name = _literal(args["name"]) if "name" in args else name
        if name is None:
            name = fn.name.lower().replace("_", "-")
            left, sep, suffix = name.rpartition("-")
            name = left if sep and suffix in {"command", "cmd", "group", "grp"} else name
        text = _literal(args["help"]) if "help" in args else ast.get_docstring(fn, clean=False)
        short = _literal(args["short_help"]) if "short_help" in args else None
        return Listed(name, text, short)
    raise ValueError(f"{fn.name} is not a click command")


def _commands_listed(tree: ast.Module) -> tuple[Listed, ...]:
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for node in tree.body:
        target: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            target = node.target
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "COMMANDS":
            value = getattr(node, "value", None)
            if not isinstance(value, ast.List | ast.Tuple):
                raise ValueError("COMMANDS is not a list")
            names = [e.id if isinstance(e, ast.Name) else "" for e in value.elts]
            return tuple(_declared(functions[name]) for name in names)  # KeyError: not defined here
    return ()


def read(module: str) -> CommandModule:
    """What a command module's source declares, without importing it (its package is imported)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise click.ClickException(f"no command module {module}")
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read(), spec.origin)
    imports = {alias.name for n in tree.body if isinstance(n, ast.Import) for alias in n.names}
    imports |= {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.module and not n.level}
    try:
        listed: tuple[Listed, ...] | None = _commands_listed(tree)
    except (ValueError, KeyError):
        listed = None
    return CommandModule(module, listed, frozenset(imports))


class LazyGroup(click.Group):
    """A click group that lists the command modules' commands from their source and imports a
    module only when one of its commands runs (or cannot be listed otherwise)."""

    def __init__(self, *args: Any, modules: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.modules = tuple(modules)
        self._loaded: set[str] = set()

    @cached_property
    def sources(self) -> dict[str, CommandModule]:
        return {module: read(module) for module in self.modules}

    @cached_property
    def listed(self) -> dict[str, tuple[str, Listed]]:
        """Each command's name → its module and what the source says (the first module wins)."""
        found: dict[str, tuple[str, Listed]] = {}
        for module, source in self.sources.items():
            if source.listed is None:
                self._load(module)  # its commands are now in self.commands
                continue
            for listed in source.listed:
                found.setdefault(listed.name, (module, listed))
        return found

    def _load(self, module: str) -> None:
        """Import `module` and every command module that imports it at its top, and add their commands."""
        todo = [module]
        while todo:
            name = todo.pop()
            if name in self._loaded:
                continue
            self._loaded.add(name)
            for command in getattr(importlib.import_module(name), "COMMANDS", ()):
                if command.name not in self.commands:
                    self.add_command(command)
            todo += [m for m, source in self.sources.items() if name in source.imports]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.listed, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.listed:
            self._load(self.listed[cmd_name][0])
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's listing of the commands, from what their source says: nothing is imported."""
        shown = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or self.listed[name][1].placeholder()
            if not command.hidden:
                shown.append((name, command))
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in shown])
