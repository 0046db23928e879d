"""`frontdesk channel add|list|test|remove|webhook`: a workspace's channel connections, each with --json
for scripts. Secrets are stored encrypted and never printed.

`channel add KIND` and `channel webhook KIND` are each channel's own (channels/<kind>/commands.py,
gathered below); all of them go through the connections service (channels/connections.py), as
the API does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from channels.cli import describe
from channels.slack import commands as slack
from channels.telegram import commands as telegram
from channels.web import commands as web
from channels.whatsapp import commands as whatsapp
from core.cli import find_workspace, out, with_database, with_db

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db import Database


@click.group()
def channel() -> None:
    """Connect channels (telegram, whatsapp, sms, slack, web) to a workspace."""


@channel.group("add")
def channel_add() -> None:
    """Add a channel connection. Secret values are stored encrypted."""


@channel.group("webhook")
def channel_webhook() -> None:
    """Point a channel's webhook at this server, or remove it."""


for _module in (telegram, whatsapp, slack, web):
    for _command in getattr(_module, "ADD", ()):
        channel_add.add_command(_command)
    for _command in getattr(_module, "WEBHOOK", ()):
        channel_webhook.add_command(_command)


@channel.command("list")
@click.option("--workspace", "workspace_ref", help="Only this workspace.")
@click.option("--json", "as_json", is_flag=True)
def channel_list(workspace_ref: str | None, as_json: bool) -> None:
    """List channel connections (secrets are never shown)."""
    from channels import connections

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> list[dict[str, Any]]:
        workspace_id = (await find_workspace(s, workspace_ref)).id if workspace_ref else None
        return [describe(r) for r in await connections.list_all(s, workspace_id=workspace_id)]

    rows = with_db(go)
    if as_json:
        out(rows)
        return
    for r in rows:
        click.echo(f"{r['id']}  {r['kind']:<9} {r['name']:<20} {r['account']}")


@channel.command("test")
@click.argument("connection_id")
@click.option("--json", "as_json", is_flag=True)
def channel_test(connection_id: str, as_json: bool) -> None:
    """Check a connection's stored credentials with its provider (Telegram, Twilio, Slack) and say
    what is wrong; exits 1 when they do not work. The outcome joins its health on the channels page."""
    from channels import connections
    from core.crypto import SecretBox

    async def go(settings: Any, db: Database) -> connections.Tested | None:
        return await connections.test_stored(
            db, SecretBox(settings.key), workspace_id=None, connection_id=connection_id
        )

    result = with_database(go)
    if result is None:
        raise click.ClickException(f"no connection {connection_id} (see `frontdesk channel list`)")
    if as_json:
        out({"connection": connection_id, "ok": result.ok, "message": result.message, "found": result.found})
    else:
        click.echo(("Works: " if result.ok else "Does not work: ") + result.message)
    if not result.ok:
        raise SystemExit(1)


@channel.command("remove")
@click.argument("connection_id")
def channel_remove(connection_id: str) -> None:
    """Remove a channel connection."""
    from channels import connections

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> bool:
        row = await connections.get(s, workspace_id=None, connection_id=connection_id)
        if row is None:
            return False
        await connections.remove(s, connection=row)
        return True

    if not with_db(go):
        raise click.ClickException(f"no connection {connection_id}")
    click.echo(f"Removed {connection_id}")


COMMANDS: list[click.Command] = [channel]
