"""Leased work queues on a table: the inbox and the outbox share this.

A row is claimed by setting a lease. On PostgreSQL claimers use `FOR UPDATE SKIP LOCKED`, so several
workers share one queue; on SQLite a claim is one write transaction (SQLite has a single writer).
A claimer that dies leaves its lease to expire, and the row is claimed again. Rows with the same
`order_key` (one conversation) are handed out one at a time, oldest first.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Table, bindparam, inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, UTCDateTime
from core.messages import utcnow
from core.models import Queued

# Any table with the queue's columns: the inbox, the outbox, rule jobs (rules/).
Q = TypeVar("Q", bound=Queued)
Then = Callable[[AsyncSession], Awaitable[None]]


def backoff(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog), never below base/2."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return max(base / 2, random.uniform(0, ceiling))


def _claim_statement(model: type[Q], active: str, *, postgres: bool) -> Any:
    """One UPDATE … RETURNING that leases the oldest ready row of each conversation.

    Written out so the planner sees the literal `state IN (…)` of the partial indexes (bound
    parameters would hide it from SQLite), and compiled once per queue.
    """
    columns = cast(Table, inspect(model).local_table)
    table = columns.name
    live = f"state IN ('pending', '{active}')"
    lock = " FOR UPDATE SKIP LOCKED" if postgres else ""
    # Only code constants are interpolated (table and state names); every value is a bound parameter.
    query = f"""
        UPDATE {table}
        SET state = '{active}', lease_until = :lease_until, attempts = attempts + 1, claimed_by = :worker
        WHERE id IN (
            SELECT q.id FROM {table} q
            WHERE q.{live}
              AND ((q.state = 'pending' AND q.next_attempt_at <= :now)
                   OR (q.state = '{active}' AND q.lease_until < :now))
              AND NOT EXISTS (SELECT 1 FROM {table} e
                              WHERE e.{live} AND e.order_key = q.order_key AND e.id < q.id)
            ORDER BY q.id LIMIT :limit{lock})
        RETURNING *"""  # noqa: S608
    sql = text(query).bindparams(bindparam("now", type_=UTCDateTime), bindparam("lease_until", type_=UTCDateTime))
    return select(model).from_statement(sql.columns(*columns.columns))


@dataclass
class LeasedQueue(Generic[Q]):
    db: Database
    model: type[Q]
    active_state: str
    lease_seconds: float

    def __post_init__(self) -> None:
        self._claim = _claim_statement(self.model, self.active_state, postgres=self.db.is_postgres)

    async def claim(self, worker_id: str, limit: int, *, now: datetime | None = None) -> list[Q]:
        """Lease up to `limit` ready rows; `now` decides which are due (rules/ passes its clock)."""
        if limit <= 0:
            return []
        now = now or utcnow()
        params = {
            "now": now,
            "lease_until": now + timedelta(seconds=self.lease_seconds),
            "worker": worker_id,
            "limit": limit,
        }
        async with self.db.session() as session:
            rows = list((await session.execute(self._claim, params)).scalars().all())
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

    async def finish(self, row_id: int, worker_id: str, state: str, *, then: Then | None = None, **values: Any) -> bool:
        """Move a claimed row to `state`, and run `then` in the same transaction; False (and `then`
        not run) if our lease was lost to another claimer."""
        m = self.model
        async with self.db.session() as session:
            result = await session.execute(
                update(m)
                .where(m.id == row_id, m.claimed_by == worker_id, m.state == self.active_state)
                .values(state=state, lease_until=None, **values)
            )
            finished = bool(getattr(result, "rowcount", 0))
            if finished and then is not None:
                await then(session)
        return finished

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
