"""/channels: how the workspace is reached (Telegram bots, numbers, Slack teams, web chat)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Response

from admin.common import conflict, not_found, unprocessable
from admin.connections import service
from admin.connections.schemas import ConnectionCreate, ConnectionPublic, ConnectionUpdate
from admin.deps import Caller, CallerDependency, require_owner

if TYPE_CHECKING:
    from bot.runtime import Runtime


def build_router(runtime: Runtime, current_caller: CallerDependency) -> APIRouter:
    db, box = runtime.db, runtime.box
    router = APIRouter(prefix="/channels", tags=["channels"])

    @router.get("", response_model=list[ConnectionPublic])
    async def list_connections(caller: Caller = Depends(current_caller)) -> list[ConnectionPublic]:
        async with db.reader() as s:
            rows = await service.list_all(s, workspace_id=caller.workspace_id)
        return [ConnectionPublic.of(c) for c in rows]

    @router.post("", status_code=201, response_model=ConnectionPublic)
    async def create(body: ConnectionCreate, caller: Caller = Depends(current_caller)) -> ConnectionPublic:
        require_owner(caller)
        try:
            body = await service.checked_with_channel(body)  # before the transaction: it may call out
            async with db.session() as s:
                connection = await service.create(s, box, workspace_id=caller.workspace_id, data=body)
        except service.AccountTaken as exc:
            raise conflict(str(exc)) from exc
        except (service.BadAssistant, ValueError) as exc:
            raise unprocessable(str(exc)) from exc
        return ConnectionPublic.of(connection)

    @router.get("/{connection_id}", response_model=ConnectionPublic)
    async def get(connection_id: str, caller: Caller = Depends(current_caller)) -> ConnectionPublic:
        async with db.reader() as s:
            connection = await service.get(s, workspace_id=caller.workspace_id, connection_id=connection_id)
        if connection is None:
            raise not_found("channel connection")
        return ConnectionPublic.of(connection)

    @router.patch("/{connection_id}", response_model=ConnectionPublic)
    async def patch(
        connection_id: str, body: ConnectionUpdate, caller: Caller = Depends(current_caller)
    ) -> ConnectionPublic:
        try:
            async with db.session() as s:
                connection = await service.get(s, workspace_id=caller.workspace_id, connection_id=connection_id)
                if connection is None:
                    raise not_found("channel connection")
                require_owner(caller)
                connection = await service.update(s, box, connection=connection, changes=body.changes())
        except service.AccountTaken as exc:
            raise conflict(str(exc)) from exc
        except (service.BadAssistant, ValueError) as exc:
            raise unprocessable(str(exc)) from exc
        return ConnectionPublic.of(connection)

    @router.delete("/{connection_id}", status_code=204)
    async def remove(connection_id: str, caller: Caller = Depends(current_caller)) -> Response:
        async with db.session() as s:
            connection = await service.get(s, workspace_id=caller.workspace_id, connection_id=connection_id)
            if connection is None:
                raise not_found("channel connection")
            require_owner(caller)
            await s.delete(connection)
        return Response(status_code=204)

    return router
