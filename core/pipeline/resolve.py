"""Resolve: find or create the contact, their channel identity and the conversation, and store the
inbound message. Keyed by the inbox row, so a retried turn finds what it wrote the first time."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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


class Resolve:
    def __init__(self, db: Database, wakeup: Wakeup | None = None) -> None:
        self.db = db
        self.wakeup = wakeup  # tells the inbox's watchers a customer wrote

    async def __call__(self, turn: Turn) -> None:
        if turn.dry_run:
            await self._imagine(turn)
            return
        msg = turn.message
        async with self.db.session() as s:
            workspace = await s.get(Workspace, msg.workspace_id)
            if workspace is None:
                log.warning("message for an unknown workspace dropped", extra={"inbox_id": turn.inbox_id})
                turn.decision, turn.finished = "dropped", True
                return
            conversation = (
                await s.execute(
                    select(Conversation).where(
                        Conversation.workspace_id == workspace.id,
                        Conversation.channel == msg.channel.value,
                        Conversation.account == msg.account,
                        Conversation.thread == msg.thread,
                    )
                )
            ).scalar_one_or_none()
            contact = await self._contact(s, turn, conversation)
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
            row = (await s.execute(select(Message).where(Message.inbox_id == turn.inbox_id))).scalar_one_or_none()
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
            decided = (
                await s.execute(select(Draft.id, Draft.decision).where(Draft.inbox_id == turn.inbox_id))
            ).one_or_none()
            if decided is not None:  # an earlier attempt committed its decision before dying
                turn.draft_id, turn.decision = decided
        if self.wakeup is not None:
            self.wakeup.conversation_changed(workspace.id, conversation.id)
        turn.workspace, turn.assistant, turn.contact = workspace, assistant, contact
        turn.conversation, turn.message_row = conversation, row

    async def _imagine(self, turn: Turn) -> None:
        """A try: the workspace and assistant read, a new contact and conversation made in memory only
        (never added to a session), so the later stages see a first message from a new customer."""
        msg = turn.message
        async with self.db.reader() as s:
            workspace = await s.get(Workspace, msg.workspace_id)
            assistant = await self._assistant(s, turn, None) if workspace is not None else None
        if workspace is None:
            turn.decision, turn.finished = "dropped", True
            return
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

    async def _contact(self, s: AsyncSession, turn: Turn, conversation: Conversation | None) -> Contact:
        msg = turn.message
        contact = (
            await s.execute(
                select(Contact)
                .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
                .where(
                    ContactIdentity.workspace_id == msg.workspace_id,
                    ContactIdentity.channel == msg.channel.value,
                    ContactIdentity.external_user_id == msg.sender.id,
                )
            )
        ).scalar_one_or_none()
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
        msg = turn.message
        candidates = [msg.assistant_id, conversation.assistant_id if conversation else None]
        if msg.connection_id:
            connection = await s.get(ChannelConnection, msg.connection_id)
            if connection is not None and connection.workspace_id == msg.workspace_id:
                candidates.append(connection.assistant_id)
        for assistant_id in filter(None, candidates):
            assistant = await s.get(Assistant, assistant_id)
            if assistant is not None and assistant.workspace_id == msg.workspace_id:
                return assistant
        return (
            await s.execute(
                select(Assistant)
                .where(Assistant.workspace_id == msg.workspace_id)
                .order_by(Assistant.created_at)
                .limit(1)
            )
        ).scalar_one_or_none()
