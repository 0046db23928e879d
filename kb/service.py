"""The knowledge base's one entry point: what the admin API and the CLI do with it, each scoped to
one workspace. Collections, documents and uploads, websites, jobs, search and the embedding model.

The work itself is the engine's (kb.store writes documents, kb.sites crawls, kb.jobs runs jobs,
kb.search searches); this module holds the queries and the workflows every face shares, so a face
only turns its input into a call here and the answer into its own output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.models import Assistant
from kb import sites as site_crawls
from kb import store
from kb.crawl import Limits, check_host
from kb.embedders import Embedders, EmbeddingChoice, recorded_model
from kb.index import Hit, Mode
from kb.ingest.guard import BadDocument, check_size
from kb.ingest.readers import Parsed, parse_isolated
from kb.jobs import JobRunner, Tracker, create_job, get_job
from kb.models import KnowledgeCollection, KnowledgeDocument, KnowledgeJob, KnowledgeSite
from kb.refresh import SiteRefresher
from kb.remote import EmbeddingUnavailable
from kb.search import KnowledgeBase

RECENT_JOBS = 50
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class Invalid(ValueError):
    pass


# --- collections -----------------------------------------------------------------------------


async def collections(s: AsyncSession, *, workspace_id: str) -> Sequence[KnowledgeCollection]:
    query = (
        select(KnowledgeCollection)
        .where(KnowledgeCollection.workspace_id == workspace_id)
        .order_by(KnowledgeCollection.created_at, KnowledgeCollection.id)
    )
    return (await s.execute(query)).scalars().all()


async def _check_assistant(s: AsyncSession, workspace_id: str, assistant_id: str | None) -> None:
    if assistant_id is None:
        return
    found = await s.execute(
        select(Assistant.id).where(Assistant.id == assistant_id, Assistant.workspace_id == workspace_id)
    )
    if found.first() is None:
        raise Invalid("assistant_id is not an assistant of this workspace")


async def create_collection(
    s: AsyncSession, *, workspace_id: str, name: str, assistant_id: str | None, refresh: str
) -> KnowledgeCollection:
    await _check_assistant(s, workspace_id, assistant_id)
    embed_model, embed_dim = await recorded_model(s, workspace_id)
    row = KnowledgeCollection(
        workspace_id=workspace_id,
        name=name,
        assistant_id=assistant_id,
        refresh=refresh,
        embed_model=embed_model,
        embed_dim=embed_dim,
    )
    s.add(row)
    await s.flush()
    return row


async def update_collection(
    s: AsyncSession, *, workspace_id: str, collection_id: str, changes: dict[str, Any]
) -> KnowledgeCollection:
    row = await store.get_collection(s, workspace_id=workspace_id, collection_id=collection_id)
    if "assistant_id" in changes:
        await _check_assistant(s, workspace_id, changes["assistant_id"])
    for field, value in changes.items():
        setattr(row, field, value)
    if "assistant_id" in changes:  # who searches it changed: every process rebuilds
        row.version += 1
    await s.flush()
    return row


async def delete_collection(s: AsyncSession, *, workspace_id: str, collection_id: str) -> None:
    row = await store.get_collection(s, workspace_id=workspace_id, collection_id=collection_id)
    await s.delete(row)  # documents and their chunks go with it (ON DELETE CASCADE)


# --- documents -------------------------------------------------------------------------------


async def documents(
    s: AsyncSession,
    *,
    workspace_id: str,
    collection_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = True,
    kinds: Sequence[str] = (),
) -> tuple[int, Sequence[KnowledgeDocument]]:
    """How many documents there are (of `kinds`, if given), and a page of them (all without a `limit`)."""
    where = [KnowledgeDocument.workspace_id == workspace_id]
    if collection_id is not None:
        where.append(KnowledgeDocument.collection_id == collection_id)
    if kinds:
        where.append(KnowledgeDocument.kind.in_(kinds))
    total = (await s.execute(select(func.count()).select_from(KnowledgeDocument).where(*where))).scalar_one()
    created = KnowledgeDocument.created_at.desc() if newest_first else KnowledgeDocument.created_at
    query = select(KnowledgeDocument).where(*where).order_by(created, KnowledgeDocument.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return total, (await s.execute(query)).scalars().all()


async def document(s: AsyncSession, *, workspace_id: str, document_id: str) -> KnowledgeDocument | None:
    return (
        await s.execute(
            select(KnowledgeDocument).where(
                KnowledgeDocument.id == document_id, KnowledgeDocument.workspace_id == workspace_id
            )
        )
    ).scalar_one_or_none()


passages = store.passages  # a document's passages, in order (the document's page shows them)


async def delete_document(db: Database, *, workspace_id: str, document_id: str) -> None:
    """Remove a document and its passages (store.NotFound if it is not this workspace's)."""
    await store.delete_document(db, workspace_id=workspace_id, document_id=document_id)


@dataclass(frozen=True)
class Upload:
    """A file checked and parsed for a workspace's collection, ready to be embedded and stored."""

    workspace_id: str
    collection_id: str | None
    source: str
    parsed: Parsed
    digest: str
    size: int


async def read_upload(
    db: Database, *, workspace_id: str, collection_id: str | None, name: str, data: bytes, max_bytes: int
) -> Upload:
    """Check and parse a file before anything is stored: bad input is the caller's to fix, and must
    not become a failed job. Raises BadDocument (with its 4xx status) or store.NotFound (the
    collection is not this workspace's)."""
    check_size(data, max_bytes)
    async with db.reader() as s:
        await store.find_collection(s, workspace_id, collection_id)
    source = PurePath(name.replace("\\", "/")).name.strip()[:255]
    if not source:
        raise BadDocument("the file needs a name (its extension tells its format)", 400)
    parsed = await parse_isolated(source, data)
    return Upload(workspace_id, collection_id, source, parsed, store.content_hash(data), len(data))


async def store_upload(
    db: Database, upload: Upload, *, embedders: Embedders | None = None, progress: store.Progress | None = None
) -> store.Stored:
    """Embed and store a read upload (re-uploading unchanged content is a no-op)."""
    return await store.store_document(
        db,
        workspace_id=upload.workspace_id,
        collection_id=upload.collection_id,
        source=upload.source,
        kind="file",
        parsed=upload.parsed,
        digest=upload.digest,
        size=upload.size,
        embedders=embedders,
        progress=progress,
    )


async def ingest_file(
    db: Database,
    *,
    workspace_id: str,
    name: str,
    data: bytes,
    collection_id: str | None = None,
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    embedders: Embedders | None = None,
    progress: store.Progress | None = None,
) -> store.Stored:
    """A file into the knowledge base, here and now (the CLI). Raises as read_upload does, before
    storing anything."""
    upload = await read_upload(
        db, workspace_id=workspace_id, collection_id=collection_id, name=name, data=data, max_bytes=max_bytes
    )
    return await store_upload(db, upload, embedders=embedders, progress=progress)


@dataclass(frozen=True)
class Uploading:
    job: KnowledgeJob
    finished: bool  # False: the job goes on in the background
    document: KnowledgeDocument | None = None  # set when the job is done


async def upload_in_job(
    db: Database, jobs: JobRunner, upload: Upload, *, embedders: Embedders, wait_seconds: float
) -> Uploading:
    """Embed and store a read upload as a job, waiting up to `wait_seconds` for it (the API)."""
    job = await create_job(
        db, workspace_id=upload.workspace_id, kind="ingest", target=upload.source, collection_id=upload.collection_id
    )

    async def work(tracker: Tracker) -> dict[str, object]:
        stored = await store_upload(db, upload, embedders=embedders, progress=tracker)
        return {"document_id": stored.document.id, "outcome": stored.outcome, "embedded": stored.embedded}

    finished = await jobs.wait(jobs.start(job.id, work), wait_seconds)
    if finished is None:
        return Uploading(await get_job(db, job_id=job.id), finished=False)
    stored = None
    if finished.state == "done":
        async with db.reader() as s:
            document_id = str(finished.result["document_id"])
            stored = await document(s, workspace_id=upload.workspace_id, document_id=document_id)
    return Uploading(finished, finished=True, document=stored)


async def reindex(
    db: Database, jobs: JobRunner, *, workspace_id: str, document_id: str, embedders: Embedders, wait_seconds: float
) -> KnowledgeJob:
    """Embed a document's passages again as a job (after a change of model), waiting up to
    `wait_seconds` for it. store.NotFound if the document is not this workspace's."""
    async with db.reader() as s:
        found = await document(s, workspace_id=workspace_id, document_id=document_id)
    if found is None:
        raise store.NotFound("document not found")
    job = await create_job(
        db, workspace_id=workspace_id, kind="reindex", target=found.source, collection_id=found.collection_id
    )

    async def work(tracker: Tracker) -> dict[str, object]:
        count = await store.reembed_document(db, document_id=document_id, embedders=embedders, progress=tracker)
        return {"document_id": document_id, "embedded": count}

    task = jobs.start(job.id, work)
    return await jobs.wait(task, wait_seconds) or await get_job(db, job_id=job.id)


# --- websites --------------------------------------------------------------------------------


async def sites(s: AsyncSession, *, workspace_id: str) -> Sequence[KnowledgeSite]:
    query = select(KnowledgeSite).where(KnowledgeSite.workspace_id == workspace_id).order_by(KnowledgeSite.created_at)
    return (await s.execute(query)).scalars().all()


async def site(s: AsyncSession, *, workspace_id: str, site_id: str) -> KnowledgeSite | None:
    query = select(KnowledgeSite).where(KnowledgeSite.id == site_id, KnowledgeSite.workspace_id == workspace_id)
    return (await s.execute(query)).scalar_one_or_none()


async def add_site(
    db: Database,
    *,
    workspace_id: str,
    url: str,
    collection_id: str | None,
    allow_private: bool,
    max_pages: int = 50,
    max_depth: int = 3,
) -> KnowledgeSite:
    """A website to crawl into a collection (the same start URL again updates its limits). Raises
    CrawlRefused (not an http(s) URL, or a private address unless allowed) or store.NotFound."""
    await check_host(url, allow_private)
    return await site_crawls.add_site(
        db,
        workspace_id=workspace_id,
        start_url=url,
        collection_id=collection_id,
        max_pages=max_pages,
        max_depth=max_depth,
    )


async def crawl(
    db: Database, *, site_id: str, limits: Limits, embedders: Embedders, progress: store.Progress | None = None
) -> dict[str, Any]:
    """Crawl a site now and bring its pages up to date; what was created, updated, removed, skipped."""
    return await site_crawls.crawl_site(db, site_id=site_id, limits=limits, embedders=embedders, progress=progress)


async def crawl_in_job(
    db: Database, jobs: JobRunner, *, site: KnowledgeSite, limits: Limits, embedders: Embedders
) -> KnowledgeJob:
    """Start crawling a site as a job; answers the job at once."""
    job = await create_job(
        db, workspace_id=site.workspace_id, kind="crawl", target=site.start_url, collection_id=site.collection_id
    )

    async def work(tracker: Tracker) -> dict[str, object]:
        return await crawl(db, site_id=site.id, limits=limits, embedders=embedders, progress=tracker)

    jobs.start(job.id, work)
    return await get_job(db, job_id=job.id)


async def remove_site(db: Database, *, workspace_id: str, site_id: str) -> None:
    """Stop crawling a site and remove its pages (store.NotFound if it is not this workspace's)."""
    async with db.reader() as s:
        found = await site(s, workspace_id=workspace_id, site_id=site_id)
    if found is None:
        raise store.NotFound("site not found")
    await site_crawls.remove_site(db, site_id=found.id)


# --- jobs, search and the embedding model ----------------------------------------------------


async def jobs(s: AsyncSession, *, workspace_id: str, collection_id: str | None = None) -> Sequence[KnowledgeJob]:
    where = [KnowledgeJob.workspace_id == workspace_id]
    where += [KnowledgeJob.collection_id == collection_id] if collection_id is not None else []
    query = (
        select(KnowledgeJob).where(*where).order_by(KnowledgeJob.created_at.desc(), KnowledgeJob.id).limit(RECENT_JOBS)
    )
    return (await s.execute(query)).scalars().all()


async def job(db: Database, *, workspace_id: str, job_id: str) -> KnowledgeJob:
    """A job of this workspace with its progress (LookupError if there is none)."""
    return await get_job(db, job_id=job_id, workspace_id=workspace_id)


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    threshold: float  # the similarity a passage needs for the drafter to answer with it


async def search(
    knowledge: KnowledgeBase,
    *,
    workspace_id: str,
    query: str,
    k: int,
    mode: Mode,
    default_threshold: float,
    assistant_id: str | None = None,
) -> Found:
    """Passages for a question as the assistant finds them, with the threshold it answers from."""
    hits = await knowledge.search(workspace_id, query, assistant_id=assistant_id, k=k, mode=mode)
    return Found(hits, knowledge.answer_threshold(workspace_id, default_threshold))


async def embedding(db: Database, embedders: Embedders, *, workspace_id: str) -> dict[str, Any]:
    """The workspace's embedding model as its owner sees it (the api key redacted)."""
    async with db.reader() as s:
        return await embedders.describe(s, workspace_id)


async def choose_embedding(
    embedders: Embedders, refresher: SiteRefresher, *, workspace_id: str, choice: EmbeddingChoice
) -> list[str]:
    """Check and save the workspace's embedding model (ChoiceRefused if it does not work), then start
    embedding its passages again in jobs (the API); returns the job ids."""
    await embedders.choose(workspace_id, choice)
    return await refresher.reembed_stale(workspace_id)


async def choose_embedding_now(
    db: Database,
    embedders: Embedders,
    *,
    workspace_id: str,
    choice: EmbeddingChoice,
    progress: store.Progress | None = None,
) -> tuple[int, str | None]:
    """Check and save the workspace's embedding model (ChoiceRefused if it does not work), then embed
    its passages again here and now (the CLI): how many, and why it stopped short if it did (the
    worker's refresh scan embeds the rest)."""
    await embedders.choose(workspace_id, choice)
    try:
        embedded = await store.reembed_workspace(db, workspace_id=workspace_id, embedders=embedders, progress=progress)
    except EmbeddingUnavailable as exc:
        return 0, f"{exc}; the worker will try again"
    return embedded, None
