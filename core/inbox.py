"""The durable inbox: an inbound message is committed here before any channel acknowledges it.

`accept` is idempotent on (channel, account, channel message id): a redelivery is acknowledged and
ignored, so a webhook retried three times still makes one turn.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.messages import InboundMessage, utcnow
from core.metrics import INBOX_ACCEPTED, INBOX_DUPLICATES
from core.models import Draft, InboxItem, OutboxItem
from core.wakeup import Wakeup


@dataclass(frozen=True)
class AcceptResult:
    inbox_id: int
    duplicate: bool


Key = tuple[str, str, str]
# Rows per INSERT: 13 bound values each, well inside SQLite's 32,766-variable limit.
BATCH_MAX = 500


class Inbox:
    """Accepts are group-committed: messages arriving while a commit is in flight share the next
    one. Each caller still returns only after the commit that holds its row, so an acknowledged
    message is durable, but 50 webhooks at once cost a few transactions instead of 50."""

    def __init__(self, db: Database, wakeup: Wakeup) -> None:
        self.db = db
        self.wakeup = wakeup
        self._waiting: list[tuple[InboundMessage, asyncio.Future[AcceptResult]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def accept(self, message: InboundMessage) -> AcceptResult:
        future: asyncio.Future[AcceptResult] = asyncio.get_running_loop().create_future()
        self._waiting.append((message, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH_MAX], self._waiting[BATCH_MAX:]
            try:
                await self._settle(batch)
            except Exception:
                # One bad message must not fail its neighbours: write them one by one.
                for item in batch:
                    with contextlib.suppress(Exception):
                        await self._settle([item])

    async def _settle(self, batch: list[tuple[InboundMessage, asyncio.Future[AcceptResult]]]) -> None:
        """Write a batch and resolve its callers; a lone message's error goes to its caller."""
        try:
            results = await self._write([m for m, _ in batch])
        except BaseException as exc:
            if len(batch) == 1 or isinstance(exc, asyncio.CancelledError):
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _write(self, messages: list[InboundMessage]) -> list[AcceptResult]:
        insert = pg_insert if self.db.is_postgres else sqlite_insert
        rows = [
            {
                "workspace_id": m.workspace_id,
                "order_key": m.conversation_key,
                "channel": m.channel.value,
                "account": m.account,
                "external_id": m.external_id,
                "message": m.model_dump(mode="json"),
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": m.received_at,
                "created_at": m.received_at,
            }
            for m in messages
        ]
        table = cast(Table, InboxItem.__table__)
        stmt = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["channel", "account", "external_id"])
            .returning(table.c.id, table.c.channel, table.c.account, table.c.external_id)
        )
        async with self.db.session() as session:
            # One statement, compiled once and cached: SQLAlchemy sends the rows as multi-row VALUES.
            connection = await session.connection()
            returned = await connection.execute(stmt, rows)
            inserted: dict[Key, int] = {(c, a, e): i for i, c, a, e in returned.all()}
            keys = [(m.channel.value, m.account, m.external_id) for m in messages]
            missing = {k for k in keys if k not in inserted}
            existing: dict[Key, int] = {}
            if missing:
                found = await session.execute(
                    select(InboxItem.id, InboxItem.channel, InboxItem.account, InboxItem.external_id).where(
                        tuple_(InboxItem.channel, InboxItem.account, InboxItem.external_id).in_(list(missing))
                    )
                )
                existing = {(c, a, e): i for i, c, a, e in found.all()}
            if inserted:
                await Wakeup.notify_in(session, "inbox")
        results: list[AcceptResult] = []
        for key in keys:
            new_id = inserted.pop(key, None)  # a key twice in one batch: the first is new, the rest repeats
            if new_id is not None:
                existing[key] = new_id
                INBOX_ACCEPTED.labels(key[0]).inc()
                results.append(AcceptResult(new_id, duplicate=False))
            else:
                INBOX_DUPLICATES.labels(key[0]).inc()
                results.append(AcceptResult(existing[key], duplicate=True))
        if any(not r.duplicate for r in results):
            self.wakeup.set("inbox")
        return results


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


async def requeue_failed(session: AsyncSession, *, workspace_id: str, inbox_id: int) -> bool:
    """Put a turn that failed for good back in the queue (after a fix, or once a dependency is back),
    in the caller's transaction; ring the inbox bell after it commits. False if there is no such
    failed turn in this workspace."""
    result = await session.execute(
        update(InboxItem)
        .where(InboxItem.id == inbox_id, InboxItem.workspace_id == workspace_id, InboxItem.state == "failed")
        .values(state="pending", attempts=0, next_attempt_at=utcnow(), claimed_by=None, finished_at=None)
    )
    retried = bool(getattr(result, "rowcount", 0))
    if retried:
        await Wakeup.notify_in(session, "inbox")
    return retried
