"""CORS for the web chat API only, so a widget on the business's own site can call it.

Allowed: the server's FRONTDESK_CHAT_ALLOWED_ORIGINS, and each workspace's own chat websites for
that workspace's chat. A preflight carries no body, so it cannot say which workspace it is for: it
is granted to any site some workspace listed. The request itself then names its assistant or chat
session, and the route (`ChatOrigins.check`) refuses it with 403, without CORS headers, when that
workspace did not list the site. The admin API and webhooks never get CORS headers (they take bearer
tokens or signatures, not cookies, but there is no reason to open them to other sites either).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from channels.web.origins import VERDICT, ChatOrigins, Snapshot, Verdict

CHAT_PREFIX = "/api/v1/chat"


class _Allowed(CORSMiddleware):
    """Starlette's CORS with the allowed origins of one request's moment (a snapshot of the lists)."""

    def __init__(self, app: ASGIApp, snapshot: Snapshot, verdict: Verdict | None) -> None:
        super().__init__(
            app,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Frontdesk-Chat"],  # the second marks a file upload
            max_age=600,
        )
        self.snapshot = snapshot
        self.verdict = verdict

    def is_allowed_origin(self, origin: str) -> bool:
        if self.verdict is not None and self.verdict.allowed is False:
            return False  # the route refused this site for the workspace the request named
        return self.snapshot.allowed(origin)


class ChatCORS:
    def __init__(self, app: ASGIApp, origins: ChatOrigins) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(CHAT_PREFIX):
            await self.app(scope, receive, send)
            return
        origin = Headers(scope=scope).get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        verdict = Verdict(origin)
        scope[VERDICT] = verdict
        cors = _Allowed(self.app, await self.origins.current(), verdict)
        await cors(scope, receive, send)
