"""/knowledge-base/collections: the workspace's collections (which assistant searches each, how
often its websites are crawled again)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy.exc import IntegrityError

from admin.common import conflict, not_found
from admin.deps import CurrentCaller, require_admin
from core.web import Db
from kb import service, store
from kb.api.schemas import CollectionCreate, CollectionPublic, CollectionUpdate

router = APIRouter()


@router.get("/collections", response_model=list[CollectionPublic])
async def list_collections(caller: CurrentCaller, db: Db) -> list[CollectionPublic]:
    async with db.reader() as s:
        rows = await service.collections(s, workspace_id=caller.workspace_id)
    return [CollectionPublic.model_validate(c) for c in rows]


@router.post("/collections", status_code=201, response_model=CollectionPublic)
async def create_collection(body: CollectionCreate, caller: CurrentCaller, db: Db) -> CollectionPublic:
    require_admin(caller)
    try:
        async with db.session() as s:
            row = await service.create_collection(
                s,
                workspace_id=caller.workspace_id,
                name=body.name,
                assistant_id=body.assistant_id,
                refresh=body.refresh,
            )
    except IntegrityError as exc:
        raise conflict("a collection with that name exists") from exc
    except service.Invalid as exc:
        raise HTTPException(422, str(exc)) from exc
    return CollectionPublic.model_validate(row)


@router.patch("/collections/{collection_id}", response_model=CollectionPublic)
async def update_collection(
    collection_id: str, body: CollectionUpdate, caller: CurrentCaller, db: Db
) -> CollectionPublic:
    require_admin(caller)
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
async def delete_collection(collection_id: str, caller: CurrentCaller, db: Db) -> Response:
    require_admin(caller)
    try:
        async with db.session() as s:
            await service.delete_collection(s, workspace_id=caller.workspace_id, collection_id=collection_id)
    except store.NotFound as exc:
        raise not_found("collection") from exc
    return Response(status_code=204)
