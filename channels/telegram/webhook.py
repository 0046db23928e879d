"""POST /webhooks/telegram/{connection_id}: verify, parse with aiogram, store, acknowledge.

The secret header is required (a connection without a secret refuses webhooks, unlike aiogram's
own handler) and compared in constant time. The update is committed to the inbox before the 200,
so Telegram's redelivery of anything unacknowledged is the only retry we need, and the inbox's
dedup makes a redelivery one turn. A button press is answered in the webhook response itself
(answerCallbackQuery), which costs no extra request.

This is the hottest path in the product, so it is a plain Starlette route: none of FastAPI's
dependency solving, and the app-wide input guard's one job here (no NUL, which PostgreSQL cannot
store) is a byte check.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING, Any

from aiogram.types import Update
from fastapi import APIRouter
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from channels.telegram.ingest import ingest
from core.channels import AcceptFn

if TYPE_CHECKING:
    from channels.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


def _refuse(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status)


def build_router(channel: TelegramChannel, accept: AcceptFn) -> APIRouter:
    async def telegram_webhook(request: Request) -> Response:
        connection_id = request.path_params["connection_id"]
        connection = await channel.connection(connection_id)
        if connection is None or not connection.enabled:
            return _refuse(404, "no such Telegram connection")
        expected = connection.webhook_secret
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("telegram webhook refused: bad secret", extra={"connection_id": connection_id})
            return _refuse(401, "missing or wrong secret token")
        body = await request.body()
        try:
            if b"\\u0000" in body:
                raise ValueError("NUL characters are not accepted")
            data: Any = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("an update is a JSON object")
            update = Update.model_validate(data, context={"bot": channel.bot_for(connection)})
        except (ValueError, ValidationError, RecursionError) as exc:
            log.warning(
                "telegram webhook: not a valid update",
                extra={"connection_id": connection_id, "error": type(exc).__name__},
            )
            return _refuse(400, "not a valid Telegram update")
        outcome = await ingest(update, connection, accept, raw=data)
        if outcome.callback_query_id:
            return JSONResponse({"method": "answerCallbackQuery", "callback_query_id": outcome.callback_query_id})
        return Response(status_code=200)

    router = APIRouter()
    router.routes.append(
        Route("/webhooks/telegram/{connection_id}", telegram_webhook, methods=["POST"], include_in_schema=False)
    )
    return router
