"""/workspaces: the workspaces a caller belongs to. Anyone else's is simply not found."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import Role, conflict, not_found
from admin.deps import Caller, CurrentCaller, require_user
from admin.workspaces import service
from admin.workspaces.schemas import WorkspaceCreate, WorkspaceCreated, WorkspacePublic, WorkspaceUpdate
from core.models import Workspace
from core.web import Db

router = APIRouter(prefix="/workspaces", tags=["workspaces"])


@router.get("", response_model=list[WorkspacePublic], summary="The workspaces you belong to")
async def list_workspaces(caller: CurrentCaller, db: Db) -> list[WorkspacePublic]:
    async with db.reader() as s:
        rows = await service.visible(s, user_id=caller.user_id, token_workspace_id=caller.workspace_id)
    return [WorkspacePublic.of(w, role) for w, role in rows]


@router.post(
    "",
    status_code=201,
    response_model=WorkspaceCreated,
    summary="Create a workspace you own; returns a session token for it",
)
async def create(body: WorkspaceCreate, caller: CurrentCaller, db: Db) -> WorkspaceCreated:
    user_id = require_user(caller)
    try:
        async with db.session() as s:
            workspace, token = await service.create_for(
                s, user_id=user_id, name=body.name, slug=body.slug, timezone=body.timezone
            )
    except service.NotYours as exc:
        raise not_found("user") from exc
    except (service.SlugTaken, IntegrityError) as exc:
        raise conflict("that slug is taken") from exc
    return WorkspaceCreated(workspace=WorkspacePublic.of(workspace, "owner"), token=token)


@router.get("/{workspace_id}", response_model=WorkspacePublic)
async def get(workspace_id: str, caller: CurrentCaller, db: Db) -> WorkspacePublic:
    async with db.reader() as s:
        rows = await service.visible(
            s, user_id=caller.user_id, token_workspace_id=caller.workspace_id, workspace_id=workspace_id
        )
    if not rows:
        raise not_found("workspace")
    return WorkspacePublic.of(*rows[0])


@router.patch(
    "/{workspace_id}",
    response_model=WorkspacePublic,
    summary="Change a workspace's name, time zone, phone region or chat websites (admins), or its slug (owners)",
)
async def patch(workspace_id: str, body: WorkspaceUpdate, caller: CurrentCaller, db: Db) -> WorkspacePublic:
    try:
        async with db.session() as s:
            changes = body.changes()
            workspace, role = await _owned(s, caller, workspace_id, admins_too="slug" not in changes)
            workspace = await service.update(s, workspace=workspace, changes=changes)
    except (service.SlugTaken, IntegrityError) as exc:
        raise conflict("that slug is taken") from exc
    return WorkspacePublic.of(workspace, role)


@router.delete("/{workspace_id}", status_code=204, summary="Delete a workspace and everything in it (owners)")
async def remove(workspace_id: str, caller: CurrentCaller, db: Db) -> Response:
    async with db.session() as s:
        await _owned(s, caller, workspace_id)
        await service.remove(s, workspace_id=workspace_id)
    return Response(status_code=204)


async def _owned(
    s: AsyncSession, caller: Caller, workspace_id: str, *, admins_too: bool = False
) -> tuple[Workspace, Role]:
    """The workspace if the caller owns it (or administers it, with `admins_too`): 404 when it is not
    theirs at all, 403 otherwise."""
    try:
        return await service.owned(
            s,
            user_id=caller.user_id,
            token_workspace_id=caller.workspace_id,
            workspace_id=workspace_id,
            admins_too=admins_too,
        )
    except service.NotYours as exc:
        raise not_found("workspace") from exc
    except service.OwnersOnly as exc:
        raise HTTPException(403, str(exc)) from exc
