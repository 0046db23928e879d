"""Channel connections of one workspace: every function takes the workspace id and sees nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import seal_config
from admin.connections.schemas import ConnectionCreate
from bot.commands import CHANNEL_SECRETS
from core.crypto import SecretBox
from core.models import Assistant, ChannelConnection


class BadAssistant(LookupError):
    pass


class AccountTaken(ValueError):
    pass


async def list_all(s: AsyncSession, *, workspace_id: str) -> Sequence[ChannelConnection]:
    return (
        (
            await s.execute(
                select(ChannelConnection)
                .where(ChannelConnection.workspace_id == workspace_id)
                .order_by(ChannelConnection.created_at, ChannelConnection.id)
            )
        )
        .scalars()
        .all()
    )


async def get(s: AsyncSession, *, workspace_id: str, connection_id: str) -> ChannelConnection | None:
    return (
        await s.execute(
            select(ChannelConnection).where(
                ChannelConnection.id == connection_id, ChannelConnection.workspace_id == workspace_id
            )
        )
    ).scalar_one_or_none()


async def _check_assistant(s: AsyncSession, workspace_id: str, assistant_id: str | None) -> None:
    if assistant_id is None:
        return
    found = (
        await s.execute(
            select(Assistant.id).where(Assistant.id == assistant_id, Assistant.workspace_id == workspace_id)
        )
    ).first()
    if found is None:
        raise BadAssistant("assistant_id is not an assistant of this workspace")


async def _check_account(s: AsyncSession, kind: str, account: str, connection_id: str | None) -> None:
    """One receiving account belongs to one connection.

    The inbox deduplicates on channel + account + message id across all workspaces, so a second
    connection of the same account would have its traffic swallowed as duplicates of the first.
    """
    if not account:
        return
    query = select(ChannelConnection.id).where(ChannelConnection.kind == kind, ChannelConnection.account == account)
    if connection_id is not None:
        query = query.where(ChannelConnection.id != connection_id)
    if (await s.execute(query)).first() is not None:
        raise AccountTaken(f"this {kind} account is already connected")


async def checked_with_channel(data: ConnectionCreate) -> ConnectionCreate:
    """Ask the channel whether the credentials work, and fill in what it says (a Telegram bot's id
    and username). Raises ValueError with what to fix."""
    if data.kind in ("whatsapp", "sms"):
        return await _checked_twilio(data)
    if data.kind != "telegram":
        return data
    from channels.telegram.connect import ConnectError, verify_token

    token, api_base = data.config.get("token"), data.config.get("api_base")
    if not isinstance(token, str) or not token:
        raise ValueError("a Telegram connection needs config.token, the bot token from @BotFather")
    try:
        info = await verify_token(token, api_base if isinstance(api_base, str) and api_base else None)
    except ConnectError as exc:
        raise ValueError(str(exc)) from None
    mode = "webhook" if data.config.get("webhook_secret") else "polling"
    config = {"mode": mode, **data.config, "username": info.username}
    return data.model_copy(update={"account": info.id, "name": data.name or f"@{info.username}", "config": config})


async def _checked_twilio(data: ConnectionCreate) -> ConnectionCreate:
    from channels.whatsapp.connect import ConnectError, check_number, verify_account

    config = dict(data.config)
    missing = [k for k in ("account_sid", "auth_token", "from") if not config.get(k)]
    if missing:
        raise ValueError(f"a Twilio connection needs config {', '.join(missing)}")
    try:
        sender = check_number(str(config["from"]))
        if config.get("sms_from"):
            check_number(str(config["sms_from"]), whatsapp=False)
        await verify_account(config)
    except ConnectError as exc:
        raise ValueError(str(exc)) from None
    return data.model_copy(update={"account": data.account or sender, "name": data.name or sender})


async def create(s: AsyncSession, box: SecretBox, *, workspace_id: str, data: ConnectionCreate) -> ChannelConnection:
    await _check_assistant(s, workspace_id, data.assistant_id)
    await _check_account(s, data.kind, data.account, None)
    assistant_id = (
        data.assistant_id
        or (
            await s.execute(
                select(Assistant.id)
                .where(Assistant.workspace_id == workspace_id)
                .order_by(Assistant.created_at, Assistant.id)
                .limit(1)
            )
        ).scalar_one_or_none()
    )
    row = ChannelConnection(
        workspace_id=workspace_id,
        kind=data.kind,
        name=data.name or data.kind,
        account=data.account,
        assistant_id=assistant_id,
        enabled=data.enabled,
        config=seal_config(box, data.config, old=None, secret_fields=CHANNEL_SECRETS[data.kind]),
    )
    s.add(row)
    await s.flush()
    return row


async def update(
    s: AsyncSession, box: SecretBox, *, connection: ChannelConnection, changes: dict[str, Any]
) -> ChannelConnection:
    if "assistant_id" in changes:
        await _check_assistant(s, connection.workspace_id, changes["assistant_id"])
    if changes.get("account"):
        await _check_account(s, connection.kind, changes["account"], connection.id)
    if "config" in changes:
        changes["config"] = seal_config(
            box,
            changes["config"],
            old=connection.config,
            secret_fields=CHANNEL_SECRETS.get(connection.kind, frozenset()),
        )
    for field, value in changes.items():
        setattr(connection, field, value)
    await s.flush()
    return connection
