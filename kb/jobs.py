"""Long knowledge-base work (embedding an upload, a crawl, a reindex) as a job row with its progress,
so the API can answer at once and the admin or CLI can show a percentage.

Progress is reported from worker threads (embedding runs off the event loop); it is kept in memory
and written to the job row at most twice a second, not once per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select, update

from core.db import Database
from core.messages import utcnow
from kb.ingest.guard import BadDocument
from kb.models import KnowledgeJob
from kb.remote import EmbeddingUnavailable

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.5


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
    await _write(db, job_id, state="running")
    stop = asyncio.Event()

    async def flush() -> None:
        seen = (-1, -1)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), FLUSH_SECONDS)
            if (tracker.done, tracker.total) != seen and not stop.is_set():
                seen = (tracker.done, tracker.total)
                await _write(db, job_id, done=seen[0], total=seen[1])

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
