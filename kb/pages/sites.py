"""Websites in a collection: add one with its crawl limits (max pages, depth; its path is the
scope) and the collection's refresh schedule, crawl it again, remove it with its pages. Validated
with the API's SiteCreate and CollectionUpdate; crawled by kb.service as `POST /knowledge-base/sites`."""

from __future__ import annotations

import contextlib

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.web.errors import not_found
from admin.web.pages import page_router, see_other
from admin.web.session import CurrentAdmin
from core.db import Database
from core.web import Db
from kb import service, store
from kb.api.deps import CrawlLimits, Jobs, Settings, WorkspaceEmbedders
from kb.api.schemas import CollectionUpdate, SiteCreate
from kb.crawl import CrawlRefused
from kb.models import KnowledgeSite
from kb.pages.collections import show
from kb.pages.common import HOME, collection_or_404, form_fields, problem

router = page_router()


@router.post(HOME + "/collections/{collection_id}/sites")
async def add_site(
    collection_id: str,
    request: Request,
    db: Db,
    me: CurrentAdmin,
    jobs: Jobs,
    embedders: WorkspaceEmbedders,
    limits: CrawlLimits,
    settings: Settings,
) -> Response:
    collection = await collection_or_404(db, me.workspace_id, collection_id)
    form = await form_fields(request, "url", "max_pages", "max_depth", "refresh")
    try:
        body = SiteCreate.model_validate(
            {
                "url": form["url"].strip(),
                "collection_id": collection.id,
                "max_pages": form["max_pages"] or 50,
                "max_depth": form["max_depth"] or 3,
            }
        )
        schedule = CollectionUpdate.model_validate({"refresh": form["refresh"] or collection.refresh})
    except ValidationError as exc:
        return await show(request, db, me, collection.id, status=422, site_error=problem(exc), sent=form)
    try:
        site = await service.add_site(
            db, workspace_id=me.workspace_id, url=body.url, collection_id=collection.id,
            allow_private=settings.kb_crawl_allow_private, max_pages=body.max_pages, max_depth=body.max_depth,
        )  # fmt: skip
    except CrawlRefused as exc:
        return await show(request, db, me, collection.id, status=422, site_error=str(exc), sent=form)
    if schedule.refresh != collection.refresh:
        async with db.session() as s:
            await service.update_collection(
                s, workspace_id=me.workspace_id, collection_id=collection.id, changes=schedule.changes()
            )
    await service.crawl_in_job(db, jobs, site=site, limits=limits, embedders=embedders)
    return see_other(f"{HOME}/collections/{collection.id}?done=crawling")


async def _site_or_404(db: Database, workspace_id: str, site_id: str) -> KnowledgeSite:
    async with db.reader() as s:
        found = await service.site(s, workspace_id=workspace_id, site_id=site_id[:64])
    if found is None:
        raise not_found("There is no such website in this workspace.")
    return found


@router.post(HOME + "/sites/{site_id}/crawl")
async def crawl(
    site_id: str, db: Db, me: CurrentAdmin, jobs: Jobs, embedders: WorkspaceEmbedders, limits: CrawlLimits
) -> Response:
    site = await _site_or_404(db, me.workspace_id, site_id)
    await service.crawl_in_job(db, jobs, site=site, limits=limits, embedders=embedders)
    return see_other(f"{HOME}/collections/{site.collection_id}?done=crawling")


@router.post(HOME + "/sites/{site_id}/delete")
async def remove(site_id: str, db: Db, me: CurrentAdmin) -> Response:
    site = await _site_or_404(db, me.workspace_id, site_id)
    with contextlib.suppress(store.NotFound):  # removed meanwhile
        await service.remove_site(db, workspace_id=me.workspace_id, site_id=site.id)
    return see_other(f"{HOME}/collections/{site.collection_id}?done=site_removed")
