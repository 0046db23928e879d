"""Admin commands: `workspace`, `channel`, `draft` and `demo`. Each has --json for scripts."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from core.assistants import APPROVAL_POLICIES
from core.cli import find_workspace, out, with_db
from core.crypto import SecretBox, redact
from core.db import Database
from core.models import Assistant, ChannelConnection, Workspace

# Fields stored encrypted, per channel kind (adapters add theirs in their issues).
CHANNEL_SECRETS: dict[str, frozenset[str]] = {
    "telegram": frozenset({"token", "webhook_secret"}),
    "whatsapp": frozenset({"auth_token"}),
    "sms": frozenset({"auth_token"}),
    "slack": frozenset({"bot_token", "signing_secret", "app_token"}),
    "web": frozenset(),
}


# --- workspace -------------------------------------------------------------------------------


@click.group()
def workspace() -> None:
    """Create and list workspaces (one per business)."""


@workspace.command("create")
@click.argument("name")
@click.option("--slug", help="URL name (default: from NAME).")
@click.option(
    "--policy",
    type=click.Choice(APPROVAL_POLICIES),
    default="approve_all",
    show_default=True,
    help="When drafts are sent without staff approval.",
)
@click.option("--json", "as_json", is_flag=True, help="Print ids, URLs and the token as JSON.")
def workspace_create(name: str, slug: str | None, policy: str, as_json: bool) -> None:
    """Create a workspace with a default assistant and an owner API token."""
    from core.workspaces import create_workspace

    async def go(settings: Settings, db: Database, s: AsyncSession) -> dict[str, Any]:
        new = await create_workspace(s, name=name, slug=slug, approval_policy=policy)
        return _describe(settings, new.workspace, new.assistant, new.token)

    data = with_db(go)
    if as_json:
        out(data)
        return
    click.echo(f"Created workspace {data['workspace']['name']} ({data['workspace']['slug']})")
    click.echo(f"  chat page:   {data['chat_url']}")
    click.echo(f"  owner token: {data['token']}   (shown once; keep it safe)")


def _describe(settings: Settings, ws: Workspace, assistant: Assistant, token: str | None) -> dict[str, Any]:
    base = settings.public_url.rstrip("/")
    return {
        "workspace": {"id": ws.id, "slug": ws.slug, "name": ws.name},
        "assistant": {"id": assistant.id, "slug": assistant.slug, "approval_policy": assistant.approval_policy},
        "chat_url": f"{base}/chat/{ws.slug}",
        "api_url": f"{base}/api/v1",
        "token": token,
    }


@workspace.command("list")
@click.option("--json", "as_json", is_flag=True)
def workspace_list(as_json: bool) -> None:
    """List workspaces."""

    async def go(_settings: Settings, _db: Database, s: AsyncSession) -> list[dict[str, Any]]:
        rows = (await s.execute(select(Workspace).order_by(Workspace.created_at))).scalars()
        return [{"id": w.id, "slug": w.slug, "name": w.name} for w in rows]

    rows = with_db(go)
    if as_json:
        out(rows)
        return
    for w in rows:
        click.echo(f"{w['slug']:<24} {w['name']:<32} {w['id']}")
    if not rows:
        click.echo("no workspaces yet: `frontdesk workspace create NAME` or `frontdesk demo`")


# --- channel ---------------------------------------------------------------------------------


@click.group()
def channel() -> None:
    """Connect channels (web, telegram, whatsapp, sms, slack) to a workspace."""


@channel.group("add")
def channel_add() -> None:
    """Add a channel connection. Secret values are stored encrypted."""


async def _default_assistant(s: AsyncSession, workspace_id: str) -> Assistant | None:
    query = select(Assistant).where(Assistant.workspace_id == workspace_id).order_by(Assistant.created_at).limit(1)
    return (await s.execute(query)).scalar_one_or_none()


async def add_connection(
    s: AsyncSession,
    settings: Settings,
    *,
    workspace_ref: str,
    kind: str,
    name: str,
    account: str,
    config: dict[str, Any],
) -> ChannelConnection:
    ws = await find_workspace(s, workspace_ref)
    if account:
        taken = select(ChannelConnection.id).where(ChannelConnection.kind == kind, ChannelConnection.account == account)
        if (await s.execute(taken)).first() is not None:
            raise click.ClickException(f"this {kind} account is already connected (see `frontdesk channel list`)")
    assistant = await _default_assistant(s, ws.id)
    row = ChannelConnection(
        workspace_id=ws.id,
        kind=kind,
        name=name or kind,
        account=account,
        assistant_id=assistant.id if assistant else None,
        config=SecretBox(settings.key).seal(config, CHANNEL_SECRETS[kind]),
    )
    s.add(row)
    await s.flush()
    return row


def _generic_add(kind: str) -> click.Command:
    """`channel add KIND` with raw config values, for channels whose adapter has no options yet."""

    @click.command(kind, help=f"Add a {kind} connection from raw --set KEY=VALUE config.")
    @click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
    @click.option("--name", default="", help="A label for staff.")
    @click.option("--account", default="", help="The receiving account (number, team id).")
    @click.option("--set", "values", multiple=True, metavar="KEY=VALUE", help="A config value; repeatable.")
    @click.option("--json", "as_json", is_flag=True)
    def add(workspace_ref: str, name: str, account: str, values: tuple[str, ...], as_json: bool) -> None:
        config: dict[str, Any] = {}
        for item in values:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
            config[key.strip()] = value

        async def go(settings: Settings, _db: Database, s: AsyncSession) -> dict[str, Any]:
            row = await add_connection(
                s, settings, workspace_ref=workspace_ref, kind=kind, name=name, account=account, config=config
            )
            return _connection(row)

        data = with_db(go)
        out(data) if as_json else click.echo(f"Added {kind} connection {data['id']}")

    return add


for _kind in ("web",):
    channel_add.add_command(_generic_add(_kind))


def _connection(row: ChannelConnection) -> dict[str, Any]:
    return {
        "id": row.id,
        "workspace_id": row.workspace_id,
        "kind": row.kind,
        "name": row.name,
        "account": row.account,
        "enabled": row.enabled,
        "config": redact(row.config, CHANNEL_SECRETS.get(row.kind, frozenset())),
    }


@channel.command("list")
@click.option("--workspace", "workspace_ref", help="Only this workspace.")
@click.option("--json", "as_json", is_flag=True)
def channel_list(workspace_ref: str | None, as_json: bool) -> None:
    """List channel connections (secrets are never shown)."""

    async def go(_settings: Settings, _db: Database, s: AsyncSession) -> list[dict[str, Any]]:
        query = select(ChannelConnection).order_by(ChannelConnection.created_at)
        if workspace_ref:
            query = query.where(ChannelConnection.workspace_id == (await find_workspace(s, workspace_ref)).id)
        return [_connection(r) for r in (await s.execute(query)).scalars()]

    rows = with_db(go)
    if as_json:
        out(rows)
        return
    for r in rows:
        click.echo(f"{r['id']}  {r['kind']:<9} {r['name']:<20} {r['account']}")


@channel.command("remove")
@click.argument("connection_id")
def channel_remove(connection_id: str) -> None:
    """Remove a channel connection."""

    async def go(_settings: Settings, _db: Database, s: AsyncSession) -> bool:
        row = await s.get(ChannelConnection, connection_id)
        if row is None:
            return False
        await s.delete(row)
        return True

    if not with_db(go):
        raise click.ClickException(f"no connection {connection_id}")
    click.echo(f"Removed {connection_id}")


@channel.group("webhook")
def channel_webhook() -> None:
    """Point a channel's webhook at this server, or remove it."""


COMMANDS: list[click.Command] = [workspace, channel]
