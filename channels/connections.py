"""Channel connections: the one place they are checked, created, changed and removed; the API
(channels/api.py) and the `frontdesk channel` commands both call it.

Every function takes the workspace it acts in. The API passes the caller's; the CLI, run by the
server's operator, passes the workspace it was given or None for every workspace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import seal_config
from channels.kinds import KINDS, secret_fields
from core.channels import NewConnection
from core.crypto import REDACTED, SecretBox, redact
from core.db import Database
from core.messages import utcnow
from core.models import Assistant, ChannelConnection

log = logging.getLogger(__name__)
TEST_SECONDS = 20.0  # a Test waits this long for the provider at most (their clients time out at 15)
# Who answers a Test, as the person knows them.
PROVIDERS = {"telegram": "Telegram", "whatsapp": "Twilio", "sms": "Twilio", "slack": "Slack", "web": "Web chat"}


class BadAssistant(LookupError):
    pass


class AccountTaken(ValueError):
    pass


async def list_all(s: AsyncSession, *, workspace_id: str | None) -> Sequence[ChannelConnection]:
    query = select(ChannelConnection).order_by(ChannelConnection.created_at, ChannelConnection.id)
    if workspace_id is not None:
        query = query.where(ChannelConnection.workspace_id == workspace_id)
    return (await s.execute(query)).scalars().all()


async def get(s: AsyncSession, *, workspace_id: str | None, connection_id: str) -> ChannelConnection | None:
    query = select(ChannelConnection).where(ChannelConnection.id == connection_id)
    if workspace_id is not None:
        query = query.where(ChannelConnection.workspace_id == workspace_id)
    return (await s.execute(query)).scalar_one_or_none()


async def checked(new: NewConnection) -> NewConnection:
    """Ask the channel whether the new connection's credentials work, and fill in what it says (a
    Telegram bot's id and username). Call it before opening the transaction: it may call out.
    Raises ValueError with what to fix."""
    kind = KINDS.get(new.kind)
    if kind is None:
        raise ValueError(f"there is no channel kind {new.kind!r}")
    return await kind.check(new) if kind.check is not None else new


async def create(s: AsyncSession, box: SecretBox, *, workspace_id: str, new: NewConnection) -> ChannelConnection:
    """Store a new connection, its secrets sealed; it answers with the given assistant or else the
    workspace's first. Raises BadAssistant, AccountTaken, or ValueError for an unstorable config."""
    if new.kind not in KINDS:
        raise ValueError(f"there is no channel kind {new.kind!r}")
    await check_assistant(s, workspace_id, new.assistant_id)
    await _check_account(s, new.kind, new.account, None)
    row = ChannelConnection(
        workspace_id=workspace_id,
        kind=new.kind,
        name=new.name or new.kind,
        account=new.account,
        assistant_id=new.assistant_id or await _first_assistant(s, workspace_id),
        enabled=new.enabled,
        config=seal_config(box, new.config, old=None, secret_fields=secret_fields(new.kind)),
    )
    s.add(row)
    await s.flush()
    return row


async def update(
    s: AsyncSession, box: SecretBox, *, connection: ChannelConnection, changes: dict[str, Any]
) -> ChannelConnection:
    """Change a connection's fields; a new config replaces the old one, a redacted secret in it
    keeps the stored one. Raises BadAssistant, AccountTaken, or ValueError."""
    if "assistant_id" in changes:
        await check_assistant(s, connection.workspace_id, changes["assistant_id"])
    if changes.get("account"):
        await _check_account(s, connection.kind, changes["account"], connection.id)
    if "config" in changes:
        changes["config"] = seal_config(
            box, changes["config"], old=connection.config, secret_fields=secret_fields(connection.kind)
        )
    if "config" in changes:  # new credentials: the old error and test were about the old ones
        connection.last_error = connection.last_error_at = connection.tested_at = connection.test_problem = None
    for name, value in changes.items():
        setattr(connection, name, value)
    await s.flush()
    return connection


def with_config(box: SecretBox, connection: ChannelConnection, config: dict[str, Any]) -> NewConnection:
    """The connection as it would be with this config, in the clear, to test before it is stored (a
    secret sent redacted is the stored one). Raises ValueError for a redacted secret with none
    stored, or a stored config this server cannot open."""
    stored = box.open(connection.config or {})
    secrets = secret_fields(connection.kind)
    clear: dict[str, Any] = {}
    for key, value in config.items():
        if key in secrets and value == REDACTED:
            if not stored.get(key):
                raise ValueError(f"{key}: there is no stored secret to keep; send the value")
            value = stored[key]
        clear[key] = value
    return NewConnection(
        kind=connection.kind,
        name=connection.name,
        account=connection.account,
        config=clear,
        assistant_id=connection.assistant_id,
        enabled=connection.enabled,
    )


@dataclass(frozen=True)
class Tested:
    """What a credential test found: whether they work, and in plain words what the provider said
    (the bot's name) or what is wrong and how to fix it."""

    ok: bool
    message: str
    found: dict[str, Any] = field(default_factory=dict)
    checked: NewConnection | None = None  # when ok: the connection as the check filled it in, to store


async def tested(new: NewConnection, *, seconds: float = TEST_SECONDS) -> Tested:
    """Ask the provider whether these credentials work (the kind's check, or its Test's own) without
    storing anything. Never raises: a refusal, a provider out of reach or too slow is the answer.
    Call it outside a transaction: it calls out."""
    kind = KINDS.get(new.kind)
    if kind is None:
        return Tested(False, f"There is no channel kind {new.kind!r}.")
    provider = PROVIDERS.get(new.kind, new.kind)
    if kind.tester is None:
        return Tested(True, f"{provider} has no credentials to check.", checked=new)
    try:
        found = await asyncio.wait_for(kind.tester(new), seconds)
    except ValueError as exc:
        return Tested(False, _sentence(str(exc)))
    except TimeoutError:
        return Tested(False, f"{provider} did not answer within {seconds:g} seconds: try again, or check that "
                             "this server can reach it.")  # fmt: skip
    except Exception as exc:  # a client's own failure: said plainly, logged for whoever runs the server
        log.warning("credential test failed", extra={"kind": new.kind, "error": type(exc).__name__})
        return Tested(False, f"Could not check with {provider} ({type(exc).__name__}): try again later.")
    return Tested(True, _passed(provider, found), found.found, checked=found)


async def test_stored(db: Database, box: SecretBox, *, workspace_id: str | None, connection_id: str) -> Tested | None:
    """Test a stored connection's credentials, and keep the outcome as part of its health. None if
    there is no such connection (in this workspace)."""
    async with db.reader() as s:
        row = await get(s, workspace_id=workspace_id, connection_id=connection_id)
        if row is None:
            return None
        try:
            config = box.open(row.config)
        except ValueError as exc:
            return Tested(False, _sentence(str(exc)))
        new = NewConnection(kind=row.kind, name=row.name, account=row.account, config=config)
    result = await tested(new)
    async with db.session() as s:
        await s.execute(
            sql_update(ChannelConnection)
            .where(ChannelConnection.id == connection_id)
            .values(tested_at=utcnow(), test_problem=None if result.ok else result.message)
        )
    return result


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _passed(provider: str, checked: NewConnection) -> str:
    bot, team = checked.found.get("bot"), checked.found.get("team")
    if bot:
        return f"{provider} knows this bot: @{bot['username']} ({bot['name']})."
    if team:
        return f"{provider} accepts this bot token, for the team {team['name'] or team['id']}."
    return f"{provider} accepts these credentials."


async def remove(s: AsyncSession, *, connection: ChannelConnection) -> None:
    await s.delete(connection)
    await s.flush()


def shown_config(connection: ChannelConnection) -> dict[str, Any]:
    """The connection's config as faces show it: every secret redacted."""
    return redact(connection.config or {}, secret_fields(connection.kind))


async def _first_assistant(s: AsyncSession, workspace_id: str) -> str | None:
    query = (
        select(Assistant.id)
        .where(Assistant.workspace_id == workspace_id)
        .order_by(Assistant.created_at, Assistant.id)
        .limit(1)
    )
    return (await s.execute(query)).scalar_one_or_none()


async def check_assistant(s: AsyncSession, workspace_id: str, assistant_id: str | None) -> None:
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
