"""Uploads, their jobs and documents. An upload is one file per request (the page's script sends each
dropped file on its own, with its own progress bar), checked and parsed by kb.service.read_upload
exactly as `POST /knowledge-base/documents` does, then embedded in a job whose state the page polls
(GET /knowledge/jobs/{job_id}, every second until it is ready or failed). A refused file is answered
with the reason (its 4xx), shown next to it; nothing is stored."""

from __future__ import annotations

import contextlib

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from admin.web.errors import not_found
from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin
from core.db import Database
from core.web import Db
from kb import service, store
from kb.api.deps import Jobs, Settings, WorkspaceEmbedders
from kb.ingest.guard import BadDocument
from kb.models import KnowledgeJob
from kb.pages.collections import show
from kb.pages.common import HOME, collection_or_404, form_fields, human_size, job_words

router = page_router()
FINAL = ("done", "failed")


def _by_script(request: Request) -> bool:
    """Sent by the page's upload script or htmx (answered with a fragment), not a plain form."""
    return bool(request.headers.get("HX-Request") or request.headers.get("X-Requested-With"))


async def _job_part(request: Request, db: Database, job: KnowledgeJob, *, status: int = 200) -> Response:
    document = None
    if job.state == "done" and job.result.get("document_id"):
        async with db.reader() as s:
            document = await service.document(
                s, workspace_id=job.workspace_id, document_id=str(job.result["document_id"])
            )
    return render(
        request, "kb/_job.html", status=status, job=job, words=job_words(job), final=job.state in FINAL,
        document=document,
    )  # fmt: skip


def _refused(request: Request, name: str, reason: str, status: int) -> Response:
    return render(request, "kb/_refused.html", status=status, name=name, reason=reason)


@router.post(HOME + "/upload/{collection_id}")
async def upload(
    collection_id: str,
    request: Request,
    db: Db,
    me: CurrentAdmin,
    jobs: Jobs,
    embedders: WorkspaceEmbedders,
    settings: Settings,
) -> Response:
    collection = await collection_or_404(db, me.workspace_id, collection_id)
    file = (await request.form()).get("file")
    name = (file.filename or "") if isinstance(file, UploadFile) else ""
    try:
        if not isinstance(file, UploadFile):
            raise BadDocument("choose a file to upload", 422)
        limit = settings.kb_max_upload_bytes
        data = await file.read(limit + 1)
        checked = await service.read_upload(
            db, workspace_id=me.workspace_id, collection_id=collection.id, name=name, data=data, max_bytes=limit
        )
    except BadDocument as exc:
        if _by_script(request):
            return _refused(request, name, str(exc), exc.status)
        return await show(request, db, me, collection.id, status=exc.status, error=f"Not added: {exc}")
    uploading = await service.upload_in_job(db, jobs, checked, embedders=embedders, wait_seconds=0)
    if not _by_script(request):
        return see_other(f"{HOME}/collections/{collection.id}")
    return await _job_part(request, db, uploading.job, status=202)


@router.get(HOME + "/jobs/{job_id}")
async def job(job_id: str, request: Request, db: Db, me: CurrentAdmin) -> Response:
    """A job's state as the upload list and the collection page show it (polled while it runs)."""
    try:
        found = await service.job(db, workspace_id=me.workspace_id, job_id=job_id[:64])
    except LookupError:
        raise not_found("There is no such upload or crawl in this workspace.") from None
    return await _job_part(request, db, found)


async def _document_page(
    request: Request, db: Database, workspace_id: str, document_id: str, job: KnowledgeJob | None = None
) -> Response:
    """A document's page (the 404 page for another workspace's), with its reindex job if one was started."""
    async with db.reader() as s:
        found = await service.document(s, workspace_id=workspace_id, document_id=document_id[:64])
        if found is None:
            raise not_found("There is no such document in this workspace.")
        passages = await service.passages(s, workspace_id=workspace_id, document_id=found.id)
    return render(
        request, "kb/document.html", document=found, passages=passages, human_size=human_size,
        job=job, words=job_words(job) if job else "", final=job is not None and job.state in FINAL,
    )  # fmt: skip


@router.get(HOME + "/documents/{document_id}")
async def document(document_id: str, request: Request, db: Db, me: CurrentAdmin) -> Response:
    job = None
    if reindexing := request.query_params.get("reindexing", "")[:64]:  # the job the Reindex button started
        with contextlib.suppress(LookupError):
            job = await service.job(db, workspace_id=me.workspace_id, job_id=reindexing)
    return await _document_page(request, db, me.workspace_id, document_id, job)


@router.post(HOME + "/documents/{document_id}/reindex")
async def reindex(
    document_id: str, request: Request, db: Db, me: CurrentAdmin, jobs: Jobs, embedders: WorkspaceEmbedders
) -> Response:
    """Embed the document's passages again, as POST /knowledge-base/documents/{id}/reindex: a job,
    whose progress the document's page then shows (polled until it is ready or failed)."""
    try:
        job = await service.reindex(
            db, jobs, workspace_id=me.workspace_id, document_id=document_id[:64], embedders=embedders, wait_seconds=0
        )
    except store.NotFound:
        raise not_found("There is no such document in this workspace.") from None
    return see_other(f"{HOME}/documents/{document_id[:64]}?reindexing={job.id}")


@router.post(HOME + "/documents/{document_id}/delete")
async def delete(document_id: str, request: Request, db: Db, me: CurrentAdmin) -> Response:
    """Delete a document (a saved answer too: the saved answers page sends `back=answers`)."""
    async with db.reader() as s:
        found = await service.document(s, workspace_id=me.workspace_id, document_id=document_id[:64])
    if found is None:
        raise not_found("There is no such document in this workspace.")
    with contextlib.suppress(store.NotFound):  # deleted meanwhile: what was asked is done
        await service.delete_document(db, workspace_id=me.workspace_id, document_id=found.id)
    if (await form_fields(request, "back"))["back"] == "answers":
        return see_other(f"{HOME}/answers?done=deleted")
    return see_other(f"{HOME}/collections/{found.collection_id}?done=document_deleted")
