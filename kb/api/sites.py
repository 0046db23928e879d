"""/knowledge-base/sites: websites crawled into the knowledge base, crawled again on demand or by
their collection's refresh schedule."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from admin.common import not_found
from admin.deps import CurrentCaller, require_admin
from core.web import Db
from kb import service, store
from kb.api.deps import CrawlLimits, Jobs, Settings, WorkspaceEmbedders
from kb.api.schemas import JobPublic, SiteCreate, SitePublic
from kb.crawl import CrawlRefused

router = APIRouter()


@router.get("/sites", response_model=list[SitePublic], summary="Websites crawled into the knowledge base")
async def list_sites(caller: CurrentCaller, db: Db) -> list[SitePublic]:
    async with db.reader() as s:
        return [SitePublic.model_validate(x) for x in await service.sites(s, workspace_id=caller.workspace_id)]


@router.post(
    "/sites",
    status_code=202,
    response_model=JobPublic,
    summary="Crawl a website (same host and path, robots.txt, sitemap.xml, page/depth/size/rate limits)",
)
async def add_site(
    body: SiteCreate,
    caller: CurrentCaller,
    db: Db,
    jobs: Jobs,
    embedders: WorkspaceEmbedders,
    limits: CrawlLimits,
    settings: Settings,
) -> JobPublic:
    require_admin(caller)
    try:
        site = await service.add_site(
            db,
            workspace_id=caller.workspace_id,
            url=body.url,
            collection_id=body.collection_id,
            allow_private=settings.kb_crawl_allow_private,
            max_pages=body.max_pages,
            max_depth=body.max_depth,
        )
    except CrawlRefused as exc:
        raise HTTPException(422, str(exc)) from exc
    except store.NotFound as exc:
        raise not_found("collection") from exc
    return JobPublic.of(await service.crawl_in_job(db, jobs, site=site, limits=limits, embedders=embedders))


@router.post("/sites/{site_id}/crawl", status_code=202, response_model=JobPublic, summary="Crawl again now")
async def recrawl(
    site_id: str, caller: CurrentCaller, db: Db, jobs: Jobs, embedders: WorkspaceEmbedders, limits: CrawlLimits
) -> JobPublic:
    require_admin(caller)
    async with db.reader() as s:
        site = await service.site(s, workspace_id=caller.workspace_id, site_id=site_id)
    if site is None:
        raise not_found("site")
    return JobPublic.of(await service.crawl_in_job(db, jobs, site=site, limits=limits, embedders=embedders))


@router.delete("/sites/{site_id}", status_code=204, summary="Stop crawling a site and remove its pages")
async def remove_site(site_id: str, caller: CurrentCaller, db: Db) -> Response:
    require_admin(caller)
    try:
        await service.remove_site(db, workspace_id=caller.workspace_id, site_id=site_id)
    except store.NotFound as exc:
        raise not_found("site") from exc
    return Response(status_code=204)
