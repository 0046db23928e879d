"""The web app factory: channels' routes, the admin, health and metrics, and (by default) the
in-process worker, all on one Runtime."""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import bot.schema  # noqa: F401  (the tables /readyz expects)
from admin.api_docs import router as api_docs
from admin.assets import STATIC_URL, static_files
from bot.input_guard import clean_input
from bot.runtime import Runtime
from channels.web.cors import ChatCORS
from channels.web.upload import max_upload_bytes
from core.metrics import INBOX_DEPTH, OUTBOX_PENDING, REGISTRY
from core.migrate import current_revisions, head_revisions
from core.models import InboxItem, OutboxItem
from core.queue import LeasedQueue

log = logging.getLogger(__name__)

# The packages with web pages: each keeps its templates in `<package>/templates/` (admin.web.pages).
PAGE_PACKAGES = ("admin", "staff", "kb", "rules", "understanding", "channels", "bot")


class BodyLimit:
    """Refuse request bodies over the limit with 413, before anything reads them whole.

    `larger` raises the limit for the few paths that take files (path prefix → bytes)."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = next((n for prefix, n in self.larger.items() if path.startswith(prefix)), self.max_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await JSONResponse({"detail": "request body too large"}, 413)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await JSONResponse({"detail": "request body too large"}, 413)(scope, receive, send)


class _TooLarge(Exception):
    pass


class LastResort:
    """An exception no handler took is a bug in our code: answer 500 and log where it happened.

    The log names the method, the path, the exception's type and the stack (files, lines, code),
    never the exception's message, the body or the headers: those carry what the caller sent, a
    customer's words or a secret, and anyone can send anything. Nothing is re-raised, so the server
    does not log the exception whole either."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            log.error(
                "unhandled error",
                extra={
                    "method": scope.get("method"),
                    "path": ascii(str(scope.get("path", ""))[:200]),
                    "error": type(exc).__qualname__,
                    "stack": "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__))),
                },
            )
            if not started:
                await JSONResponse({"detail": "internal error"}, 500)(scope, receive, send)


def _install_pages(app: FastAPI) -> None:
    """The web admin: its templates, error pages and every domain's pages; `/` is its start page."""
    from admin.assistants.pages import router as assistant_pages
    from admin.web.account import router as account_pages
    from admin.web.invite import router as invite_pages
    from admin.web.pages import install as install_pages
    from admin.web.routes import router as shell_pages
    from admin.web.team import router as team_pages
    from admin.web.tokens import router as token_pages
    from bot.pages import router as getting_started_pages
    from channels.pages import router as channel_pages
    from kb.pages import router as kb_pages
    from rules.pages import router as rule_pages
    from staff.pages import router as staff_pages
    from understanding.pages import router as context_pages

    install_pages(app, PAGE_PACKAGES)
    for pages in (
        shell_pages,
        account_pages,
        team_pages,
        invite_pages,
        token_pages,
        assistant_pages,
        staff_pages,
        kb_pages,
        rule_pages,
        getting_started_pages,
        context_pages,
        channel_pages,
    ):
        app.include_router(pages)


def create_app(runtime: Runtime, *, worker: bool = True) -> FastAPI:
    from admin import build_router as admin_router
    from channels.api import router as channels_router
    from kb.api import router as kb_router
    from rules.api.routes import router as rules_router
    from staff.api import router as staff_router
    from understanding.api.routes import router as understanding_router

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start(worker=worker)
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="frontdesk",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(clean_input)],
        description="An AI front desk for small businesses: web chat, admin API and channel webhooks.",
        docs_url=None,  # /docs and /redoc come from admin.api_docs, with no CDN
        redoc_url=None,
    )
    app.state.runtime = runtime
    # Knowledge-base uploads carry files; the multipart framing adds a little to the file's size.
    upload_limit = runtime.settings.kb_max_upload_bytes + 64 * 1024
    app.add_middleware(
        BodyLimit,
        max_bytes=runtime.settings.max_body_bytes,
        larger={
            "/api/v1/knowledge-base/documents": upload_limit,
            "/knowledge/upload/": upload_limit,  # the same uploads from the web admin (kb/pages/documents.py)
            # Voice notes and files from the chat page; JSON messages keep the small limit in the route.
            "/api/v1/chat": max_upload_bytes(runtime.settings) + 64 * 1024,
        },
    )
    app.add_middleware(ChatCORS, origins=runtime.web.origins)  # the server's list and each workspace's
    if runtime.settings.trusted_proxies:
        # Outside every other of ours, so the chat limiter and login throttling see the real client.
        # `frontdesk serve` turns uvicorn's own handling off: it would trust any local peer.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=runtime.settings.trusted_proxies)
    app.add_middleware(LastResort)  # added last: outside even the proxy headers, so it sees every error

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable", extra={"error": type(exc.orig).__name__})
        return JSONResponse(
            {"detail": "the database is busy or unreachable; try again"}, 503, headers={"Retry-After": "2"}
        )

    for channel in runtime.channels.unique():
        router = channel.router(runtime.inbox.accept)
        if router is not None:
            app.include_router(router)
    app.include_router(admin_router(), prefix="/api/v1")
    app.include_router(kb_router, prefix="/api/v1")
    app.include_router(rules_router, prefix="/api/v1")
    app.include_router(understanding_router, prefix="/api/v1")
    app.include_router(staff_router, prefix="/api/v1")
    app.include_router(channels_router, prefix="/api/v1")

    app.mount(STATIC_URL, static_files(), name="static")
    app.include_router(api_docs)
    _install_pages(app)

    add_ops_routes(app, runtime)
    return app


def add_ops_routes(app: FastAPI, runtime: Runtime) -> None:
    """Health, readiness (the database answers and its schema is at every head) and Prometheus metrics."""

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    async def readyz() -> JSONResponse:
        checks: dict[str, Any] = {}
        try:
            async with runtime.db.reader() as s:
                await s.execute(text("SELECT 1"))
            checks["database"] = "ok"
            current, heads = await current_revisions(runtime.db), head_revisions()
            checks["migrations"] = "ok" if current == heads else f"at {sorted(current)}, heads are {sorted(heads)}"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values()) and "migrations" in checks
        return JSONResponse({"status": "ready" if ready else "not ready", **checks}, 200 if ready else 503)

    inbox_queue = LeasedQueue(runtime.db, InboxItem, "processing", 0)
    outbox_queue = LeasedQueue(runtime.db, OutboxItem, "sending", 0)

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        inbox, outbox = await inbox_queue.depth(), await outbox_queue.depth()
        for gauge, depth, active in ((INBOX_DEPTH, inbox, "processing"), (OUTBOX_PENDING, outbox, "sending")):
            for state in ("pending", active):
                gauge.labels(state).set(depth.get(state, 0))
        return PlainTextResponse(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
