"""The durable inbox: an inbound message is committed here before any channel acknowledges it.

`accept` is idempotent on (channel, account, channel message id): a redelivery is acknowledged and
ignored, so a webhook retried three times still makes one turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.db import Database
from core.messages import InboundMessage, utcnow
from core.metrics import INBOX_ACCEPTED, INBOX_DUPLICATES
from core.models import Draft, InboxItem, OutboxItem
from core.wakeup import Wakeup


@dataclass(frozen=True)
class AcceptResult:
    inbox_id: int
    duplicate: bool


class Inbox:
    def __init__(self, db: Database, wakeup: Wakeup) -> None:
        self.db = db
        self.wakeup = wakeup

    async def accept(self, message: InboundMessage) -> AcceptResult:
        insert = pg_insert if self.db.is_postgres else sqlite_insert
        stmt = (
            insert(InboxItem)
            .values(
                workspace_id=message.workspace_id,
                order_key=message.conversation_key,
                channel=message.channel.value,
                account=message.account,
                external_id=message.external_id,
                message=message.model_dump(mode="json"),
                state="pending",
                attempts=0,
                next_attempt_at=message.received_at,
                created_at=message.received_at,
            )
            .on_conflict_do_nothing(index_elements=["channel", "account", "external_id"])
            .returning(InboxItem.id)
        )
        async with self.db.session() as session:
            inbox_id = (await session.execute(stmt)).scalar_one_or_none()
            if inbox_id is None:
                existing = await session.execute(
                    select(InboxItem.id).where(
                        InboxItem.channel == message.channel.value,
                        InboxItem.account == message.account,
                        InboxItem.external_id == message.external_id,
                    )
                )
                duplicate_id = existing.scalar_one()
            else:
                await Wakeup.notify_in(session, "inbox")
        if inbox_id is None:
            INBOX_DUPLICATES.labels(message.channel.value).inc()
            return AcceptResult(duplicate_id, duplicate=True)
        INBOX_ACCEPTED.labels(message.channel.value).inc()
        self.wakeup.set("inbox")
        return AcceptResult(inbox_id, duplicate=False)


@dataclass(frozen=True)
class TurnOutcome:
    """What became of an accepted message, as far as is known now."""

    finished: bool
    decision: str | None = None
    reply: str | None = None
    citations: tuple[dict[str, object], ...] = ()


async def turn_outcome(db: Database, inbox_id: int) -> TurnOutcome:
    async with db.reader() as s:
        state = (await s.execute(select(InboxItem.state).where(InboxItem.id == inbox_id))).scalar_one_or_none()
        if state not in ("done", "failed"):
            return TurnOutcome(finished=False)
        draft = (await s.execute(select(Draft).where(Draft.inbox_id == inbox_id))).scalar_one_or_none()
        keys = [f"holding:{inbox_id}"] + ([f"draft:{draft.id}"] if draft else [])
        reply = (
            (await s.execute(select(OutboxItem).where(OutboxItem.idempotency_key.in_(keys)).order_by(OutboxItem.id)))
            .scalars()
            .first()
        )
    if state == "failed":
        return TurnOutcome(finished=True, decision="handoff")
    citations: tuple[dict[str, object], ...] = tuple(reply.message.get("citations") or ()) if reply else ()
    if draft is not None and draft.decision == "needs_approval":
        # The customer sees where the answer will come from while staff review it.
        citations = tuple(draft.citations or ())
    return TurnOutcome(
        finished=True,
        decision=draft.decision if draft else "silent",
        reply=str(reply.message.get("text")) if reply else None,
        citations=citations,
    )


async def retry_failed(db: Database, wakeup: Wakeup, *, workspace_id: str, inbox_id: int) -> bool:
    """Put a turn that failed for good back in the queue (after a fix, or once a dependency is back).
    False if there is no such failed turn in this workspace."""
    async with db.session() as session:
        result = await session.execute(
            update(InboxItem)
            .where(InboxItem.id == inbox_id, InboxItem.workspace_id == workspace_id, InboxItem.state == "failed")
            .values(state="pending", attempts=0, next_attempt_at=utcnow(), claimed_by=None, finished_at=None)
        )
        retried = bool(getattr(result, "rowcount", 0))
        if retried:
            await Wakeup.notify_in(session, "inbox")
    if retried:
        wakeup.set("inbox")
    return retried
