"""What every domain's `frontdesk …` commands share: the settings, the database, the process's
running parts (for actions with the server's consequences), a workspace by slug or id, and JSON
output for scripts.

The CLI entry point (bot/cli.py) puts its settings loader on the root click context; commands here
take it from there, so a domain's commands import nothing from bot/. Heavy modules are imported
inside the functions: `frontdesk --help` must not pay for them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db import Database
    from core.models import Workspace

T = TypeVar("T")


def out(data: Any) -> None:
    """Print `data` as indented JSON (what every command's --json prints)."""
    click.echo(json.dumps(data, indent=2, default=str))


def settings() -> Any:
    """The loaded settings (bot.settings.Settings), through the loader bot/cli.py put on the root context."""
    ctx = click.get_current_context(silent=True)
    loader = ctx.find_root().obj if ctx is not None else None
    if not callable(loader):
        raise RuntimeError("frontdesk commands run under the `frontdesk` command group")
    return loader()


def with_database(fn: Callable[[Any, Database], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run `fn(settings, db)` against the configured database (migrating SQLite first); `fn` opens
    its own units of work, so it may call services that open theirs."""
    import asyncio

    from core.db import Database
    from core.migrate import upgrade

    loaded = settings()

    async def go() -> T:
        db = Database(loaded.db_url)
        try:
            if migrate and db.is_sqlite:
                await upgrade(db)
            return await fn(loaded, db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def with_db(fn: Callable[[Any, Database, AsyncSession], Awaitable[T]]) -> T:
    """Run `fn(settings, db, session)` in one unit of work, committed when it returns."""

    async def in_session(loaded: Any, db: Database) -> T:
        async with db.session() as s:
            return await fn(loaded, db, s)

    return with_database(in_session)


async def find_workspace(s: AsyncSession, ref: str) -> Workspace:
    """The workspace with this slug or id, or a ClickException naming the command that lists them."""
    from sqlalchemy import select

    from core.models import Workspace

    ws = (
        await s.execute(select(Workspace).where((Workspace.slug == ref) | (Workspace.id == ref)))
    ).scalar_one_or_none()
    if ws is None:
        raise click.ClickException(f"no workspace {ref!r} (see `frontdesk workspace list`)")
    return ws


def cli_path() -> str:
    """How to name `frontdesk` in a hint: its full path when run from a virtualenv's bin/."""
    exe = Path(sys.argv[0])
    return str(exe) if exe.name == "frontdesk" and exe.parent.name == "bin" else "frontdesk"


RUNTIME = "frontdesk.runtime"  # the root context's meta: how bot/cli.py builds one process's parts


def with_runtime(fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run `fn(runtime)` with one process's running parts (bot.runtime.Runtime, from the factory
    bot/cli.py leaves in the click context's meta), so a command's action has the same consequences
    as from the server (the owner's rules, Slack's staff jobs). SQLite is migrated first; nothing is
    started: what `fn` queues, the server's workers pick up."""
    import asyncio

    from core.migrate import upgrade

    ctx = click.get_current_context()
    build = ctx.meta.get(RUNTIME)
    if build is None:
        raise RuntimeError("frontdesk commands run under the `frontdesk` group (bot.cli.main)")
    runtime = build(settings())

    async def go() -> T:
        try:
            if runtime.db.is_sqlite:
                await upgrade(runtime.db)
            return await fn(runtime)
        finally:
            await runtime.close()

    return asyncio.run(go())
