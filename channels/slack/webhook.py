"""POST /webhooks/slack/{connection_id}: Events API, interactivity and the slash command, on one URL.

A plain Starlette route (bolt needs the raw body for the signature). The connection's bolt app is
resolved per request, so several Slack teams share one server. A connection without a signing
secret refuses everything: verification fails closed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from channels.slack.channel import SlackChannel

log = logging.getLogger(__name__)


def build_router(channel: SlackChannel) -> APIRouter:
    async def slack_webhook(request: Request) -> Response:
        connection = await channel.connections.get(request.path_params["connection_id"])
        if connection is None or not connection.enabled:
            return JSONResponse({"detail": "no such Slack connection"}, 404)
        if not connection.signing_secret:
            return JSONResponse({"detail": "this Slack connection has no signing secret"}, 401)
        app = channel.app_for(connection)
        return await AsyncSlackRequestHandler(app).handle(request)

    router = APIRouter()
    router.routes.append(
        Route("/webhooks/slack/{connection_id}", slack_webhook, methods=["POST"], include_in_schema=False)
    )
    return router
