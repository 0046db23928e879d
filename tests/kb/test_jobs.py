"""Knowledge-base jobs whose process stopped midway are marked failed with what to do, not left
`running` forever; a job that is still running keeps its heartbeat and is left alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.db import Database
from core.messages import utcnow
from kb import jobs
from kb.jobs import JobRunner, Tracker, create_job, fail_interrupted, get_job
from kb.models import KnowledgeJob
from tests.support import new_workspace


async def test_a_job_whose_process_stopped_is_marked_failed(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.1)
    db = Database(db_url)
    runner = JobRunner(db)
    try:
        ws = (await new_workspace(db)).workspace
        dead = await create_job(db, workspace_id=ws.id, kind="ingest", target="menu.pdf")
        async with db.session() as s:  # as a killed process leaves it
            await s.execute(
                update(KnowledgeJob)
                .where(KnowledgeJob.id == dead.id)
                .values(state="running", heartbeat_at=utcnow() - timedelta(minutes=2))
            )

        release = asyncio.Event()

        async def slow(tracker: Tracker) -> dict[str, object]:
            await release.wait()  # no progress reported: only the heartbeat moves
            return {}

        live = await create_job(db, workspace_id=ws.id, kind="crawl", target="https://example.com/")
        task = runner.start(live.id, slow)
        await asyncio.sleep(0.05)
        first_beat = (await get_job(db, job_id=live.id)).heartbeat_at
        await asyncio.sleep(0.8)
        running = await get_job(db, job_id=live.id)
        assert running.state == "running" and first_beat and running.heartbeat_at and running.heartbeat_at > first_beat

        assert await fail_interrupted(db) == 1
        failed = await get_job(db, job_id=dead.id)
        assert failed.state == "failed" and failed.finished_at is not None
        assert failed.error == "interrupted: the process embedding it stopped; upload the file again"
        # Much later, a job still running in a live process is not touched.
        assert await fail_interrupted(db, now=utcnow() + timedelta(seconds=30)) == 0
        release.set()
        assert (await task).state == "done"
    finally:
        await runner.close()
        await db.dispose()


async def test_the_scan_leaves_a_reindex_to_the_process_running_it_and_waits_after_a_failure(db_url: str) -> None:
    from kb.crawl import Limits
    from kb.demo import seed_demo_faq
    from kb.embedders import Embedders
    from kb.models import KnowledgeChunk
    from kb.refresh import SiteRefresher
    from kb.store import bump_version

    db = Database(db_url)
    runner = JobRunner(db)
    try:
        ws = (await new_workspace(db)).workspace
        stored = await seed_demo_faq(db, workspace_id=ws.id)
        async with db.session() as s:  # passages of another model: a reindex is due
            await s.execute(update(KnowledgeChunk).values(embed_model="old-model", embedding=b"\0" * 16, embed_dim=4))
            await bump_version(s, stored.document.collection_id)
        scan = SiteRefresher(db, runner, Limits(), Embedders(db), every_seconds=60)

        elsewhere = await create_job(db, workspace_id=ws.id, kind="reindex", target="passages")
        async with db.session() as s:  # another process's, alive
            await s.execute(update(KnowledgeJob).where(KnowledgeJob.id == elsewhere.id).values(state="running"))
        assert await scan.tick() == []

        async with db.session() as s:  # that process died: the scan marks its job failed and takes over
            await s.execute(
                update(KnowledgeJob)
                .where(KnowledgeJob.id == elsewhere.id)
                .values(heartbeat_at=utcnow() - timedelta(minutes=2))
            )
        [taken_over] = await scan.tick()
        assert (await get_job(db, job_id=elsewhere.id)).state == "failed"
        assert (await runner.tasks[taken_over]).state == "done"
        assert await scan.stale() == []

        failed = await create_job(db, workspace_id=ws.id, kind="reindex", target="passages")
        async with db.session() as s:  # stale again, and the last reindex failed a minute ago
            await s.execute(update(KnowledgeChunk).values(embed_model="old-model"))
            await s.execute(
                update(KnowledgeJob)
                .where(KnowledgeJob.id == failed.id)
                .values(state="failed", error="the embeddings endpoint answered HTTP 503", finished_at=utcnow())
            )
        assert await scan.tick() == []  # not every scan while the endpoint is down
        assert len(await scan.reembed_stale(ws.id)) == 1  # an owner's change of model starts at once
    finally:
        await runner.close()
        await db.dispose()
