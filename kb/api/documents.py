"""/knowledge-base/documents: upload, list, read, delete and reindex the workspace's documents.

Uploads are checked and parsed in the request, so bad input gets its 4xx at once; embedding and
storing run as a job. The request waits a few seconds for it (most files are done by then: 201),
and otherwise answers 202 with the job to poll.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from admin.common import Page, Paging, not_found, paging
from admin.deps import CurrentCaller, require_admin
from core.web import Db
from kb import service, store
from kb.api.deps import Jobs, Settings, WorkspaceEmbedders
from kb.api.schemas import DocumentPublic, JobPublic, UploadPublic
from kb.ingest.guard import BadDocument

router = APIRouter()


@router.get("/documents", response_model=Page[DocumentPublic])
async def list_documents(
    caller: CurrentCaller,
    db: Db,
    collection_id: str | None = Query(None, max_length=64),
    page: Paging = Depends(paging),
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
    caller: CurrentCaller,
    db: Db,
    jobs: Jobs,
    embedders: WorkspaceEmbedders,
    settings: Settings,
    file: UploadFile = File(...),
    collection_id: str | None = Form(None, max_length=64),
) -> UploadPublic | JSONResponse:
    require_admin(caller)
    limit = settings.kb_max_upload_bytes
    data = await file.read(limit + 1)
    try:
        checked = await service.read_upload(
            db,
            workspace_id=caller.workspace_id,
            collection_id=collection_id,
            name=file.filename or "",
            data=data,
            max_bytes=limit,
        )
    except BadDocument as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    except store.NotFound as exc:
        raise not_found("collection") from exc
    uploading = await service.upload_in_job(
        db, jobs, checked, embedders=embedders, wait_seconds=settings.kb_upload_wait_seconds
    )
    job = uploading.job
    if not uploading.finished:
        body = UploadPublic(job=JobPublic.of(job))
        return JSONResponse(body.model_dump(mode="json"), 202, headers={"Location": f"jobs/{job.id}"})
    if job.state == "failed":
        raise HTTPException(422, job.error or "the document could not be stored")
    return UploadPublic(
        job=JobPublic.of(job),
        document=DocumentPublic.model_validate(uploading.document) if uploading.document else None,
        outcome=job.result.get("outcome"),
    )


@router.get("/documents/{document_id}", response_model=DocumentPublic)
async def get_document(document_id: str, caller: CurrentCaller, db: Db) -> DocumentPublic:
    async with db.reader() as s:
        document = await service.document(s, workspace_id=caller.workspace_id, document_id=document_id)
    if document is None:
        raise not_found("document")
    return DocumentPublic.model_validate(document)


@router.delete("/documents/{document_id}", status_code=204)
async def delete_document(document_id: str, caller: CurrentCaller, db: Db) -> Response:
    require_admin(caller)
    try:
        await service.delete_document(db, workspace_id=caller.workspace_id, document_id=document_id)
    except store.NotFound as exc:
        raise not_found("document") from exc
    return Response(status_code=204)


@router.post(
    "/documents/{document_id}/reindex",
    status_code=202,
    response_model=JobPublic,
    summary="Embed the document's passages again (after a change of embedding model)",
)
async def reindex(
    document_id: str, caller: CurrentCaller, db: Db, jobs: Jobs, embedders: WorkspaceEmbedders, settings: Settings
) -> JobPublic:
    require_admin(caller)
    try:
        job = await service.reindex(
            db,
            jobs,
            workspace_id=caller.workspace_id,
            document_id=document_id,
            embedders=embedders,
            wait_seconds=settings.kb_upload_wait_seconds,
        )
    except store.NotFound as exc:
        raise not_found("document") from exc
    return JobPublic.of(job)
