"""Which sites may embed a workspace's web chat: the server's FRONTDESK_CHAT_ALLOWED_ORIGINS plus the
workspace's own list (admin.workspaces.origins checks and stores it).

`ChatOrigins` keeps every workspace's list in memory: a request costs a dictionary lookup, not a
query. It reads them again when this process has committed a change (`generation()`) or, for
changes made by another process, when its copy is `MAX_AGE` seconds old.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from sqlalchemy import select

from admin.workspaces.origins import generation, normalise_origin
from core.db import Database
from core.models import Workspace

MAX_AGE = 30.0  # seconds a copy serves before it is read again (another process's changes)
ANY = "*"  # in the server's list: every site (as before, when the list went to CORS as it was)
VERDICT = "frontdesk.chat_origin"  # the scope key where ChatCORS leaves the route's verdict


def server_origins(values: Iterable[str]) -> frozenset[str]:
    """The server's list as browsers write origins; an entry that is not one is kept as written."""
    found = set()
    for value in values:
        try:
            found.add(value if value.strip() == ANY else normalise_origin(value))
        except ValueError:
            found.add(value.strip().rstrip("/"))
    return frozenset(found)


@dataclass(frozen=True)
class Snapshot:
    server: frozenset[str]
    by_workspace: dict[str, frozenset[str]] = field(default_factory=dict)
    every: frozenset[str] = frozenset()  # every workspace's, and the server's

    def allowed(self, origin: str, workspace_id: str | None = None) -> bool:
        """The origin is the server's, or (workspace None) any workspace's, or this workspace's."""
        if ANY in self.server or origin in self.server:
            return True
        if workspace_id is None:
            return origin in self.every
        return origin in self.by_workspace.get(workspace_id, ())


@dataclass
class Verdict:
    """What the chat route decided about a cross-site request's Origin (None: it did not get that far)."""

    origin: str
    allowed: bool | None = None


class ChatOrigins:
    def __init__(self, db: Database, server: Iterable[str]) -> None:
        self.db = db
        self.server = server_origins(server)
        self._snapshot = Snapshot(self.server)
        self._read_at = -MAX_AGE
        self._generation = -1
        self._lock = asyncio.Lock()

    async def current(self) -> Snapshot:
        if self._fresh():
            return self._snapshot
        async with self._lock:
            if not self._fresh():
                seen, read_at = generation(), time.monotonic()
                async with self.db.reader() as s:
                    rows = (await s.execute(select(Workspace.id, Workspace.chat_origins))).all()
                by_workspace = {ws: frozenset(origins) for ws, origins in rows if origins}
                every = frozenset().union(self.server, *by_workspace.values())
                self._snapshot = Snapshot(self.server, by_workspace, every)
                self._generation, self._read_at = seen, read_at
        return self._snapshot

    def _fresh(self) -> bool:
        return self._generation == generation() and time.monotonic() - self._read_at < MAX_AGE

    def frame_ancestors(self, workspace_origins: Iterable[str]) -> str:
        """The chat page's Content-Security-Policy: framed by this server, the server's list and the
        workspace's own sites only."""
        sources = dict.fromkeys([*workspace_origins, *sorted(self.server)])
        return " ".join(["frame-ancestors", "'self'", *sources])

    async def check(self, request: Request, workspace_id: str) -> None:
        """Refuse (403) a request from another site that this workspace did not list. No Origin (not
        a browser's script) or our own site passes; the verdict tells ChatCORS to answer with CORS."""
        origin = request.headers.get("origin")
        if origin is None or same_site(request, origin):
            return
        allowed = (await self.current()).allowed(origin, workspace_id)
        verdict = request.scope.get(VERDICT)
        if isinstance(verdict, Verdict):
            verdict.allowed = allowed
        if not allowed:
            raise HTTPException(403, "this site may not use this chat: add it to the workspace's chat websites")


def same_site(request: Request, origin: str) -> bool:
    """The Origin is this server's own (the chat page itself): its host and port are the request's."""
    if request.headers.get("sec-fetch-site") == "same-origin":
        return True
    try:
        netloc = urlsplit(origin).netloc.lower()
    except ValueError:
        return False
    return bool(netloc) and netloc == request.headers.get("host", "").lower()
