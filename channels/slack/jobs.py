"""The staff console's durable queue: approval cards, card updates and thread notices are rows in
`slack_jobs`, claimed with a lease (core.queue) and retried with backoff, honouring Slack's 429
Retry-After, exactly as replies leave through the outbox.

Jobs are written by the staff-alert hook (at once) and by a sweep that finds pending drafts with no
card and cards showing a stale state: a crash between a draft's commit and the hook, or a draft
decided in the admin, still ends with the right card in Slack.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from channels.slack import cards, mrkdwn
from channels.slack.connection import Connection, Connections, send_error
from channels.slack.models import SlackCard, SlackEvent, SlackJob, SlackThread
from core.db import Database, insert_for
from core.messages import utcnow
from core.models import ChannelConnection, Draft
from core.notify import StaffAlert
from core.queue import LeasedQueue, backoff

log = logging.getLogger(__name__)
CARD, REFRESH, NOTICE = "card", "refresh", "notice"
ALERT_TEXT = {
    "send_failed": "⚠️ The reply did not reach the customer: {detail}. The conversation is waiting for staff again.",
}


async def add_job(
    s: AsyncSession,
    *,
    connection: Connection | ChannelConnection,
    conversation_id: str,
    kind: str,
    draft_id: str | None = None,
    payload: dict[str, Any] | None = None,
    key: str | None = None,
) -> None:
    """Queue a job in the caller's transaction; a key already queued is ignored."""
    insert = insert_for(s)
    now = utcnow()
    await s.execute(
        insert(SlackJob)
        .values(
            workspace_id=connection.workspace_id,
            connection_id=connection.id,
            conversation_id=conversation_id,
            order_key=conversation_id,
            kind=kind,
            draft_id=draft_id,
            payload=payload or {},
            dedupe_key=key or f"{kind}:{uuid.uuid4()}",
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


async def staff_connections(s: AsyncSession, workspace_id: str) -> list[ChannelConnection]:
    rows = await s.execute(
        select(ChannelConnection).where(
            ChannelConnection.workspace_id == workspace_id,
            ChannelConnection.kind == "slack",
            ChannelConnection.enabled.is_(True),
        )
    )
    return list(rows.scalars())


@dataclass
class StaffJobs:
    """Runs the queue: `run` in the worker process, `run_once` in tests."""

    db: Database
    connections: Connections
    worker_id: str
    lease_seconds: float = 60.0
    poll_seconds: float = 2.0
    sweep_seconds: float = 30.0
    max_attempts: int = 8
    backoff_base: float = 2.0

    def __post_init__(self) -> None:
        self.queue = LeasedQueue(self.db, SlackJob, "running", self.lease_seconds)
        self.wake = asyncio.Event()

    # --- writing jobs --------------------------------------------------------------------------

    async def on_alert(self, alert: StaffAlert) -> None:
        """The StaffNotifier hook: a card for a draft, a notice for a failed reply. A workspace without
        Slack costs one read, never a write (on SQLite every write waits for the one writer)."""
        async with self.db.reader() as r:
            connections = [c for c in await staff_connections(r, alert.workspace_id) if c.config.get("staff_channel")]
        if not connections:
            return
        async with self.db.session() as s:
            for connection in connections:
                if alert.draft_id is not None:
                    await add_job(
                        s,
                        connection=connection,
                        conversation_id=alert.conversation_id,
                        kind=CARD,
                        draft_id=alert.draft_id,
                        key=f"card:{connection.id}:{alert.draft_id}",
                    )
                elif alert.reason in ALERT_TEXT:
                    text = ALERT_TEXT[alert.reason].format(detail=mrkdwn.escape(alert.detail or "no detail"))
                    await add_job(
                        s, connection=connection, conversation_id=alert.conversation_id, kind=NOTICE,
                        payload={"text": text},
                    )  # fmt: skip
        self.wake.set()

    async def sweep(self) -> None:
        """Cards for pending drafts the hook missed, updates for cards decided elsewhere, and old jobs
        cleared away. Without a Slack staff channel anywhere it is one read."""
        async with self.db.reader() as r:
            rows = await r.execute(
                select(ChannelConnection).where(ChannelConnection.kind == "slack", ChannelConnection.enabled.is_(True))
            )
            connections = [c for c in rows.scalars() if (c.config or {}).get("staff_channel")]
        if not connections:
            return
        async with self.db.session() as s:
            for connection in connections:
                missing = await s.execute(
                    select(Draft.id, Draft.conversation_id)
                    .where(
                        Draft.workspace_id == connection.workspace_id,
                        Draft.state == "pending",
                        Draft.created_at >= connection.created_at,
                    )
                    .limit(200)
                )
                for draft_id, conversation_id in missing.all():
                    await add_job(
                        s, connection=connection, conversation_id=conversation_id, kind=CARD, draft_id=draft_id,
                        key=f"card:{connection.id}:{draft_id}",
                    )  # fmt: skip
                stale = await s.execute(
                    select(SlackCard.draft_id, SlackCard.conversation_id, Draft.state)
                    .join(Draft, Draft.id == SlackCard.draft_id)
                    .where(SlackCard.connection_id == connection.id, SlackCard.shown_state != Draft.state)
                    .limit(200)
                )
                for draft_id, conversation_id, state in stale.all():
                    await add_job(
                        s, connection=connection, conversation_id=conversation_id, kind=REFRESH, draft_id=draft_id,
                        key=f"sync:{connection.id}:{draft_id}:{state}",
                    )  # fmt: skip
            week_ago = utcnow() - timedelta(days=7)
            await s.execute(
                delete(SlackJob).where(SlackJob.state.in_(("done", "failed")), SlackJob.created_at < week_ago)
            )
            # Slack retries an event for about an hour; a day of ids is plenty to recognise them.
            await s.execute(delete(SlackEvent).where(SlackEvent.created_at < utcnow() - timedelta(days=1)))
        self.wake.set()

    # --- running them --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        next_sweep = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            busy = 0
            try:
                if loop.time() >= next_sweep:
                    await self.sweep()
                    next_sweep = loop.time() + self.sweep_seconds
                busy = await self.run_once()
            except Exception:
                log.exception("slack staff jobs loop error")
            if not busy:
                self.wake.clear()
                waiter = asyncio.ensure_future(self.wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({waiter, stopper}, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()

    async def run_once(self) -> int:
        if not await self._due():
            return 0
        rows = await self.queue.claim(self.worker_id, 8)
        if rows:
            await asyncio.gather(*(self._run(row) for row in rows))
        return len(rows)

    async def _due(self) -> bool:
        """A read before the claim: an idle queue costs no write transaction per poll."""
        live = SlackJob.state.in_(("pending", "running"))
        async with self.db.reader() as r:
            return (await r.execute(select(SlackJob.id).where(live).limit(1))).first() is not None

    async def _run(self, job: SlackJob) -> None:
        try:
            connection = await self.connections.get(job.connection_id)
            if connection is None or not connection.enabled or not connection.staff_channel:
                await self.queue.finish(job.id, self.worker_id, "failed", last_error="no staff channel")
                return
            if job.kind == CARD:
                await self._card(connection, job)
            elif job.kind == REFRESH:
                await self._refresh(connection, job)
            else:
                await self._notice(connection, job, str(job.payload.get("text") or ""))
        except Exception as exc:
            error = send_error(exc)
            if error.retryable and job.attempts < self.max_attempts:
                delay = max(backoff(job.attempts, base=self.backoff_base, cap=300.0), error.retry_after or 0.0)
                log.warning("slack staff job failed, will retry", extra={"job": job.id, "error": str(error)[:200]})
                await self.queue.retry_later(job.id, self.worker_id, delay=delay, error=str(error))
            else:
                log.error("slack staff job failed for good", extra={"job": job.id, "error": str(error)[:200]})
                await self.queue.finish(
                    job.id, self.worker_id, "failed", finished_at=utcnow(), last_error=str(error)[:2000]
                )
            return
        await self.queue.finish(job.id, self.worker_id, "done", finished_at=utcnow(), last_error=None)

    async def _thread(self, connection: Connection, conversation_id: str) -> SlackThread | None:
        async with self.db.reader() as s:
            return (
                await s.execute(
                    select(SlackThread).where(
                        SlackThread.connection_id == connection.id, SlackThread.conversation_id == conversation_id
                    )
                )
            ).scalar_one_or_none()

    async def _post(self, connection: Connection, conversation_id: str, **message: Any) -> tuple[str, str]:
        """Post in the conversation's thread; the first post of a conversation becomes its parent."""
        client = self.connections.client(connection)
        thread = await self._thread(connection, conversation_id)
        channel = thread.channel if thread is not None and thread.ts else str(connection.staff_channel)
        if thread is not None and thread.ts:
            response = await client.chat_postMessage(channel=channel, thread_ts=thread.ts, **message)
            return channel, str(response["ts"])
        response = await client.chat_postMessage(channel=channel, **message)
        ts = str(response["ts"])
        async with self.db.session() as s:
            insert = insert_for(s)
            await s.execute(
                insert(SlackThread)
                .values(
                    id=str(uuid.uuid4()),
                    workspace_id=connection.workspace_id,
                    connection_id=connection.id,
                    conversation_id=conversation_id,
                    channel=channel,
                    ts=ts,
                    created_at=utcnow(),
                )
                .on_conflict_do_update(
                    index_elements=["connection_id", "conversation_id"], set_={"channel": channel, "ts": ts}
                )
            )
        return channel, ts

    async def _card(self, connection: Connection, job: SlackJob) -> None:
        assert job.draft_id is not None
        view = await cards.load_view(self.db, connection_id=connection.id, draft_id=job.draft_id)
        if view is None:
            return
        channel, ts = await self._post(
            connection, job.conversation_id, text=cards.fallback_text(view), blocks=cards.blocks(view)
        )
        async with self.db.session() as s:
            insert = insert_for(s)
            await s.execute(
                insert(SlackCard)
                .values(
                    id=str(uuid.uuid4()),
                    workspace_id=connection.workspace_id,
                    connection_id=connection.id,
                    draft_id=view.draft.id,
                    conversation_id=job.conversation_id,
                    channel=channel,
                    ts=ts,
                    shown_state=view.draft.state,
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["connection_id", "draft_id"])
            )

    async def _refresh(self, connection: Connection, job: SlackJob) -> None:
        assert job.draft_id is not None
        async with self.db.reader() as s:
            card = (
                await s.execute(
                    select(SlackCard).where(
                        SlackCard.connection_id == connection.id, SlackCard.draft_id == job.draft_id
                    )
                )
            ).scalar_one_or_none()
        view = await cards.load_view(self.db, connection_id=connection.id, draft_id=job.draft_id)
        if card is None or view is None:
            return  # not posted yet: the card job renders the current state when it runs
        client = self.connections.client(connection)
        await client.chat_update(
            channel=card.channel, ts=card.ts, text=cards.fallback_text(view), blocks=cards.blocks(view)
        )
        async with self.db.session() as s:
            await s.execute(update(SlackCard).where(and_(SlackCard.id == card.id)).values(shown_state=view.draft.state))

    async def _notice(self, connection: Connection, job: SlackJob, text: str) -> None:
        if text:
            await self._post(connection, job.conversation_id, text=text)
