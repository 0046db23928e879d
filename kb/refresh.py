"""Scheduled knowledge-base work: re-crawls, and re-embedding after a change of embedding model.

Each collection's `refresh` (off, daily, weekly) applies to its websites. Passages embedded by another
model than the current one are not comparable (the index leaves them out), so they are embedded again.

APScheduler only wakes the scan; what is due is read from the database (a site's last crawl and its
collection's refresh). A site is claimed by moving its `last_crawled_at` with a guarded UPDATE, so
with several worker processes exactly one crawls it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import or_, select, update

from core.db import Database
from core.messages import utcnow
from kb.crawl import Limits
from kb.embeddings import LOCAL_MODEL
from kb.jobs import JobRunner, Tracker, create_job
from kb.models import KnowledgeChunk, KnowledgeCollection, KnowledgeSite
from kb.sites import crawl_site
from kb.store import reembed_document

log = logging.getLogger(__name__)
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


class SiteRefresher:
    def __init__(self, db: Database, jobs: JobRunner, limits: Limits, *, every_seconds: float) -> None:
        self.db = db
        self.jobs = jobs
        self.limits = limits
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

    async def stale(self, limit: int = 20) -> list[tuple[str, str, str]]:
        """(workspace, collection, document) of documents with passages embedded by another model."""
        async with self.db.reader() as r:
            rows = await r.execute(
                select(KnowledgeChunk.workspace_id, KnowledgeChunk.collection_id, KnowledgeChunk.document_id)
                .where(KnowledgeChunk.embed_model != LOCAL_MODEL)
                .distinct()
                .limit(limit)
            )
            return [(w, c, d) for w, c, d in rows.all()]

    async def reembed_stale(self) -> list[str]:
        started = []
        for workspace_id, collection_id, document_id in await self.stale():
            if document_id in self._reembedding:
                continue  # this process is on it already
            self._reembedding.add(document_id)
            job = await create_job(
                self.db, workspace_id=workspace_id, kind="reindex", target=document_id, collection_id=collection_id
            )

            async def work(tracker: Tracker, document_id: str = document_id) -> dict[str, object]:
                try:
                    embedded = await reembed_document(self.db, document_id=document_id, progress=tracker)
                finally:
                    self._reembedding.discard(document_id)
                return {"document_id": document_id, "embedded": embedded}

            self.jobs.start(job.id, work)
            started.append(job.id)
        return started

    async def tick(self) -> list[str]:
        """Start a crawl job for every due site this process claims, and a reindex job for documents
        embedded by another model; returns the job ids."""
        started = []
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
                    return await crawl_site(self.db, site_id=site_id, limits=self.limits, progress=tracker)

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
