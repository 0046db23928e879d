"""Scheduled knowledge-base work: re-crawls, and re-embedding after a change of embedding model.

Each collection's `refresh` (off, daily, weekly) applies to its websites. Passages embedded by another
model than their workspace's current one (kb/embedders.py) are not comparable (the index searches
them by keyword only), so they are embedded again.

APScheduler only wakes the scan; what is due is read from the database (a site's last crawl and its
collection's refresh). A site is claimed by moving its `last_crawled_at` with a guarded UPDATE, so
with several worker processes exactly one crawls it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, or_, select, update

from core.db import Database
from core.messages import utcnow
from kb.crawl import Limits
from kb.embedders import Embedders
from kb.embeddings import LOCAL_MODEL
from kb.jobs import INTERRUPTED, INTERRUPTED_AFTER, JobRunner, Tracker, create_job, fail_interrupted
from kb.models import KnowledgeChunk, KnowledgeCollection, KnowledgeJob, KnowledgeSettings, KnowledgeSite
from kb.sites import crawl_site
from kb.store import reembed_workspace

log = logging.getLogger(__name__)
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
RETRY_FAILED = timedelta(minutes=30)  # after a failed reindex (its endpoint down), before the scan tries again


class SiteRefresher:
    def __init__(
        self, db: Database, jobs: JobRunner, limits: Limits, embedders: Embedders, *, every_seconds: float
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.limits = limits
        self.embedders = embedders
        self.every_seconds = every_seconds
        self._aps: AsyncIOScheduler | None = None
        self._reembedding: set[str] = set()

    async def due(self, now: datetime | None = None) -> list[tuple[str, datetime | None]]:
        """(site id, last crawl) of every site whose collection's refresh period has passed."""
        now = now or utcnow()
        found: list[tuple[str, datetime | None]] = []
        async with self.db.reader() as r:
            for refresh, period in PERIODS.items():
                rows = await r.execute(
                    select(KnowledgeSite.id, KnowledgeSite.last_crawled_at)
                    .join(KnowledgeCollection, KnowledgeCollection.id == KnowledgeSite.collection_id)
                    .where(
                        KnowledgeCollection.refresh == refresh,
                        or_(KnowledgeSite.last_crawled_at.is_(None), KnowledgeSite.last_crawled_at <= now - period),
                    )
                )
                found += [(site_id, last) for site_id, last in rows.all()]
        return found

    async def claim(self, site_id: str, last: datetime | None) -> bool:
        guard = KnowledgeSite.last_crawled_at.is_(None) if last is None else KnowledgeSite.last_crawled_at == last
        async with self.db.session() as s:
            result = await s.execute(
                update(KnowledgeSite).where(KnowledgeSite.id == site_id, guard).values(last_crawled_at=utcnow())
            )
            return bool(getattr(result, "rowcount", 0))

    async def stale(self, workspace_id: str | None = None) -> list[str]:
        """The workspaces with passages embedded by another model than their current one."""
        current = func.coalesce(KnowledgeSettings.embed_model, LOCAL_MODEL)
        query = (
            select(KnowledgeChunk.workspace_id)
            .outerjoin(KnowledgeSettings, KnowledgeSettings.workspace_id == KnowledgeChunk.workspace_id)
            .where(KnowledgeChunk.embed_model != current)
            .distinct()
        )
        if workspace_id is not None:
            query = query.where(KnowledgeChunk.workspace_id == workspace_id)
        async with self.db.reader() as r:
            return list((await r.execute(query)).scalars())

    async def _leave_alone(self, workspace_id: str) -> bool:
        """Whether the scan should not start a reindex now: another process's is running (its
        heartbeat is fresh), or the last one failed recently (the endpoint is down: try again later,
        not every scan)."""
        now = utcnow()
        async with self.db.reader() as r:
            last = (
                await r.execute(
                    select(KnowledgeJob)
                    .where(KnowledgeJob.workspace_id == workspace_id, KnowledgeJob.kind == "reindex")
                    .order_by(KnowledgeJob.created_at.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        if last is None:
            return False
        if last.state in ("pending", "running"):
            return last.heartbeat_at is not None and last.heartbeat_at >= now - INTERRUPTED_AFTER
        if last.state != "failed" or last.error == INTERRUPTED["reindex"]:
            return False  # done, or cut short by a stopped process: the rest is due now
        return last.finished_at is not None and last.finished_at >= now - RETRY_FAILED

    async def reembed_stale(self, workspace_id: str | None = None) -> list[str]:
        """Start a reindex job for each workspace with passages from another model; returns the job
        ids. The scan (no `workspace_id`) leaves a workspace alone while another process re-embeds it
        or for a while after a failure; an owner's change of model (`workspace_id`) starts at once."""
        started = []
        for stale_workspace in await self.stale(workspace_id):
            if stale_workspace in self._reembedding:
                continue  # this process is on it already
            if workspace_id is None and await self._leave_alone(stale_workspace):
                continue
            self._reembedding.add(stale_workspace)
            job = await create_job(
                self.db, workspace_id=stale_workspace, kind="reindex", target="passages from another embedding model"
            )

            async def work(tracker: Tracker, workspace_id: str = stale_workspace) -> dict[str, object]:
                try:
                    embedded = await reembed_workspace(
                        self.db, workspace_id=workspace_id, embedders=self.embedders, progress=tracker
                    )
                finally:
                    self._reembedding.discard(workspace_id)
                return {"embedded": embedded}

            self.jobs.start(job.id, work)
            started.append(job.id)
        return started

    async def tick(self) -> list[str]:
        """Start a crawl job for every due site this process claims, and a reindex job for documents
        embedded by another model; returns the job ids."""
        started = []
        try:
            await fail_interrupted(self.db)
        except Exception:
            log.exception("knowledge-base job sweep failed")
        try:
            started += await self.reembed_stale()
        except Exception:
            log.exception("knowledge-base re-embedding scan failed")
        try:
            for site_id, last in await self.due():
                if not await self.claim(site_id, last):
                    continue  # another process took it
                async with self.db.reader() as r:
                    site = await r.get(KnowledgeSite, site_id)
                if site is None:
                    continue
                job = await create_job(
                    self.db,
                    workspace_id=site.workspace_id,
                    kind="crawl",
                    target=site.start_url,
                    collection_id=site.collection_id,
                )

                async def work(tracker: Tracker, site_id: str = site_id) -> dict[str, object]:
                    return await crawl_site(
                        self.db, site_id=site_id, limits=self.limits, embedders=self.embedders, progress=tracker
                    )

                self.jobs.start(job.id, work)
                started.append(job.id)
        except Exception:
            log.exception("knowledge-base refresh scan failed")
        return started

    def start(self) -> None:
        """Start waking up (call inside the running event loop)."""
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.add_job(
            self.tick,
            IntervalTrigger(seconds=self.every_seconds),
            id="kb-refresh",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC) + timedelta(seconds=min(30.0, self.every_seconds)),
        )
        self._aps.start()

    async def stop(self) -> None:
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None
