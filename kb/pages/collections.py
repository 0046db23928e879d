"""/knowledge: the workspace's collections (make, rename, set the refresh schedule, delete with a
confirmation) and a collection's page: its documents and websites with their status, the upload drop
zone and the add-a-website form. Validated with the API's schemas, through kb.service."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from admin.assistants import service as assistants
from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from core.db import Database
from core.web import Db, part
from kb import service
from kb.api.deps import InstanceSettings
from kb.api.schemas import CollectionCreate, CollectionUpdate
from kb.pages.common import HOME, collection_or_404, form_fields, human_size, job_words, problem, unfinished_jobs

router = page_router()
NOT_OURS = "that assistant is not one of this workspace's."
REFRESH_WORDS = {"off": "Never: only when you ask", "daily": "Every day", "weekly": "Every week"}


async def _list(request: Request, db: Database, me: SignedIn, *, status: int = 200, **shown: Any) -> Response:
    async with db.reader() as s:
        rows = await service.collections(s, workspace_id=me.workspace_id)
        counts = {c.id: (await service.documents(s, workspace_id=me.workspace_id, collection_id=c.id, limit=0))[0]
                  for c in rows}  # fmt: skip
        helpers = await assistants.list_all(s, workspace_id=me.workspace_id)
    context: dict[str, Any] = {"error": None, "notice": None, "name": ""}
    return render(
        request, "kb/knowledge.html", status=status, collections=rows, counts=counts,
        refresh_words=REFRESH_WORDS, assistants=helpers, **{**context, **shown},
    )  # fmt: skip


@router.get(HOME)
async def knowledge(request: Request, db: Db, me: CurrentAdmin) -> Response:
    done = {"deleted": "Collection deleted, with its documents and websites."}.get(request.query_params.get("done", ""))
    return await _list(request, db, me, notice=done)


@router.post(HOME + "/collections")
async def create_collection(request: Request, db: Db, me: CurrentAdmin) -> Response:
    form = await form_fields(request, "name", "refresh", "assistant_id")
    sent = {"name": form["name"], "refresh": form["refresh"] or "off", "assistant_id": form["assistant_id"] or None}
    try:
        body = CollectionCreate.model_validate(sent)
    except ValidationError as exc:
        return await _list(request, db, me, status=422, error=f"Not made: {problem(exc)}", name=form["name"])
    try:
        async with db.session() as s:
            row = await service.create_collection(
                s, workspace_id=me.workspace_id, name=body.name, assistant_id=body.assistant_id, refresh=body.refresh
            )
    except IntegrityError:
        return await _list(request, db, me, status=409, error="A collection with that name exists.", name=body.name)
    except service.Invalid:
        return await _list(request, db, me, status=422, error=f"Not made: {NOT_OURS}", name=body.name)
    return see_other(f"{HOME}/collections/{row.id}")


async def show(
    request: Request, db: Database, me: SignedIn, collection_id: str, *, status: int = 200, **shown: Any
) -> Response:
    """A collection's page: documents, websites, unfinished jobs, and the forms."""
    collection = await collection_or_404(db, me.workspace_id, collection_id)
    async with db.reader() as s:
        total, documents = await service.documents(s, workspace_id=me.workspace_id, collection_id=collection.id)
        sites = [x for x in await service.sites(s, workspace_id=me.workspace_id) if x.collection_id == collection.id]
        helpers = await assistants.list_all(s, workspace_id=me.workspace_id)
    context: dict[str, Any] = {"error": None, "notice": None, "site_error": None, "assistant_error": None, "sent": {}}
    settings: InstanceSettings = part("settings")(request)
    return render(
        request, "kb/collection.html", status=status, collection=collection, documents=documents, total=total,
        sites=sites, jobs=await unfinished_jobs(db, me.workspace_id, collection.id), job_words=job_words,
        human_size=human_size, refresh_words=REFRESH_WORDS, assistants=helpers,
        max_mb=settings.kb_max_upload_bytes // 2**20,
        **{**context, **shown},
    )  # fmt: skip


DONE = {
    "renamed": "Saved.",
    "assistant": "Saved: the collection's answers are for the assistant chosen.",
    "document_deleted": "Document deleted: the assistant no longer answers from it.",
    "crawling": "Crawling: the website's pages appear below as they are read.",
    "site_removed": "Website removed, with its pages.",
}


@router.get(HOME + "/collections/{collection_id}")
async def collection_page(collection_id: str, request: Request, db: Db, me: CurrentAdmin) -> Response:
    return await show(request, db, me, collection_id, notice=DONE.get(request.query_params.get("done", "")))


@router.post(HOME + "/collections/{collection_id}/rename")
async def rename(collection_id: str, request: Request, db: Db, me: CurrentAdmin) -> Response:
    """The collection's name and refresh schedule, as PATCH /collections/{id} takes them."""
    collection = await collection_or_404(db, me.workspace_id, collection_id)
    form = await form_fields(request, "name", "refresh")
    try:
        body = CollectionUpdate.model_validate({"name": form["name"], "refresh": form["refresh"] or collection.refresh})
    except ValidationError as exc:
        return await show(request, db, me, collection.id, status=422, error=f"Not saved: {problem(exc)}", sent=form)
    try:
        async with db.session() as s:
            await service.update_collection(
                s, workspace_id=me.workspace_id, collection_id=collection.id, changes=body.changes()
            )
    except IntegrityError:
        return await show(request, db, me, collection.id, status=409, error="A collection with that name exists.")
    return see_other(f"{HOME}/collections/{collection.id}?done=renamed")


@router.post(HOME + "/collections/{collection_id}/assistant")
async def choose_assistant(collection_id: str, request: Request, db: Db, me: CurrentAdmin) -> Response:
    """Which assistant answers from the collection (empty: every assistant), as PATCH /collections/{id}
    takes `assistant_id`; another workspace's assistant is refused by kb.service, beside the choice."""
    collection = await collection_or_404(db, me.workspace_id, collection_id)
    form = await form_fields(request, "assistant_id")
    try:
        body = CollectionUpdate.model_validate({"assistant_id": form["assistant_id"] or None})
        async with db.session() as s:
            await service.update_collection(
                s, workspace_id=me.workspace_id, collection_id=collection.id, changes=body.changes()
            )
    except ValidationError as exc:
        return await show(request, db, me, collection.id, status=422, assistant_error=problem(exc))
    except service.Invalid:
        return await show(request, db, me, collection.id, status=422, assistant_error=NOT_OURS)
    return see_other(f"{HOME}/collections/{collection.id}?done=assistant")


@router.post(HOME + "/collections/{collection_id}/delete")
async def delete(collection_id: str, request: Request, db: Db, me: CurrentAdmin) -> Response:
    collection = await collection_or_404(db, me.workspace_id, collection_id)
    async with db.session() as s:
        await service.delete_collection(s, workspace_id=me.workspace_id, collection_id=collection.id)
    return see_other(f"{HOME}?done=deleted")
