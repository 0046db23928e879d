"""/knowledge-base: collections, documents (upload, list, delete, reindex), jobs and search.

Uploads are checked and parsed in the request, so bad input gets its 4xx at once; embedding and
storing run as a job. The request waits a few seconds for it (most files are done by then: 201),
and otherwise answers 202 with the job to poll.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from admin.common import Page, Paging, conflict, not_found, paging
from admin.deps import Caller, CallerDependency, require_owner
from kb import service, sites, store
from kb.api.schemas import (
    CollectionCreate,
    CollectionPublic,
    CollectionUpdate,
    DocumentPublic,
    EmbeddingPublic,
    EmbeddingUpdate,
    JobPublic,
    SearchMode,
    SearchPublic,
    SearchResult,
    SiteCreate,
    SitePublic,
    UploadPublic,
)
from kb.crawl import CrawlRefused, check_host
from kb.embedders import ChoiceRefused
from kb.ingest.guard import BadDocument
from kb.jobs import Tracker, create_job, get_job
from kb.models import KnowledgeSite
from kb.sites import crawl_site

if TYPE_CHECKING:
    from bot.runtime import Runtime

MAX_QUERY = 1000


def build_router(runtime: Runtime, current_caller: CallerDependency) -> APIRouter:
    db, jobs, knowledge = runtime.db, runtime.kb_jobs, runtime.knowledge
    settings = runtime.settings
    router = APIRouter(prefix="/knowledge-base", tags=["knowledge base"])

    # --- collections -------------------------------------------------------------------------

    @router.get("/collections", response_model=list[CollectionPublic])
    async def list_collections(caller: Caller = Depends(current_caller)) -> list[CollectionPublic]:
        async with db.reader() as s:
            rows = await service.collections(s, workspace_id=caller.workspace_id)
        return [CollectionPublic.model_validate(c) for c in rows]

    @router.post("/collections", status_code=201, response_model=CollectionPublic)
    async def create_collection(body: CollectionCreate, caller: Caller = Depends(current_caller)) -> CollectionPublic:
        require_owner(caller)
        try:
            async with db.session() as s:
                row = await service.create_collection(s, workspace_id=caller.workspace_id, data=body)
        except IntegrityError as exc:
            raise conflict("a collection with that name exists") from exc
        except service.Invalid as exc:
            raise HTTPException(422, str(exc)) from exc
        return CollectionPublic.model_validate(row)

    @router.patch("/collections/{collection_id}", response_model=CollectionPublic)
    async def update_collection(
        collection_id: str, body: CollectionUpdate, caller: Caller = Depends(current_caller)
    ) -> CollectionPublic:
        require_owner(caller)
        try:
            async with db.session() as s:
                row = await service.update_collection(
                    s, workspace_id=caller.workspace_id, collection_id=collection_id, changes=body.changes()
                )
        except store.NotFound as exc:
            raise not_found("collection") from exc
        except IntegrityError as exc:
            raise conflict("a collection with that name exists") from exc
        except service.Invalid as exc:
            raise HTTPException(422, str(exc)) from exc
        return CollectionPublic.model_validate(row)

    @router.delete("/collections/{collection_id}", status_code=204)
    async def delete_collection(collection_id: str, caller: Caller = Depends(current_caller)) -> Response:
        require_owner(caller)
        try:
            async with db.session() as s:
                await service.delete_collection(s, workspace_id=caller.workspace_id, collection_id=collection_id)
        except store.NotFound as exc:
            raise not_found("collection") from exc
        return Response(status_code=204)

    # --- documents ---------------------------------------------------------------------------

    @router.get("/documents", response_model=Page[DocumentPublic])
    async def list_documents(
        collection_id: str | None = Query(None, max_length=64),
        page: Paging = Depends(paging),
        caller: Caller = Depends(current_caller),
    ) -> Page[DocumentPublic]:
        async with db.reader() as s:
            total, rows = await service.documents(
                s, workspace_id=caller.workspace_id, collection_id=collection_id, limit=page.limit, offset=page.offset
            )
        return Page(
            items=[DocumentPublic.model_validate(d) for d in rows], total=total, limit=page.limit, offset=page.offset
        )

    @router.post(
        "/documents",
        status_code=201,
        response_model=UploadPublic,
        responses={202: {"model": UploadPublic, "description": "Still embedding: poll the job"}},
        summary="Upload a PDF, DOCX, Markdown, HTML, TXT, or a CSV/XLSX FAQ sheet (re-uploading unchanged is a no-op)",
    )
    async def upload(
        file: UploadFile = File(...),
        collection_id: str | None = Form(None, max_length=64),
        caller: Caller = Depends(current_caller),
    ) -> UploadPublic | JSONResponse:
        require_owner(caller)
        limit = settings.kb_max_upload_bytes
        data = await file.read(limit + 1)
        name = file.filename or ""
        try:
            from kb.ingest.guard import check_size

            check_size(data, limit)
            async with db.reader() as s:
                await store.find_collection(s, caller.workspace_id, collection_id)
            # Parse now: bad input is the caller's to fix, and must not become a failed job.
            parsed = await service.parse_upload(name, data)
        except BadDocument as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        except store.NotFound as exc:
            raise not_found("collection") from exc
        job = await create_job(
            db, workspace_id=caller.workspace_id, kind="ingest", target=parsed.source, collection_id=collection_id
        )

        async def work(tracker: Tracker) -> dict[str, object]:
            stored = await store.store_document(
                db,
                workspace_id=caller.workspace_id,
                collection_id=collection_id,
                source=parsed.source,
                kind="file",
                parsed=parsed.parsed,
                digest=store.content_hash(data),
                size=len(data),
                embedders=runtime.embedders,
                progress=tracker,
            )
            return {"document_id": stored.document.id, "outcome": stored.outcome, "embedded": stored.embedded}

        finished = await jobs.wait(jobs.start(job.id, work), settings.kb_upload_wait_seconds)
        if finished is None:
            body = UploadPublic(job=JobPublic.of(await get_job(db, job_id=job.id)))
            return JSONResponse(body.model_dump(mode="json"), 202, headers={"Location": f"jobs/{job.id}"})
        if finished.state == "failed":
            raise HTTPException(422, finished.error or "the document could not be stored")
        async with db.reader() as s:
            document = await service.document(
                s, workspace_id=caller.workspace_id, document_id=str(finished.result["document_id"])
            )
        return UploadPublic(
            job=JobPublic.of(finished),
            document=DocumentPublic.model_validate(document) if document else None,
            outcome=finished.result.get("outcome"),
        )

    @router.get("/documents/{document_id}", response_model=DocumentPublic)
    async def get_document(document_id: str, caller: Caller = Depends(current_caller)) -> DocumentPublic:
        async with db.reader() as s:
            document = await service.document(s, workspace_id=caller.workspace_id, document_id=document_id)
        if document is None:
            raise not_found("document")
        return DocumentPublic.model_validate(document)

    @router.delete("/documents/{document_id}", status_code=204)
    async def delete_document(document_id: str, caller: Caller = Depends(current_caller)) -> Response:
        require_owner(caller)
        try:
            await store.delete_document(db, workspace_id=caller.workspace_id, document_id=document_id)
        except store.NotFound as exc:
            raise not_found("document") from exc
        return Response(status_code=204)

    @router.post(
        "/documents/{document_id}/reindex",
        status_code=202,
        response_model=JobPublic,
        summary="Embed the document's passages again (after a change of embedding model)",
    )
    async def reindex(document_id: str, caller: Caller = Depends(current_caller)) -> JobPublic:
        require_owner(caller)
        async with db.reader() as s:
            document = await service.document(s, workspace_id=caller.workspace_id, document_id=document_id)
        if document is None:
            raise not_found("document")
        job = await create_job(
            db,
            workspace_id=caller.workspace_id,
            kind="reindex",
            target=document.source,
            collection_id=document.collection_id,
        )

        async def work(tracker: Tracker) -> dict[str, object]:
            count = await store.reembed_document(
                db, document_id=document_id, embedders=runtime.embedders, progress=tracker
            )
            return {"document_id": document_id, "embedded": count}

        task = jobs.start(job.id, work)
        return JobPublic.of(await jobs.wait(task, settings.kb_upload_wait_seconds) or await get_job(db, job_id=job.id))

    # --- websites ----------------------------------------------------------------------------

    async def crawl_job(caller: Caller, site: KnowledgeSite) -> JobPublic:
        job = await create_job(
            db, workspace_id=caller.workspace_id, kind="crawl", target=site.start_url, collection_id=site.collection_id
        )

        async def work(tracker: Tracker) -> dict[str, object]:
            return await crawl_site(
                db, site_id=site.id, limits=runtime.crawl_limits, embedders=runtime.embedders, progress=tracker
            )

        jobs.start(job.id, work)
        return JobPublic.of(await get_job(db, job_id=job.id))

    @router.get("/sites", response_model=list[SitePublic], summary="Websites crawled into the knowledge base")
    async def list_sites(caller: Caller = Depends(current_caller)) -> list[SitePublic]:
        async with db.reader() as s:
            return [SitePublic.model_validate(x) for x in await service.sites(s, workspace_id=caller.workspace_id)]

    @router.post(
        "/sites",
        status_code=202,
        response_model=JobPublic,
        summary="Crawl a website (same host and path, robots.txt, sitemap.xml, page/depth/size/rate limits)",
    )
    async def add_site(body: SiteCreate, caller: Caller = Depends(current_caller)) -> JobPublic:
        require_owner(caller)
        try:
            await check_host(body.url, settings.kb_crawl_allow_private)
            site = await sites.add_site(
                db,
                workspace_id=caller.workspace_id,
                start_url=body.url,
                collection_id=body.collection_id,
                max_pages=body.max_pages,
                max_depth=body.max_depth,
            )
        except CrawlRefused as exc:
            raise HTTPException(422, str(exc)) from exc
        except store.NotFound as exc:
            raise not_found("collection") from exc
        return await crawl_job(caller, site)

    @router.post("/sites/{site_id}/crawl", status_code=202, response_model=JobPublic, summary="Crawl again now")
    async def recrawl(site_id: str, caller: Caller = Depends(current_caller)) -> JobPublic:
        require_owner(caller)
        async with db.reader() as s:
            site = await service.site(s, workspace_id=caller.workspace_id, site_id=site_id)
        if site is None:
            raise not_found("site")
        return await crawl_job(caller, site)

    @router.delete("/sites/{site_id}", status_code=204, summary="Stop crawling a site and remove its pages")
    async def remove_site(site_id: str, caller: Caller = Depends(current_caller)) -> Response:
        require_owner(caller)
        async with db.reader() as s:
            site = await service.site(s, workspace_id=caller.workspace_id, site_id=site_id)
        if site is None:
            raise not_found("site")
        await sites.remove_site(db, site_id=site.id)
        return Response(status_code=204)

    # --- the embedding model ------------------------------------------------------------------

    async def embedding_view(workspace_id: str, started: list[str] | None = None) -> EmbeddingPublic:
        async with db.reader() as s:
            view = await runtime.embedders.describe(s, workspace_id)
        jobs_started = [JobPublic.of(await get_job(db, job_id=job_id)) for job_id in started or []]
        return EmbeddingPublic(**view, jobs=jobs_started)

    @router.get("/embedding", response_model=EmbeddingPublic, summary="The embedding model the workspace uses")
    async def get_embedding(caller: Caller = Depends(current_caller)) -> EmbeddingPublic:
        return await embedding_view(caller.workspace_id)

    @router.put(
        "/embedding",
        response_model=EmbeddingPublic,
        summary="Choose the local model or an OpenAI-compatible endpoint (checked first; passages are re-embedded)",
    )
    async def put_embedding(body: EmbeddingUpdate, caller: Caller = Depends(current_caller)) -> EmbeddingPublic:
        require_owner(caller)
        try:
            await runtime.embedders.choose(caller.workspace_id, body)
        except ChoiceRefused as exc:
            raise HTTPException(422, str(exc)) from exc
        started = await runtime.kb_refresher.reembed_stale(caller.workspace_id)
        return await embedding_view(caller.workspace_id, started)

    # --- jobs and search ---------------------------------------------------------------------

    @router.get("/jobs", response_model=list[JobPublic], summary="Recent jobs, newest first")
    async def list_jobs(caller: Caller = Depends(current_caller)) -> list[JobPublic]:
        async with db.reader() as s:
            return [JobPublic.of(j) for j in await service.jobs(s, workspace_id=caller.workspace_id)]

    @router.get("/jobs/{job_id}", response_model=JobPublic, summary="A job with its percent done")
    async def job(job_id: str, caller: Caller = Depends(current_caller)) -> JobPublic:
        try:
            return JobPublic.of(await get_job(db, job_id=job_id, workspace_id=caller.workspace_id))
        except LookupError as exc:
            raise not_found("job") from exc

    @router.get("/search", response_model=SearchPublic, summary="Passages for a question, with scores and sources")
    async def search(
        q: str = Query(..., min_length=1, max_length=MAX_QUERY),
        k: int = Query(5, ge=1, le=20),
        mode: SearchMode = "hybrid",
        assistant_id: str | None = Query(None, max_length=64),
        caller: Caller = Depends(current_caller),
    ) -> SearchPublic:
        hits = await knowledge.search(caller.workspace_id, q, assistant_id=assistant_id, k=k, mode=mode)
        threshold = knowledge.answer_threshold(caller.workspace_id, settings.kb_answer_threshold)
        return SearchPublic(
            query=q, mode=mode, threshold=threshold, results=[SearchResult.of(h, threshold) for h in hits]
        )

    return router
