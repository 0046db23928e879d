"""What the `frontdesk channel` commands share: adding a connection through the connections
service, and a connection as the CLI prints it (secrets redacted).

Each channel's `channel add KIND` (channels/<kind>/commands.py) builds a `NewConnection` from its
options and calls `add_connection`; the service checks it with the channel and stores it, as it
does for the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from core.cli import find_workspace, with_database

if TYPE_CHECKING:
    from core.channels import ConnectionCheck, NewConnection
    from core.db import Database
    from core.models import ChannelConnection


@dataclass(frozen=True)
class Added:
    connection: dict[str, Any]  # as `describe` prints it
    checked: NewConnection  # what was stored, with what the channel said in `found`
    public_url: str  # this server's public base URL, without a trailing slash


def describe(row: ChannelConnection) -> dict[str, Any]:
    from channels.connections import shown_config

    return {
        "id": row.id,
        "workspace_id": row.workspace_id,
        "kind": row.kind,
        "name": row.name,
        "account": row.account,
        "enabled": row.enabled,
        "config": shown_config(row),
    }


def add_connection(new: NewConnection, *, workspace_ref: str, check: ConnectionCheck | None = None) -> Added:
    """Check `new` with its channel (and `check`, a command's own, first), then store it in the
    workspace with this slug or id. What the person can fix is a ClickException."""
    from channels import connections
    from core.crypto import SecretBox

    async def go(settings: Any, db: Database) -> Added:
        try:  # before the transaction: the checks call out
            checked = await connections.checked(await check(new) if check is not None else new)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        async with db.session() as s:
            workspace = await find_workspace(s, workspace_ref)
            try:
                row = await connections.create(s, SecretBox(settings.key), workspace_id=workspace.id, new=checked)
            except connections.AccountTaken as exc:
                raise click.ClickException(f"{exc} (see `frontdesk channel list`)") from None
            except (connections.BadAssistant, ValueError) as exc:
                raise click.ClickException(str(exc)) from None
            data = describe(row)
        return Added(connection=data, checked=checked, public_url=settings.public_url.rstrip("/"))

    return with_database(go)
