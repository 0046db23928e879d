"""/assistants: the workspace's assistants. Owners change them; staff may look."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.exc import IntegrityError

from admin.assistants import service
from admin.assistants.schemas import AssistantCreate, AssistantPublic, AssistantUpdate
from admin.common import conflict, not_found, unprocessable
from admin.deps import CurrentCaller, require_admin
from core.web import Box, Db

SLUG_TAKEN = "that slug is taken"

router = APIRouter(prefix="/assistants", tags=["assistants"])


@router.get("", response_model=list[AssistantPublic])
async def list_assistants(caller: CurrentCaller, db: Db) -> list[AssistantPublic]:
    async with db.reader() as s:
        rows = await service.list_all(s, workspace_id=caller.workspace_id)
    return [AssistantPublic.of(a) for a in rows]


@router.post("", status_code=201, response_model=AssistantPublic)
async def create(body: AssistantCreate, caller: CurrentCaller, db: Db, box: Box) -> AssistantPublic:
    require_admin(caller)
    try:
        async with db.session() as s:
            assistant = await service.create(s, box, workspace_id=caller.workspace_id, data=body)
    except (service.SlugTaken, IntegrityError) as exc:
        raise conflict(SLUG_TAKEN) from exc
    except ValueError as exc:
        raise unprocessable(str(exc)) from exc
    return AssistantPublic.of(assistant)


@router.get("/{assistant_id}", response_model=AssistantPublic)
async def get(assistant_id: str, caller: CurrentCaller, db: Db) -> AssistantPublic:
    async with db.reader() as s:
        assistant = await service.get(s, workspace_id=caller.workspace_id, assistant_id=assistant_id)
    if assistant is None:
        raise not_found("assistant")
    return AssistantPublic.of(assistant)


@router.patch("/{assistant_id}", response_model=AssistantPublic)
async def patch(assistant_id: str, body: AssistantUpdate, caller: CurrentCaller, db: Db, box: Box) -> AssistantPublic:
    try:
        async with db.session() as s:
            assistant = await service.get(s, workspace_id=caller.workspace_id, assistant_id=assistant_id)
            if assistant is None:
                raise not_found("assistant")
            require_admin(caller)
            assistant = await service.update(s, box, assistant=assistant, changes=body.changes())
    except (service.SlugTaken, IntegrityError) as exc:
        raise conflict(SLUG_TAKEN) from exc
    except ValueError as exc:
        raise unprocessable(str(exc)) from exc
    return AssistantPublic.of(assistant)


@router.delete("/{assistant_id}", status_code=204)
async def remove(assistant_id: str, caller: CurrentCaller, db: Db) -> Response:
    try:
        async with db.session() as s:
            assistant = await service.get(s, workspace_id=caller.workspace_id, assistant_id=assistant_id)
            if assistant is None:
                raise not_found("assistant")
            require_admin(caller)
            await service.remove(s, assistant=assistant)
    except service.LastAssistant as exc:
        raise conflict(str(exc)) from exc
    return Response(status_code=204)
