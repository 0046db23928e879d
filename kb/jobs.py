"""Long knowledge-base work (embedding an upload, a crawl, a reindex) as a job row with its progress,
so the API can answer at once and the admin or CLI can show a percentage.

Progress is reported from worker threads (embedding runs off the event loop); it is kept in memory
and written to the job row at most twice a second, not once per batch.

Jobs run in the process that started them. A running job's row gets a heartbeat every
HEARTBEAT_SECONDS; `fail_interrupted` (run by the worker's refresh scan) marks a job whose heartbeat
stopped as failed, with what to do about it, so no job shows `running` forever after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from core.db import Database
from core.messages import utcnow
from kb.ingest.guard import BadDocument
from kb.models import KnowledgeJob
from kb.remote import EmbeddingUnavailable

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.5
HEARTBEAT_SECONDS = 10.0
INTERRUPTED_AFTER = timedelta(seconds=6 * HEARTBEAT_SECONDS)
INTERRUPTED = {
    "ingest": "interrupted: the process embedding it stopped; upload the file again",
    "crawl": "interrupted: the process crawling stopped; the pages stored so far are kept, crawl again for the rest",
    "reindex": "interrupted: the process stopped; the refresh scan embeds the remaining passages",
}


class Tracker:
    """A thread-safe (done, total) pair a job's work reports to."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total


Work = Callable[[Tracker], Awaitable[dict[str, Any]]]


async def create_job(
    db: Database, *, workspace_id: str, kind: str, target: str, collection_id: str | None = None
) -> KnowledgeJob:
    async with db.session() as s:
        job = KnowledgeJob(workspace_id=workspace_id, kind=kind, target=target[:2000], collection_id=collection_id)
        s.add(job)
    return job


async def _write(db: Database, job_id: str, **values: Any) -> None:
    async with db.session() as s:
        await s.execute(update(KnowledgeJob).where(KnowledgeJob.id == job_id).values(**values))


async def run_job(db: Database, job_id: str, work: Work) -> KnowledgeJob:
    """Run `work`, keeping the job row's progress and outcome current. Never raises for the work's
    own failure: the job records it (a BadDocument's message as is, anything else by its type)."""
    tracker = Tracker()
    await _write(db, job_id, state="running", heartbeat_at=utcnow())
    stop = asyncio.Event()

    async def flush() -> None:
        seen, beat = (-1, -1), time.monotonic()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), FLUSH_SECONDS)
            if stop.is_set():
                break
            alive = time.monotonic() - beat >= HEARTBEAT_SECONDS
            if (tracker.done, tracker.total) != seen or alive:
                seen, beat = (tracker.done, tracker.total), time.monotonic()
                try:
                    await _write(db, job_id, done=seen[0], total=seen[1], heartbeat_at=utcnow())
                except Exception:  # a busy database must not fail the job; the next beat tries again
                    log.warning("could not record a job's progress", exc_info=True, extra={"job_id": job_id})

    flusher = asyncio.create_task(flush())
    try:
        result = await work(tracker)
        values: dict[str, Any] = {"state": "done", "result": result, "done": tracker.total, "total": tracker.total}
    except (BadDocument, EmbeddingUnavailable) as exc:
        log.warning("knowledge-base job failed", extra={"job_id": job_id, "why": str(exc)})
        values = {"state": "failed", "error": str(exc)}
    except Exception as exc:
        log.exception("knowledge-base job failed", extra={"job_id": job_id})
        values = {"state": "failed", "error": f"{type(exc).__name__}: {exc}"[:1000]}
    finally:
        stop.set()
        await flusher
    await _write(db, job_id, finished_at=utcnow(), **values)
    return await get_job(db, job_id=job_id)


async def fail_interrupted(db: Database, *, now: datetime | None = None) -> int:
    """Mark failed the jobs whose heartbeat stopped (their process was killed); returns how many."""
    now = now or utcnow()
    failed = 0
    async with db.session() as s:
        for kind, error in INTERRUPTED.items():
            result = await s.execute(
                update(KnowledgeJob)
                .where(
                    KnowledgeJob.state.in_(("pending", "running")),
                    KnowledgeJob.kind == kind,
                    KnowledgeJob.heartbeat_at < now - INTERRUPTED_AFTER,
                )
                .values(state="failed", error=error, finished_at=now)
            )
            failed += getattr(result, "rowcount", 0) or 0
    if failed:
        log.warning("knowledge-base jobs interrupted", extra={"jobs": failed})
    return failed


async def get_job(db: Database, *, job_id: str, workspace_id: str | None = None) -> KnowledgeJob:
    query = select(KnowledgeJob).where(KnowledgeJob.id == job_id)
    if workspace_id is not None:
        query = query.where(KnowledgeJob.workspace_id == workspace_id)
    async with db.reader() as r:
        job = (await r.execute(query)).scalar_one_or_none()
    if job is None:
        raise LookupError("job not found")
    return job


class JobRunner:
    """The process's running jobs: started in the background, awaited (briefly) by the request that
    started them, and cancelled when the process stops."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.tasks: dict[str, asyncio.Task[KnowledgeJob]] = {}

    def start(self, job_id: str, work: Work) -> asyncio.Task[KnowledgeJob]:
        task = asyncio.create_task(run_job(self.db, job_id, work), name=f"kb-job-{job_id}")
        self.tasks[job_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(job_id, None))
        return task

    async def wait(self, task: asyncio.Task[KnowledgeJob], seconds: float) -> KnowledgeJob | None:
        """The finished job, or None if it is still running after `seconds` (it goes on regardless)."""
        done, _ = await asyncio.wait({task}, timeout=seconds)
        return task.result() if done else None

    async def close(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()
        if self.tasks:
            await asyncio.wait(list(self.tasks.values()), timeout=5)
