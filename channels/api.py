"""/channels: how the workspace is reached (Telegram bots, numbers, Slack teams, web chat).

Included by the app factory (bot/app.py) under /api/v1; every handler goes through the
connections service (channels/connections.py), as the CLI does.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from admin.common import conflict, not_found, unprocessable
from admin.deps import CurrentCaller, require_admin
from channels import connections
from channels.schemas import ConnectionCreate, ConnectionPublic, ConnectionUpdate, TestResult
from core.web import Box, Db

router = APIRouter(prefix="/channels", tags=["channels"])


@router.get("", response_model=list[ConnectionPublic])
async def list_connections(caller: CurrentCaller, db: Db) -> list[ConnectionPublic]:
    async with db.reader() as s:
        rows = await connections.list_all(s, workspace_id=caller.workspace_id)
    return [ConnectionPublic.of(c) for c in rows]


@router.post("", status_code=201, response_model=ConnectionPublic)
async def create(body: ConnectionCreate, caller: CurrentCaller, db: Db, box: Box) -> ConnectionPublic:
    require_admin(caller)
    try:
        new = await connections.checked(body.new())  # before the transaction: it may call out
        async with db.session() as s:
            connection = await connections.create(s, box, workspace_id=caller.workspace_id, new=new)
    except connections.AccountTaken as exc:
        raise conflict(str(exc)) from exc
    except (connections.BadAssistant, ValueError) as exc:
        raise unprocessable(str(exc)) from exc
    return ConnectionPublic.of(connection)


@router.post("/test", response_model=TestResult)
async def test_new(body: ConnectionCreate, caller: CurrentCaller, db: Db) -> TestResult:
    """Ask the provider whether these credentials work, storing nothing: 200 either way, with
    `ok` and what is wrong in `message`."""
    require_admin(caller)
    try:
        async with db.reader() as s:
            await connections.check_assistant(s, caller.workspace_id, body.assistant_id)
    except connections.BadAssistant as exc:
        raise unprocessable(str(exc)) from exc
    return TestResult.of(await connections.tested(body.new()))


@router.post("/{connection_id}/test", response_model=TestResult)
async def test_stored(connection_id: str, caller: CurrentCaller, db: Db, box: Box) -> TestResult:
    """Test a connection's stored credentials with its provider; the outcome joins its health."""
    async with db.reader() as s:
        if await connections.get(s, workspace_id=caller.workspace_id, connection_id=connection_id) is None:
            raise not_found("channel connection")
    require_admin(caller)
    result = await connections.test_stored(db, box, workspace_id=caller.workspace_id, connection_id=connection_id)
    if result is None:
        raise not_found("channel connection")
    return TestResult.of(result)


@router.get("/{connection_id}", response_model=ConnectionPublic)
async def get(connection_id: str, caller: CurrentCaller, db: Db) -> ConnectionPublic:
    async with db.reader() as s:
        connection = await connections.get(s, workspace_id=caller.workspace_id, connection_id=connection_id)
    if connection is None:
        raise not_found("channel connection")
    return ConnectionPublic.of(connection)


@router.patch("/{connection_id}", response_model=ConnectionPublic)
async def patch(
    connection_id: str, body: ConnectionUpdate, caller: CurrentCaller, db: Db, box: Box
) -> ConnectionPublic:
    try:
        async with db.session() as s:
            connection = await connections.get(s, workspace_id=caller.workspace_id, connection_id=connection_id)
            if connection is None:
                raise not_found("channel connection")
            require_admin(caller)
            connection = await connections.update(s, box, connection=connection, changes=body.changes())
    except connections.AccountTaken as exc:
        raise conflict(str(exc)) from exc
    except (connections.BadAssistant, ValueError) as exc:
        raise unprocessable(str(exc)) from exc
    return ConnectionPublic.of(connection)


@router.delete("/{connection_id}", status_code=204)
async def remove(connection_id: str, caller: CurrentCaller, db: Db) -> Response:
    async with db.session() as s:
        connection = await connections.get(s, workspace_id=caller.workspace_id, connection_id=connection_id)
        if connection is None:
            raise not_found("channel connection")
        require_admin(caller)
        await connections.remove(s, connection=connection)
    return Response(status_code=204)
