"""Resolve: find or create the contact, their channel identity and the conversation, and store the
inbound message. Keyed by the inbox row, so a retried turn finds what it wrote the first time."""

from __future__ import annotations

import logging
import uuid
from typing import Any, TypeVar

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import ConfigCache
from core.db import Database
from core.messages import MessageKind
from core.models import (
    Assistant,
    ChannelConnection,
    Contact,
    ContactIdentity,
    Conversation,
    Draft,
    Message,
    Workspace,
)
from core.pipeline.turn import Turn
from core.wakeup import Wakeup

log = logging.getLogger(__name__)
T = TypeVar("T")


class Resolve:
    def __init__(self, db: Database, wakeup: Wakeup | None = None, cache: ConfigCache | None = None) -> None:
        self.db = db
        self.wakeup = wakeup  # tells the inbox's watchers a customer wrote
        # This process's copies of each workspace's configuration; later stages reach it as turn.config.
        self.cache = cache or ConfigCache()

    async def __call__(self, turn: Turn) -> None:
        if turn.dry_run:
            await self._imagine(turn)
            return
        msg = turn.message
        async with self.db.session() as s:
            found = (await s.execute(self._known(turn))).one_or_none()
            if found is None:
                log.warning("message for an unknown workspace dropped", extra={"inbox_id": turn.inbox_id})
                turn.decision, turn.finished = "dropped", True
                return
            version, conversation, contact, row, draft_id, decision = found
            turn.config = config = self.cache.snapshot(msg.workspace_id, version)
            workspace = await config.get("workspace", lambda: _detached(s, Workspace, msg.workspace_id))
            contact = await self._contact(s, turn, contact)
            contact.last_inbound_at = max(filter(None, (contact.last_inbound_at, msg.received_at)))
            contact.unreachable_at = None  # they wrote to us, so they can be written to again
            if msg.kind is MessageKind.opt_out:
                contact.opted_out_at = msg.received_at
            elif msg.kind is MessageKind.opt_in:
                contact.opted_out_at = None
            assistant = await self._assistant(s, turn, conversation)
            if conversation is None:
                conversation = Conversation(
                    workspace_id=workspace.id,
                    contact_id=contact.id,
                    channel=msg.channel.value,
                    account=msg.account,
                    thread=msg.thread,
                    connection_id=msg.connection_id,
                    assistant_id=assistant.id if assistant else None,
                    status="open",
                    tags=[],
                )
                s.add(conversation)
                await s.flush()
            elif conversation.status == "closed":
                conversation.status = "open"
            conversation.last_message_at = msg.received_at
            if row is None:
                row = Message(
                    workspace_id=workspace.id,
                    conversation_id=conversation.id,
                    direction="in",
                    author="contact",
                    kind=msg.kind.value,
                    text=msg.text,
                    payload=msg.payload,
                    attachments=[a.model_dump(mode="json") for a in msg.attachments],
                    external_id=msg.external_id,
                    reply_to=msg.reply_to,
                    inbox_id=turn.inbox_id,
                    status="received",
                    created_at=msg.received_at,
                    citations=[],
                )
                s.add(row)
                await s.flush()
                if self.wakeup is not None:
                    await self.wakeup.conversation_changed_in(s, workspace.id, conversation.id)
            if draft_id is not None:  # an earlier attempt committed its decision before dying
                turn.draft_id, turn.decision = draft_id, decision
        if self.wakeup is not None:
            self.wakeup.conversation_changed(workspace.id, conversation.id)
        turn.workspace, turn.assistant, turn.contact = workspace, assistant, contact
        turn.conversation, turn.message_row = conversation, row

    def _known(self, turn: Turn) -> Any:
        """One read for what the turn may find already stored: the workspace's config version, the
        conversation, the sender's contact, and this inbox row's message and draft from an earlier
        attempt. Each outer join matches a unique key, so there is one row, or none for an unknown
        workspace."""
        msg = turn.message
        return (
            select(Workspace.config_version, Conversation, Contact, Message, Draft.id, Draft.decision)
            .select_from(Workspace)
            .outerjoin(
                Conversation,
                and_(
                    Conversation.workspace_id == Workspace.id,
                    Conversation.channel == msg.channel.value,
                    Conversation.account == msg.account,
                    Conversation.thread == msg.thread,
                ),
            )
            .outerjoin(
                ContactIdentity,
                and_(
                    ContactIdentity.workspace_id == Workspace.id,
                    ContactIdentity.channel == msg.channel.value,
                    ContactIdentity.external_user_id == msg.sender.id,
                ),
            )
            .outerjoin(Contact, Contact.id == ContactIdentity.contact_id)
            .outerjoin(Message, Message.inbox_id == turn.inbox_id)
            .outerjoin(Draft, Draft.inbox_id == turn.inbox_id)
            .where(Workspace.id == msg.workspace_id)
        )

    async def _imagine(self, turn: Turn) -> None:
        """A try: the workspace and assistant read, a new contact and conversation made in memory only
        (never added to a session), so the later stages see a first message from a new customer."""
        msg = turn.message
        async with self.db.reader() as s:
            version = (
                await s.execute(select(Workspace.config_version).where(Workspace.id == msg.workspace_id))
            ).scalar_one_or_none()
            if version is None:
                turn.decision, turn.finished = "dropped", True
                return
            turn.config = config = self.cache.snapshot(msg.workspace_id, version)
            workspace = await config.get("workspace", lambda: _detached(s, Workspace, msg.workspace_id))
            assistant = await self._assistant(s, turn, None)
        contact = Contact(
            id=str(uuid.uuid4()), workspace_id=workspace.id, display_name=msg.sender.display_name,
            language=msg.sender.language, last_inbound_at=msg.received_at,
        )  # fmt: skip
        turn.conversation = Conversation(
            id=str(uuid.uuid4()), workspace_id=workspace.id, contact_id=contact.id, channel=msg.channel.value,
            account=msg.account, thread=msg.thread, connection_id=msg.connection_id,
            assistant_id=assistant.id if assistant else None, status="open", priority="normal", tags=[],
            bot_paused=False, last_message_at=msg.received_at,
        )  # fmt: skip
        turn.workspace, turn.assistant, turn.contact = workspace, assistant, contact

    async def _contact(self, s: AsyncSession, turn: Turn, contact: Contact | None) -> Contact:
        msg = turn.message
        if contact is not None:
            if msg.sender.display_name and not contact.display_name:
                contact.display_name = msg.sender.display_name
            return contact
        contact = Contact(
            workspace_id=msg.workspace_id,
            display_name=msg.sender.display_name,
            phone=msg.sender.phone,
            language=msg.sender.language,
        )
        s.add(contact)
        await s.flush()
        s.add(
            ContactIdentity(
                workspace_id=msg.workspace_id,
                contact_id=contact.id,
                channel=msg.channel.value,
                external_user_id=msg.sender.id,
                handle=msg.sender.handle,
            )
        )
        return contact

    async def _assistant(self, s: AsyncSession, turn: Turn, conversation: Conversation | None) -> Assistant | None:
        """The message's own assistant, else the conversation's, else its connection's, else the
        workspace's first; each only if it is this workspace's (from the turn's config snapshot)."""
        msg, config = turn.message, turn.config
        assert config is not None
        assistants = await config.get("assistants", lambda: _assistants(s, msg.workspace_id))
        connections = await config.get("connections", lambda: _connections(s, msg.workspace_id))
        candidates = [
            msg.assistant_id,
            conversation.assistant_id if conversation else None,
            connections.get(msg.connection_id) if msg.connection_id else None,
        ]
        for assistant_id in filter(None, candidates):
            if assistant_id in assistants:
                return assistants[assistant_id]
        return next(iter(assistants.values()), None)


async def _detached(s: AsyncSession, model: type[T], row_id: str) -> T:
    """A row read for the per-process cache, taken out of the session: a rollback there must not
    expire what other turns read."""
    row = await s.get(model, row_id)
    if row is None:
        raise LookupError(f"{model.__name__} {row_id} is gone")
    s.expunge(row)
    return row


async def _assistants(s: AsyncSession, workspace_id: str) -> dict[str, Assistant]:
    """The workspace's assistants by id, oldest first (the first is the default)."""
    query = select(Assistant).where(Assistant.workspace_id == workspace_id).order_by(Assistant.created_at)
    found = list((await s.execute(query)).scalars())
    for row in found:
        s.expunge(row)
    return {row.id: row for row in found}


async def _connections(s: AsyncSession, workspace_id: str) -> dict[str, str | None]:
    """Each of the workspace's channel connections' assistant."""
    query = select(ChannelConnection.id, ChannelConnection.assistant_id)
    rows = await s.execute(query.where(ChannelConnection.workspace_id == workspace_id))
    return {connection_id: assistant_id for connection_id, assistant_id in rows.all()}
