"""POST /webhooks/slack/{connection_id}: Events API, interactivity and the slash command, on one URL.

A plain Starlette route (the signature is over the raw body). The connection's bolt app is resolved
per request, so several Slack teams share one server. A connection without a signing secret refuses
everything: verification fails closed.

The v0 signature is checked here, on the raw bytes, before bolt sees the request: bolt's own check
turns a timestamp that is not a number into a 500 and logs the whole body of every unsigned request,
so anyone could write into our logs. Unsigned, stale or forged requests get 401; a signed body bolt
could not read (not UTF-8, a `payload` that is not a JSON object) gets 400. Neither is logged with
its body. Bolt still verifies again, as a second lock on the same door.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.request.internals import build_normalized_headers, extract_content_type, parse_body
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from channels.slack.channel import SlackChannel

log = logging.getLogger(__name__)
MAX_AGE_SECONDS = 5 * 60  # Slack's own replay window
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def signed(body: bytes, timestamp: str, signature: str, secret: str, *, now: float | None = None) -> bool:
    """Slack's v0 scheme: HMAC-SHA256 of `v0:<timestamp>:<raw body>`, at most five minutes old."""
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={expected}", signature)


def readable(request: Request, body: bytes) -> bool:
    """Whether bolt can read the body, parsed as bolt parses it: UTF-8, a JSON object or a form (with
    a JSON-object `payload`), and no NUL, which the inbox could not store."""
    content_type = extract_content_type(build_normalized_headers(request.headers))  # type: ignore[arg-type]
    try:
        parsed = parse_body(body.decode("utf-8"), content_type)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(parsed, dict) and _shaped(parsed) and "\\u0000" not in json.dumps(parsed)


# The fields bolt reads before any listener runs, and the shapes it assumes without checking: a
# signed body with `"event": null` or `"team": 5` would otherwise crash its middleware into a 500.
_OBJECTS = ("event",)
_IDS = ("enterprise", "team", "user", "channel")  # an id string or an object holding one


def _shaped(body: dict[str, Any]) -> bool:
    if any(name in body and not isinstance(body[name], dict) for name in _OBJECTS):
        return False
    if any(body.get(name) is not None and not isinstance(body[name], str | dict) for name in _IDS):
        return False
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) and _shaped(a) for a in authorizations)
    ):
        return False
    event = body.get("event")
    return event is None or _shaped({k: v for k, v in event.items() if k in _IDS})


def _refuse(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status)


def build_router(channel: SlackChannel) -> APIRouter:
    async def slack_webhook(request: Request) -> Response:
        connection_id = request.path_params["connection_id"]
        connection = await channel.connections.get(connection_id)
        if connection is None or not connection.enabled:
            return _refuse(404, "no such Slack connection")
        if not connection.signing_secret:
            return _refuse(401, "this Slack connection has no signing secret")
        body = await request.body()
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not signed(body, timestamp, signature, connection.signing_secret):
            log.warning("slack webhook refused: bad signature", extra={"connection_id": connection_id})
            return _refuse(401, "missing, stale or invalid Slack signature")
        if not readable(request, body):
            log.warning("slack webhook: unreadable body", extra={"connection_id": connection_id})
            return _refuse(400, "not a Slack request body")
        app = channel.app_for(connection)
        return to_starlette_response(await app.async_dispatch(to_async_bolt_request(request, body)))

    router = APIRouter()
    router.routes.append(
        Route("/webhooks/slack/{connection_id}", slack_webhook, methods=["POST"], include_in_schema=False)
    )
    return router
