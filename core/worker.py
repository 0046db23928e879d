"""The worker: claims inbox rows and runs each through the pipeline, a bounded number at a time.

Turns of one conversation run in order (the queue hands out one per conversation); turns of
different conversations run concurrently, so one slow conversation never holds up the others.
A claim's lease is renewed while its turn runs; if the process dies, the lease lapses and another
worker retries the turn, whose side effects are keyed by the inbox row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from core.db import Database
from core.messages import utcnow
from core.metrics import INBOX_FAILED
from core.models import InboxItem
from core.notify import StaffAlert, StaffNotifier
from core.pipeline import Pipeline
from core.queue import LeasedQueue, backoff
from core.wakeup import Wakeup

log = logging.getLogger(__name__)


@dataclass
class Worker:
    db: Database
    pipeline: Pipeline
    wakeup: Wakeup
    notifier: StaffNotifier
    worker_id: str
    concurrency: int = 8
    lease_seconds: float = 60.0
    poll_seconds: float = 2.0
    max_attempts: int = 5
    retry_base_seconds: float = 1.0

    def __post_init__(self) -> None:
        self.queue = LeasedQueue(self.db, InboxItem, "processing", self.lease_seconds)
        self._running: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event, *, grace_seconds: float = 10.0) -> None:
        while not stop.is_set():
            claimed = 0
            free = self.concurrency - len(self._running)
            if free > 0:
                try:
                    rows = await self.queue.claim(self.worker_id, free)
                except Exception:
                    log.exception("inbox claim failed")
                    rows = []
                for row in rows:
                    task = asyncio.create_task(self._process(row))
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
                claimed = len(rows)
            if claimed and len(self._running) < self.concurrency:
                continue  # there may be more ready right now
            await self._idle(stop)
        if self._running:
            await asyncio.wait(self._running, timeout=grace_seconds)

    async def _idle(self, stop: asyncio.Event) -> None:
        waits: set[asyncio.Future[Any]] = {
            asyncio.ensure_future(self.wakeup.wait("inbox", self.poll_seconds)),
            asyncio.ensure_future(stop.wait()),
        }
        if self._running:
            waits |= set(self._running)  # a finished turn frees a slot and may unblock its conversation
        _done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for future in pending:
            if future not in self._running:
                future.cancel()

    async def drain(self) -> int:
        """Process everything ready now, then return how many turns ran (tests and `demo`)."""
        total = 0
        while True:
            rows = await self.queue.claim(self.worker_id, self.concurrency)
            if not rows:
                return total
            await asyncio.gather(*(self._process(row) for row in rows))
            total += len(rows)

    async def _heartbeat(self, row_id: int) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            with contextlib.suppress(Exception):
                await self.queue.renew([row_id], self.worker_id)

    async def _process(self, row: InboxItem) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(row.id))
        try:
            turn = await self.pipeline.run(row)
        except Exception as exc:
            heartbeat.cancel()
            await self._failed(row, exc)
            return
        finally:
            heartbeat.cancel()
        try:
            if not turn.inbox_done:  # decide finishes the row itself when it writes a decision
                await self.queue.finish(
                    row.id,
                    self.worker_id,
                    "done",
                    then=lambda s: Wakeup.notify_in(s, "turns", str(row.id)),
                    finished_at=utcnow(),
                    last_error=None,
                )
        except Exception:
            log.exception("could not mark turn done; it will be retried", extra={"inbox_id": row.id})
        self.wakeup.turn_finished(row.id)
        log.debug("turn done", extra={"inbox_id": row.id, "decision": turn.decision})

    async def _failed(self, row: InboxItem, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        if row.attempts < self.max_attempts:
            delay = backoff(row.attempts, base=self.retry_base_seconds, cap=300)
            log.warning(
                "turn failed, will retry", extra={"inbox_id": row.id, "attempt": row.attempts, "error": error[:300]}
            )
            with contextlib.suppress(Exception):
                await self.queue.retry_later(row.id, self.worker_id, delay=delay, error=error)
            return
        log.error("turn failed for good", exc_info=exc, extra={"inbox_id": row.id})
        INBOX_FAILED.inc()
        with contextlib.suppress(Exception):
            await self.queue.finish(
                row.id,
                self.worker_id,
                "failed",
                then=lambda s: Wakeup.notify_in(s, "turns", str(row.id)),
                finished_at=utcnow(),
                last_error=error[:2000],
            )
        self.wakeup.turn_finished(row.id)
        await self.notifier.alert(
            StaffAlert(
                workspace_id=row.workspace_id,
                conversation_id="",
                reason="failed",
                detail=f"inbox {row.id}: {error[:200]}",
            )
        )
