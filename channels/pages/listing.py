"""/channels: the workspace's connections, each with its health (last message in, last error, its
last test, webhook or polling, the webhook URL to give the provider), and Change (change.py), Test,
Pause/Resume and Remove (confirmed), each through the connections service as the API and the CLI do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from admin.assistants import service as assistants
from admin.web.errors import not_found
from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from channels import connections
from channels.health import health_of
from channels.pages.guides import GUIDES
from core.crypto import SecretBox
from core.db import Database
from core.messages import utcnow
from core.models import ChannelConnection
from core.web import Box, Db

router = page_router()
HOME = "/channels"
KIND_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp", "sms": "SMS", "slack": "Slack", "web": "Web chat"}
DONE = {"paused": "Paused: its messages are no longer answered.", "resumed": "Resumed: it answers again.",
        "removed": "Removed. Its conversations stay in the inbox."}  # fmt: skip


def ago(at: datetime | None, now: datetime) -> str:
    """A moment in words: "just now", "5 minutes ago", "3 hours ago", else its date."""
    if at is None:
        return ""
    seconds = (now - at).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' * (minutes != 1)} ago"
    if seconds < 86400:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' * (hours != 1)} ago"
    return at.strftime("on %Y-%m-%d at %H:%M UTC")


@router.get(HOME)
async def channels_page(request: Request, db: Db, me: CurrentAdmin) -> Response:
    async with db.reader() as s:
        rows = await connections.list_all(s, workspace_id=me.workspace_id)
        names = {a.id: a.name for a in await assistants.list_all(s, workspace_id=me.workspace_id)}
        public_url: str = request.app.state.runtime.settings.public_url
        health = await health_of(s, rows, workspace_id=me.workspace_id, public_url=public_url)
    query = request.query_params
    connected = next((r for r in rows if r.id == query.get("connected")), None)
    changed = next((r for r in rows if r.id == query.get("changed")), None)
    tested = next((r for r in rows if r.id == query.get("tested") and r.tested_at), None)
    notice = f"Connected {connected.name}." if connected else DONE.get(query.get("done", ""))
    notice = f"Saved the changes to {changed.name}." if changed else notice
    if tested is not None:
        result = f"the test failed. {tested.test_problem}" if tested.test_problem else "it works."
        notice = f"{tested.name}: {result}"
    shown: dict[str, Any] = {"notice": notice, "failed": bool(tested and tested.test_problem)}
    return render(
        request, "channels/list.html", connections=rows, health=health, assistant_names=names,
        kind_names=KIND_NAMES, guides=GUIDES, ago=ago, now=utcnow(), **shown,
    )  # fmt: skip


async def connection_of(db: Database, me: SignedIn, connection_id: str) -> ChannelConnection:
    """The workspace's connection by id, or the 404 page (another workspace's id is simply not found)."""
    async with db.reader() as s:
        row = await connections.get(s, workspace_id=me.workspace_id, connection_id=connection_id)
    if row is None:
        raise not_found("There is no such channel connection in this workspace.")
    return row


async def _set_enabled(db: Database, box: SecretBox, me: SignedIn, connection_id: str, enabled: bool) -> None:
    async with db.session() as s:
        row = await connections.get(s, workspace_id=me.workspace_id, connection_id=connection_id)
        if row is None:
            raise not_found()
        await connections.update(s, box, connection=row, changes={"enabled": enabled})


@router.post(HOME + "/{connection_id}/pause")
async def pause(connection_id: str, db: Db, box: Box, me: CurrentAdmin) -> Response:
    await _set_enabled(db, box, me, connection_id, False)
    return see_other(f"{HOME}?done=paused#connection-{connection_id}")


@router.post(HOME + "/{connection_id}/resume")
async def resume(connection_id: str, db: Db, box: Box, me: CurrentAdmin) -> Response:
    await _set_enabled(db, box, me, connection_id, True)
    return see_other(f"{HOME}?done=resumed#connection-{connection_id}")


@router.post(HOME + "/{connection_id}/remove")
async def remove(connection_id: str, db: Db, me: CurrentAdmin) -> Response:
    async with db.session() as s:
        row = await connections.get(s, workspace_id=me.workspace_id, connection_id=connection_id)
        if row is None:
            raise not_found()
        await connections.remove(s, connection=row)
    return see_other(f"{HOME}?done=removed")


@router.post(HOME + "/{connection_id}/test")
async def test(connection_id: str, db: Db, box: Box, me: CurrentAdmin) -> Response:
    """Ask the provider about the stored credentials; the outcome shows in its health."""
    row = await connection_of(db, me, connection_id)
    if await connections.test_stored(db, box, workspace_id=me.workspace_id, connection_id=row.id) is None:
        raise not_found()
    return see_other(f"{HOME}?tested={row.id}#connection-{row.id}")
