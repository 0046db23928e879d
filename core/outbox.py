"""The durable outbox: every reply leaves through here, exactly once per idempotency key.

`enqueue` writes the outbound message and its outbox row in the caller's transaction. The sender
claims rows with a lease (see core.queue), sends through the channel's adapter, and records the
receipt. A crash while sending leaves the lease to expire: at most that one send can repeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.channels import ChannelRegistry, Route, SendError
from core.connections import note_error
from core.crypto import SecretBox
from core.db import Database, insert_for
from core.messages import OutboundMessage, utcnow
from core.metrics import OUTBOX_FAILED, OUTBOX_RETRIES, OUTBOX_SENT
from core.models import ChannelConnection, Contact, Conversation, DeliveryEvent, Message, OutboxItem
from core.notify import StaffAlert, StaffNotifier
from core.queue import LeasedQueue, backoff
from core.wakeup import Wakeup

log = logging.getLogger(__name__)


async def enqueue(
    session: AsyncSession,
    *,
    conversation: Conversation,
    message: OutboundMessage,
    author: str,
    author_user_id: str | None = None,
) -> int | None:
    """Queue a reply in the caller's transaction. Returns the outbox id, or None if the
    idempotency key was already queued (a retried turn, a double-clicked approval)."""
    insert = insert_for(session)
    now = utcnow()
    stmt = (
        insert(OutboxItem)
        .values(
            workspace_id=conversation.workspace_id,
            order_key=conversation.id,
            conversation_id=conversation.id,
            idempotency_key=message.idempotency_key,
            message=message.model_dump(mode="json"),
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            external_ids=[],
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxItem.id)
    )
    outbox_id = (await session.execute(stmt)).scalar_one_or_none()
    if outbox_id is None:
        return None
    session.add(
        Message(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            direction="out",
            author=author,
            author_user_id=author_user_id,
            text=message.text,
            citations=[c.model_dump(mode="json") for c in message.citations],
            attachments=[a.model_dump(mode="json") for a in message.attachments],
            outbox_id=outbox_id,
            status="pending",
            created_at=now,
        )
    )
    conversation.last_message_at = now
    await Wakeup.notify_in(session, "outbox")
    return outbox_id


async def route_for(db: Database, box: SecretBox, conversation_id: str) -> Route:
    """Where a conversation's replies go, with the connection's secrets opened in memory only."""
    query = (
        select(Conversation, Contact, ChannelConnection.config)
        .outerjoin(Contact, Contact.id == Conversation.contact_id)
        .outerjoin(ChannelConnection, ChannelConnection.id == Conversation.connection_id)
        .where(Conversation.id == conversation_id)
    )  # one read: the conversation, its contact and its connection's settings
    async with db.reader() as session:
        found = (await session.execute(query)).one_or_none()
    if found is None:
        raise SendError("conversation is gone", retryable=False)
    conversation, contact, sealed = found
    config: dict[str, object] = box.open(sealed) if sealed is not None else {}
    return Route(
        channel=conversation.channel,
        account=conversation.account,
        thread=conversation.thread,
        connection_id=conversation.connection_id,
        config=config,
        contact_last_inbound_at=contact.last_inbound_at if contact else None,
        contact_opted_out=bool(contact and contact.opted_out_at),
    )


@dataclass
class OutboxSender:
    db: Database
    channels: ChannelRegistry
    box: SecretBox
    wakeup: Wakeup
    worker_id: str
    lease_seconds: float = 60.0
    max_attempts: int = 8
    backoff_base: float = 2.0
    backoff_max: float = 600.0
    poll_seconds: float = 2.0
    concurrency: int = 8
    on_sent: Callable[[int], None] | None = None
    # Told when a reply fails for good, so staff can answer another way.
    notifier: StaffNotifier | None = None

    def __post_init__(self) -> None:
        self.queue = LeasedQueue(self.db, OutboxItem, "sending", self.lease_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("outbox sender loop error")
                busy = 0
            if not busy:
                await self.wakeup.wait("outbox", self.poll_seconds)

    async def run_once(self) -> int:
        rows = await self.queue.claim(self.worker_id, self.concurrency)
        if rows:
            await asyncio.gather(*(self._send(row) for row in rows))
        return len(rows)

    async def _send(self, row: OutboxItem) -> None:
        message = OutboundMessage.model_validate(row.message)
        channel_kind = "unknown"
        try:
            route = await route_for(self.db, self.box, row.conversation_id)
            channel_kind = route.channel
            if route.contact_opted_out:
                raise SendError("the contact opted out of messages", retryable=False, code=SendError.OPTED_OUT)
            receipt = await self.channels.get(route.channel).send(route, message)
        except Exception as exc:
            await self._failed(row, channel_kind, exc)
            return
        now = utcnow()
        external_id = receipt.external_ids[0] if receipt.external_ids else None

        async def record(session: AsyncSession) -> None:
            await session.execute(
                update(Message)
                .where(Message.outbox_id == row.id)
                .values(status="sent", sent_at=now, external_id=external_id)
            )
            session.add(
                DeliveryEvent(outbox_id=row.id, status=receipt.status, external_id=external_id, detail=receipt.detail)
            )
            await self.wakeup.conversation_changed_in(session, row.workspace_id, row.conversation_id)

        finished = await self.queue.finish(
            row.id,
            self.worker_id,
            "sent",
            then=record,
            finished_at=now,
            external_ids=list(receipt.external_ids),
            delivery_status=receipt.status,
            last_error=None,
        )
        if not finished:
            log.warning("outbox lease lost after send", extra={"outbox_id": row.id})
            return
        self.wakeup.conversation_changed(row.workspace_id, row.conversation_id)
        OUTBOX_SENT.labels(channel_kind).inc()
        if self.on_sent is not None:
            self.on_sent(row.id)

    async def _failed(self, row: OutboxItem, channel_kind: str, exc: Exception) -> None:
        retryable = exc.retryable if isinstance(exc, SendError) else not isinstance(exc, LookupError)
        code = exc.code if isinstance(exc, SendError) else None
        error = f"{type(exc).__name__}: {exc}"
        if retryable and row.attempts < self.max_attempts:
            delay = backoff(row.attempts, base=self.backoff_base, cap=self.backoff_max)
            if isinstance(exc, SendError) and exc.retry_after is not None:
                delay = max(delay, exc.retry_after)
            OUTBOX_RETRIES.labels(channel_kind).inc()
            log.warning(
                "send failed, will retry",
                extra={"outbox_id": row.id, "attempt": row.attempts, "delay": round(delay, 2), "error": error[:300]},
            )
            if await self.queue.retry_later(row.id, self.worker_id, delay=delay, error=error) and _channels(code):
                async with self.db.session() as s:
                    await note_error(s, _health_words(exc, error), conversation_id=row.conversation_id)
            return
        OUTBOX_FAILED.labels(channel_kind).inc()
        log.error("send failed for good", extra={"outbox_id": row.id, "error": error[:300]})

        async def record(session: AsyncSession) -> None:
            await session.execute(update(Message).where(Message.outbox_id == row.id).values(status="failed"))
            flag = {SendError.UNREACHABLE: "unreachable_at", SendError.OPTED_OUT: "opted_out_at"}.get(code or "")
            if flag is not None:
                contact = select(Conversation.contact_id).where(Conversation.id == row.conversation_id)
                await session.execute(
                    update(Contact).where(Contact.id == contact.scalar_subquery()).values({flag: utcnow()})
                )
            # The customer did not get this reply: the conversation needs staff again.
            await session.execute(
                update(Conversation).where(Conversation.id == row.conversation_id).values(status="waiting")
            )
            session.add(
                DeliveryEvent(outbox_id=row.id, status="failed", error_code=code, detail={"error": error[:500]})
            )
            if _channels(code):
                await note_error(session, _health_words(exc, error), conversation_id=row.conversation_id)
            await self.wakeup.conversation_changed_in(session, row.workspace_id, row.conversation_id)

        failed = await self.queue.finish(
            row.id,
            self.worker_id,
            "failed",
            then=record,
            finished_at=utcnow(),
            last_error=error[:2000],
            error_code=code,
        )
        if failed:
            self.wakeup.conversation_changed(row.workspace_id, row.conversation_id)
        if failed and self.notifier is not None:
            await self.notifier.alert(
                StaffAlert(
                    workspace_id=row.workspace_id,
                    conversation_id=row.conversation_id,
                    reason="send_failed",
                    detail=error[:200],
                )
            )


# Failures that say something of the contact (blocked the bot, opted out, the WhatsApp window) or of
# our own pacing, not of the channel connection's health.
NOT_THE_CHANNELS = frozenset({SendError.UNREACHABLE, SendError.OPTED_OUT, SendError.OUTSIDE_WINDOW, "rate_limited"})


def _channels(code: str | None) -> bool:
    return code not in NOT_THE_CHANNELS


def _health_words(exc: Exception, error: str) -> str:
    return f"A reply was not sent: {exc if isinstance(exc, SendError) else error}"
