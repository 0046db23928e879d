"""WhatsApp and SMS through Twilio: one connection (an account and its numbers) serves both.

Replies leave through the Messages API from the outbox, never inline in the webhook's TwiML.
WhatsApp only delivers free text within 24 hours of the customer's last message: outside it the
connection's approved template (ContentSid + ContentVariables) goes instead, or, with none, the
reply fails as "outside the 24 h window" and the conversation goes back to staff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from twilio.base.exceptions import TwilioRestException

from channels.whatsapp import KINDS
from channels.whatsapp.client import ClientPool
from channels.whatsapp.normalize import TwilioIdentity
from core.channels import AcceptFn, Channel, DeliveryReceipt, MediaError, Route, SendError
from core.connections import ConnectionCache
from core.crypto import SecretBox
from core.db import Database
from core.media.storage import Storage
from core.messages import Attachment, OutboundMessage, buttons_as_text, split_text, utcnow
from core.notify import StaffNotifier

if TYPE_CHECKING:
    from fastapi import APIRouter

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW_ERROR = 63016  # "outside the allowed window" for a free-form WhatsApp message
UNSUBSCRIBED_ERROR = 21610  # the recipient replied STOP
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Connection:
    id: str
    workspace_id: str
    config: dict[str, Any]
    enabled: bool

    @property
    def identity(self) -> TwilioIdentity:
        return TwilioIdentity(self.workspace_id, self.id, help_text=self.config.get("help_text") or None)


class TwilioChannel(Channel):
    kind: ClassVar[str] = "whatsapp"
    max_text: ClassVar[int] = 1600  # Twilio's Body limit; longer SMS replies are sent in parts

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        *,
        public_url: str | None,
        notifier: StaffNotifier | None = None,
        storage: Storage | None = None,
    ) -> None:
        self.db = db
        self.box = box
        self.public_url = public_url
        self.notifier = notifier
        # WhatsApp and MMS fetch a reply's files by URL: stored files go out as signed links.
        self.storage = storage
        self.clients = ClientPool()
        self._connections = ConnectionCache(
            db,
            box,
            kinds=frozenset(str(kind.name) for kind in KINDS),
            build=lambda row, config: Connection(row.id, row.workspace_id, config, row.enabled),
        )

    async def connection(self, connection_id: str) -> Connection | None:
        return await self._connections.get(connection_id)

    def router(self, accept: AcceptFn) -> APIRouter:
        from channels.whatsapp.webhook import build_router

        return build_router(self, accept)

    async def stop(self) -> None:
        await self.clients.close()

    def status_callback(self, connection_id: str) -> str | None:
        if not self.public_url:
            return None
        return f"{self.public_url.rstrip('/')}/webhooks/twilio/{connection_id}/status"

    # --- outbound ------------------------------------------------------------------------------

    async def send(self, route: Route, message: OutboundMessage) -> DeliveryReceipt:
        if not route.connection_id or not route.config.get("auth_token"):
            raise SendError("this conversation's Twilio connection is gone", retryable=False, code="no_connection")
        config = route.config
        whatsapp = route.channel == "whatsapp"
        sender = config.get("from") if whatsapp else (config.get("sms_from") or route.account)
        if not sender:
            raise SendError(f"the connection has no {route.channel} number to send from", retryable=False)
        base: dict[str, Any] = {"to": route.thread, "from_": sender}
        callback = self.status_callback(route.connection_id)
        if callback:
            base["status_callback"] = callback
        if whatsapp and _outside_window(route):
            return await self._template(route, base)
        text = buttons_as_text(message.text, message.buttons)
        parts = split_text(text, self.max_text) or [""]
        media = [url for url in map(self._media_url, message.attachments) if url]
        sids: list[str] = []
        for index, part in enumerate(parts):
            extra: dict[str, Any] = {"body": part}
            if index == len(parts) - 1 and media:
                extra["media_url"] = media
            try:
                sids.append(await self._create(route, {**base, **extra}))
            except SendError as exc:
                if exc.code == str(OUTSIDE_WINDOW_ERROR) and whatsapp and not sids:
                    return await self._template(route, base)
                if sids:  # part of the reply went: don't let a retry send it twice
                    raise SendError(f"{exc} (after {len(sids)} of {len(parts)} parts)", retryable=False) from exc
                raise
        return DeliveryReceipt(external_ids=tuple(sids), status="queued", detail={"parts": len(sids)})

    def _media_url(self, attachment: Attachment) -> str | None:
        if attachment.key and self.storage is not None:
            return self.storage.signed_url(attachment.key, expires_in=24 * 3600)
        if attachment.ref and attachment.ref.startswith("https://"):
            return attachment.ref
        return None

    async def _template(self, route: Route, base: dict[str, Any]) -> DeliveryReceipt:
        content_sid = route.config.get("template_content_sid")
        if not content_sid:
            raise SendError(
                "outside the 24 h window: WhatsApp only allows an approved template, and none is configured",
                retryable=False,
                code=SendError.OUTSIDE_WINDOW,
            )
        variables = route.config.get("template_variables") or "{}"
        sid = await self._create(route, {**base, "content_sid": content_sid, "content_variables": variables})
        return DeliveryReceipt(external_ids=(sid,), status="queued", detail={"template": content_sid})

    async def _create(self, route: Route, params: dict[str, Any]) -> str:
        client = self.clients.client(str(route.connection_id), route.config)
        try:
            created = await client.messages.create_async(**params)
        except TwilioRestException as exc:
            raise _send_error(exc) from exc
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            raise SendError(f"Twilio unreachable: {type(exc).__name__}", code="unavailable") from exc
        except Exception as exc:  # aiohttp's errors, raised through the SDK's async client
            raise SendError(f"Twilio unreachable: {type(exc).__name__}", code="unavailable") from exc
        return str(created.sid)

    # --- media ---------------------------------------------------------------------------------

    async def fetch_media(self, route: Route, attachment: Attachment, *, max_bytes: int) -> bytes:
        """Download with the account's basic auth, following Twilio's redirect to its storage (httpx
        drops the credentials when the redirect leaves the host), refusing more than max_bytes."""
        if not attachment.ref:
            raise MediaError("the attachment has no URL", code="missing")
        auth = (str(route.config.get("account_sid", "")), str(route.config.get("auth_token", "")))
        try:
            async with (
                httpx.AsyncClient(auth=auth, follow_redirects=True, timeout=30, max_redirects=5) as client,
                client.stream("GET", attachment.ref) as response,
            ):
                if response.status_code != 200:
                    raise MediaError(f"Twilio answered {response.status_code}", code="unavailable")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise MediaError(f"the file is {declared} bytes, over the {max_bytes} limit", code="too_large")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise MediaError(f"the file is over the {max_bytes} byte limit", code="too_large")
                return bytes(data)
        except httpx.HTTPError as exc:
            raise MediaError(f"download failed: {type(exc).__name__}", code="unavailable") from exc


def _outside_window(route: Route) -> bool:
    last = route.contact_last_inbound_at
    return last is None or utcnow() - last >= WINDOW


def _send_error(exc: TwilioRestException) -> SendError:
    code = str(exc.code) if exc.code is not None else str(exc.status)
    message = f"Twilio error {code}: {exc.msg}"
    if exc.code == UNSUBSCRIBED_ERROR:
        return SendError(message, retryable=False, code=SendError.OPTED_OUT)
    if exc.status in RETRYABLE_STATUSES:
        return SendError(message, retryable=True, code=code)  # the outbox backs off
    return SendError(message, retryable=False, code=code)
