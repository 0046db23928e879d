"""Leased work queues on a table: the inbox and the outbox share this.

A row is claimed by setting a lease. On PostgreSQL claimers use `FOR UPDATE SKIP LOCKED`, so several
workers share one queue; on SQLite a claim is one write transaction (SQLite has a single writer).
A claimer that dies leaves its lease to expire, and the row is claimed again. Rows with the same
`order_key` (one conversation) are handed out one at a time, oldest first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from core.db import Database
from core.messages import utcnow
from core.models import InboxItem, OutboxItem

Q = TypeVar("Q", InboxItem, OutboxItem)


def backoff(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog), never below base/2."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return max(base / 2, random.uniform(0, ceiling))


@dataclass
class LeasedQueue(Generic[Q]):
    db: Database
    model: type[Q]
    active_state: str
    lease_seconds: float

    async def claim(self, worker_id: str, limit: int) -> list[Q]:
        if limit <= 0:
            return []
        m = self.model
        now = utcnow()
        earlier = aliased(m)
        blocked = exists().where(
            earlier.order_key == m.order_key,
            earlier.id < m.id,
            earlier.state.in_(("pending", self.active_state)),
        )
        eligible = or_(
            and_(m.state == "pending", m.next_attempt_at <= now),
            and_(m.state == self.active_state, m.lease_until < now),
        )
        candidates = select(m.id).where(eligible, ~blocked).order_by(m.id).limit(limit)
        if self.db.is_postgres:
            candidates = candidates.with_for_update(skip_locked=True)
        stmt = (
            update(m)
            .where(m.id.in_(candidates.scalar_subquery()))
            .values(
                state=self.active_state,
                lease_until=now + timedelta(seconds=self.lease_seconds),
                attempts=m.attempts + 1,
                claimed_by=worker_id,
            )
            .returning(m)
            .execution_options(synchronize_session=False)
        )
        async with self.db.session() as session:
            rows = list((await session.execute(stmt)).scalars().all())
        rows.sort(key=lambda r: r.id)
        return rows

    async def renew(self, ids: list[int], worker_id: str) -> None:
        if not ids:
            return
        m = self.model
        until = utcnow() + timedelta(seconds=self.lease_seconds)
        async with self.db.session() as session:
            await session.execute(
                update(m)
                .where(m.id.in_(ids), m.claimed_by == worker_id, m.state == self.active_state)
                .values(lease_until=until)
            )

    async def finish(self, row_id: int, worker_id: str, state: str, **values: Any) -> bool:
        """Move a claimed row to `state`; False if our lease was lost to another claimer."""
        m = self.model
        async with self.db.session() as session:
            result = await session.execute(
                update(m)
                .where(m.id == row_id, m.claimed_by == worker_id, m.state == self.active_state)
                .values(state=state, lease_until=None, **values)
            )
        return bool(getattr(result, "rowcount", 0))

    async def retry_later(self, row_id: int, worker_id: str, *, delay: float, error: str) -> bool:
        return await self.finish(
            row_id, worker_id, "pending", last_error=error[:2000], next_attempt_at=utcnow() + timedelta(seconds=delay)
        )

    async def depth(self) -> dict[str, int]:
        from sqlalchemy import func

        m = self.model
        async with self.db.reader() as session:
            rows = await session.execute(
                select(m.state, func.count()).where(m.state.in_(("pending", self.active_state))).group_by(m.state)
            )
            return {state: count for state, count in rows.all()}
