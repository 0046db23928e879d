"""CORS for the web chat API only, so a widget on the business's own site can call it.

Only the listed origins get CORS headers; the admin API and webhooks never do (they take bearer
tokens or signatures, not cookies, but there is no reason to open them to other sites either).
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

CHAT_PREFIX = "/api/v1/chat"


class ChatCORS:
    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Frontdesk-Chat"],  # the second marks a file upload
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(CHAT_PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
