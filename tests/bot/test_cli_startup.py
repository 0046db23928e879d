"""`frontdesk` starts fast: the entry point imports no SDK, and a domain's command module only when
one of its commands runs. What is imported is read from sys.modules in a fresh interpreter; no
timings are asserted (docs/benchmarks.md has them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest

from bot.cli import COMMAND_MODULES, main
from bot.lazy_group import LazyGroup, read

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("openai", "numpy", "onnxruntime", "aiogram", "slack_sdk", "slack_bolt", "twilio", "fastapi")
OURS = ("core", "admin", "kb", "understanding", "rules", "staff", "channels", "bot")


def imported_by(*args: str) -> tuple[str, set[str]]:
    """Run `frontdesk ARGS` (or only import bot.cli, without ARGS) in a fresh interpreter: its
    output and every module it imported."""
    script = textwrap.dedent(f"""
        import json, sys
        from bot.cli import main
        args = {list(args)!r}
        if args:
            main(args, standalone_mode=False)
        sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)))
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FRONTDESK_DEV": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout, set(json.loads(done.stderr.rsplit("MODULES ", 1)[1]))


def test_importing_the_cli_imports_no_sdk() -> None:
    _, modules = imported_by()
    assert not {m.split(".")[0] for m in modules} & set(HEAVY)


def test_help_lists_every_command_and_imports_no_command_module() -> None:
    output, modules = imported_by("--help")
    assert not {m.split(".")[0] for m in modules} & {*HEAVY, "sqlalchemy"}
    assert not modules & set(COMMAND_MODULES)
    for name in ("workspace", "channel", "draft", "demo", "kb", "rules", "slack", "context", "migrate", "serve"):
        assert f"\n  {name} " in output


def test_a_command_imports_its_module_and_those_that_add_to_it_only() -> None:
    output, modules = imported_by("channel", "add", "--help")
    for kind in ("telegram", "whatsapp", "slack", "web"):  # the channels' modules add theirs
        assert f"\n  {kind} " in output
    _, modules = imported_by("rules", "--help")
    assert [m for m in COMMAND_MODULES if m in modules] == [m for m in COMMAND_MODULES if "rules" in m]
    assert not {m.split(".")[0] for m in modules} & set(HEAVY)


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_each_module_says_in_its_source_what_it_defines(module: str) -> None:
    """The listing read from the source is the commands' own (else the module is imported to list it)."""
    import importlib

    listed = read(module).listed
    assert listed is not None, f"{module}: its COMMANDS cannot be read from its source"
    real = getattr(importlib.import_module(module), "COMMANDS", [])
    assert [entry.name for entry in listed] == [command.name for command in real]
    for limit in (30, 45, 80, 200):
        shown = [entry.placeholder().get_short_help_str(limit) for entry in listed]
        assert shown == [command.get_short_help_str(limit) for command in real]


def test_the_listing_is_the_one_click_makes_of_the_imported_commands() -> None:
    import importlib

    own = {name: command for name, command in main.commands.items() if name in ("migrate", "serve", "worker")}
    lazy = LazyGroup("frontdesk", commands=dict(own), modules=COMMAND_MODULES)
    eager = click.Group("frontdesk", commands=dict(own))
    for module in COMMAND_MODULES:
        for command in getattr(importlib.import_module(module), "COMMANDS", []):
            eager.commands.setdefault(str(command.name), command)

    def listing(group: click.Group) -> str:
        formatter = click.HelpFormatter(width=100)
        group.format_commands(click.Context(group), formatter)
        return formatter.getvalue()

    assert listing(lazy) == listing(eager)
    assert lazy.list_commands(click.Context(lazy)) == sorted(eager.commands)
    assert not lazy.commands.keys() - own.keys()  # listing imported nothing
