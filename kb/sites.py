"""Websites in the knowledge base: crawl a site into a collection, page by page, and crawl it again.

Each page is a document whose source is its URL. Crawling again re-embeds only pages whose main
text changed (content hash), and removes the pages the site no longer has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from core.db import Database
from core.messages import utcnow
from kb.crawl import Crawler, Limits, Report, scope_of
from kb.embedders import Embedders
from kb.ingest.readers import Parsed
from kb.models import KnowledgeDocument, KnowledgeSite
from kb.store import content_hash, delete_document, get_collection, store_document

Progress = Callable[[int, int], None]


async def add_site(
    db: Database, *, workspace_id: str, start_url: str, collection_id: str | None, max_pages: int, max_depth: int
) -> KnowledgeSite:
    scope_of(start_url)  # CrawlRefused for anything but an http(s) URL
    async with db.session() as s:
        collection = await get_collection(s, workspace_id=workspace_id, collection_id=collection_id)
        site = (
            await s.execute(
                select(KnowledgeSite).where(
                    KnowledgeSite.collection_id == collection.id, KnowledgeSite.start_url == start_url
                )
            )
        ).scalar_one_or_none()
        if site is None:
            site = KnowledgeSite(workspace_id=workspace_id, collection_id=collection.id, start_url=start_url)
            s.add(site)
        site.max_pages, site.max_depth = max_pages, max_depth
        await s.flush()
    return site


async def crawl_site(
    db: Database,
    *,
    site_id: str,
    limits: Limits,
    embedders: Embedders | None = None,
    progress: Progress | None = None,
    transport: Any = None,
) -> dict[str, Any]:
    """Crawl the site and bring its pages in the knowledge base up to date."""
    async with db.reader() as r:
        site = await r.get(KnowledgeSite, site_id)
        if site is None:
            raise LookupError("site not found")
    model = await (embedders or Embedders(db)).embedder(site.workspace_id)
    limits = Limits(**{**limits.__dict__, "max_pages": site.max_pages, "max_depth": site.max_depth})
    report = Report()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
    seen: set[str] = set()
    try:
        async with httpx.AsyncClient(timeout=limits.timeout_seconds, transport=transport) as client:
            async for page in Crawler(client, limits).crawl(site.start_url, report):
                stored = await store_document(
                    db,
                    workspace_id=site.workspace_id,
                    collection_id=site.collection_id,
                    source=page.url,
                    kind="page",
                    parsed=Parsed(page.title, "text/html", page.sections),
                    digest=content_hash(page.markdown),
                    size=len(page.markdown.encode()),
                    url=page.url,
                    model=model,
                )
                counts[stored.outcome] += 1
                seen.add(page.url)
                if progress is not None:
                    progress(len(seen), limits.max_pages)
        if seen:  # a crawl that found nothing (site down) must not empty the knowledge base
            counts["removed"] = await _remove_gone(db, site, seen)
        error = None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
        raise
    finally:
        async with db.session() as s:
            row = await s.get(KnowledgeSite, site_id)
            if row is not None:
                row.last_crawled_at, row.pages = utcnow(), len(seen)
                row.last_error = error if error else (None if seen else "no page could be read")
    return {"site_id": site_id, "pages": len(seen), **counts, "skipped": report.skipped}


async def remove_site(db: Database, *, site_id: str) -> None:
    """Forget a website and the pages crawled from it."""
    async with db.reader() as r:
        site = await r.get(KnowledgeSite, site_id)
    if site is None:
        return
    await _remove_gone(db, site, set())
    async with db.session() as s:
        row = await s.get(KnowledgeSite, site_id)
        if row is not None:
            await s.delete(row)


async def _remove_gone(db: Database, site: KnowledgeSite, seen: set[str]) -> int:
    scheme, host, prefix = scope_of(site.start_url)
    base = f"{scheme}://{host}{prefix}"
    async with db.reader() as r:
        rows = await r.execute(
            select(KnowledgeDocument.id, KnowledgeDocument.source).where(
                KnowledgeDocument.collection_id == site.collection_id, KnowledgeDocument.kind == "page"
            )
        )
        gone = [doc_id for doc_id, source in rows.all() if source.startswith(base) and source not in seen]
    for doc_id in gone:
        await delete_document(db, workspace_id=site.workspace_id, document_id=doc_id)
    return len(gone)
