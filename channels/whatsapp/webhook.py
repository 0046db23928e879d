"""POST /webhooks/twilio/{connection_id} (inbound messages) and …/status (delivery receipts).

Both are verified with X-Twilio-Signature (see signature.py): a bad or missing signature gets 403
and nothing is stored. An inbound message is committed to the inbox before the answer, an empty
TwiML <Response/>, which Twilio gets in milliseconds (it gives up after 15 s). Replies go out through
the REST API from the outbox, never in the TwiML.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from channels.whatsapp.delivery import record_status
from channels.whatsapp.normalize import SID, NotAMessage, normalize
from channels.whatsapp.signature import verify
from core.channels import AcceptFn
from core.notify import StaffAlert

if TYPE_CHECKING:
    from channels.whatsapp.channel import Connection, TwilioChannel

log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
FORM = "application/x-www-form-urlencoded"


def _refuse(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status)


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="application/xml")


def build_router(channel: TwilioChannel, accept: AcceptFn) -> APIRouter:
    async def verified(request: Request) -> tuple[Connection | None, FormData | None, Response | None]:
        connection = await channel.connection(request.path_params["connection_id"])
        if connection is None or not connection.enabled:
            return None, None, _refuse(404, "no such Twilio connection")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == FORM:
            form = await request.form()
            signed: FormData | str = form
        elif content_type == "application/json":
            form, signed = FormData(), (await request.body()).decode("utf-8", errors="replace")
        else:
            return None, None, _refuse(415, "Twilio posts application/x-www-form-urlencoded")
        token = str(connection.config.get("auth_token") or "")
        if not verify(request, signed, token, public_url=channel.public_url):
            log.warning("twilio webhook refused: bad signature", extra={"connection_id": connection.id})
            return None, None, _refuse(403, "missing or invalid X-Twilio-Signature")
        return connection, form, None

    async def inbound(request: Request) -> Response:
        connection, form, refused = await verified(request)
        if refused is not None:
            return refused
        assert connection is not None and form is not None
        params = {k: v for k, v in form.items() if isinstance(v, str)}
        if any("\x00" in v for v in params.values()):
            return _refuse(400, "NUL characters are not accepted")
        try:
            message = normalize(params, connection.identity)
        except (NotAMessage, ValueError) as exc:
            log.warning("twilio webhook: not a message", extra={"connection_id": connection.id, "error": str(exc)})
            return _refuse(400, "not a Twilio message webhook")
        await accept(message)
        return _twiml()

    async def status(request: Request) -> Response:
        connection, form, refused = await verified(request)
        if refused is not None:
            return refused
        assert connection is not None and form is not None
        sid, state = str(form.get("MessageSid") or ""), str(form.get("MessageStatus") or "").lower()
        if not SID.match(sid) or not state:
            return _refuse(400, "MessageSid and MessageStatus are required")
        error_code = str(form.get("ErrorCode") or "") or None
        receipt = await record_status(
            channel.db, workspace_id=connection.workspace_id, sid=sid, status=state, error_code=error_code
        )
        if receipt is not None and receipt.failed and channel.notifier is not None:
            await channel.notifier.alert(
                StaffAlert(
                    workspace_id=connection.workspace_id,
                    conversation_id=receipt.conversation_id,
                    reason="send_failed",
                    detail=f"the reply was not delivered: {receipt.reason or state}",
                )
            )
        return Response(status_code=204)

    router = APIRouter()
    router.routes.append(Route("/webhooks/twilio/{connection_id}", inbound, methods=["POST"], include_in_schema=False))
    router.routes.append(
        Route("/webhooks/twilio/{connection_id}/status", status, methods=["POST"], include_in_schema=False)
    )
    return router
