"""The scheduler: APScheduler (AsyncIOScheduler) wakes a tick every few seconds; the work is rows.

Each tick runs the rule jobs that are due (webhooks, follow-ups: the leased queue lets every worker
take a share) and, on the leader only, scans for scheduled triggers. On PostgreSQL the leader is
whoever holds a session advisory lock on a connection of its own; if that process dies its
connection closes, the lock is released, and another worker's next tick takes over. On SQLite (one
machine) every scheduler leads; occasions are claimed in the log, so none fires twice either way.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import Database
from rules.jobs import JobRunner
from rules.scanner import Scanner

log = logging.getLogger(__name__)

LEADER_LOCK = 7250413  # pg advisory lock key (core.migrate uses 7250412)
JOB_ID = "frontdesk-rules"


class Leadership:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: AsyncConnection | None = None

    @property
    def is_leader(self) -> bool:
        return self._conn is not None or self.db.is_sqlite

    async def acquire(self) -> bool:
        """True while this process leads: keep the lock if held and alive, else try to take it."""
        if self.db.is_sqlite:
            return True
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except Exception:
                log.warning("scheduler leader lost its connection; stepping down")
                await self.release()
        conn = await self.db.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK})).scalar())
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        log.info("this process is now the rules scheduler leader")
        self._conn = conn
        return True

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK})
            with contextlib.suppress(Exception):
                await conn.close()


class RuleScheduler:
    def __init__(self, scanner: Scanner, jobs: JobRunner, leadership: Leadership, *, every_seconds: float) -> None:
        self.scanner = scanner
        self.jobs = jobs
        self.leadership = leadership
        self.every_seconds = every_seconds
        self._aps: AsyncIOScheduler | None = None

    async def tick(self) -> None:
        try:
            await self.jobs.run_due()
        except Exception:
            log.exception("running rule jobs failed")
        try:
            if await self.leadership.acquire():
                await self.scanner.scan()
                await self.scanner.prune()
        except Exception:
            log.exception("scanning scheduled rules failed")

    def start(self) -> None:
        """Start waking up (call inside the running event loop)."""
        # APScheduler logs each run at INFO: every few seconds, forever. Its warnings still show.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.add_job(
            self.tick,
            IntervalTrigger(seconds=self.every_seconds),
            id=JOB_ID,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        self._aps.start()

    def poke(self) -> None:
        """Run a tick now (a webhook was queued), not at the next interval."""
        if self._aps is not None and self._aps.running:
            with contextlib.suppress(Exception):
                self._aps.modify_job(JOB_ID, next_run_time=datetime.now(UTC))

    async def stop(self) -> None:
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None
        await self.leadership.release()
