"""The Telegram channel: replies out through the Bot API, updates in by webhook or long polling."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from channels.telegram.bots import BotPool
from channels.telegram.connection import Connection, from_row
from channels.telegram.ratelimit import SendLimiter
from core.channels import AcceptFn, Channel, DeliveryReceipt, MediaError, Route, SendError
from core.connections import ConnectionCache
from core.crypto import SecretBox
from core.db import Database
from core.media.storage import Storage
from core.messages import Attachment, AttachmentKind, OutboundMessage, QuickReply, buttons_as_text, split_text

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
    from fastapi import APIRouter

log = logging.getLogger(__name__)

CALLBACK_DATA_MAX = 64  # bytes, Telegram's limit for inline button data
MID_MESSAGE_RETRIES = 3  # a 429 on the second part of a long reply is waited out, not re-queued


class TelegramChannel(Channel):
    kind: ClassVar[str] = "telegram"
    max_text: ClassVar[int] = 4096
    supports_buttons: ClassVar[bool] = True

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        accept: AcceptFn,
        *,
        poll_rescan_seconds: float = 15.0,
        poll_timeout: int = 25,
        storage: Storage | None = None,
    ) -> None:
        self.db = db
        self.box = box
        self.accept = accept
        self.bots = BotPool()
        self.limiter = SendLimiter()
        self.poll_rescan_seconds = poll_rescan_seconds
        self.poll_timeout = poll_timeout
        self.storage = storage  # a reply's stored files are uploaded from here
        self._connections = ConnectionCache(db, box, kinds=frozenset({self.kind}), build=from_row)
        self._polling: Any = None  # channels.telegram.polling.PollingSupervisor once started

    # --- connections -------------------------------------------------------------------------

    async def connection(self, connection_id: str) -> Connection | None:
        return await self._connections.get(connection_id)

    def bot_for(self, connection: Connection) -> Bot:
        return self.bots.bot(connection.id, connection.config)

    def _route_bot(self, route: Route) -> Bot:
        if not route.connection_id or not route.config.get("token"):
            raise SendError("this conversation's Telegram connection is gone", retryable=False, code="no_connection")
        return self.bots.bot(route.connection_id, route.config)

    # --- inbound -------------------------------------------------------------------------------

    def router(self, accept: AcceptFn) -> APIRouter:
        from channels.telegram.webhook import build_router

        return build_router(self, accept)

    async def start(self) -> None:
        from channels.telegram.polling import PollingSupervisor

        self._polling = PollingSupervisor(self, rescan_seconds=self.poll_rescan_seconds, poll_timeout=self.poll_timeout)
        self._polling.start()

    async def stop(self) -> None:
        if self._polling is not None:
            await self._polling.stop()
            self._polling = None
        await self.bots.close()

    # --- outbound ------------------------------------------------------------------------------

    async def _send_file(self, bot: Bot, chat_id: int, attachment: Attachment) -> Any:
        file = await _upload(self.storage, attachment)
        if attachment.kind is AttachmentKind.image:
            return await bot.send_photo(chat_id, file)
        return await bot.send_document(chat_id, file)

    async def send(self, route: Route, message: OutboundMessage) -> DeliveryReceipt:
        bot = self._route_bot(route)
        chat_id = int(route.thread)
        markup, text = _keyboard(message.buttons), message.text
        if message.buttons and markup is None:
            text = buttons_as_text(text, message.buttons)
        parts = split_text(text, self.max_text)
        sent: list[str] = []
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            result = await self._call(
                bot,
                route.thread,
                first=not sent,
                call=lambda part=part, last=last: bot.send_message(
                    chat_id, part, reply_markup=markup if last else None
                ),
            )
            sent.append(f"{chat_id}:{result.message_id}")
        for attachment in message.attachments:
            result = await self._call(
                bot, route.thread, first=not sent, call=lambda a=attachment: self._send_file(bot, chat_id, a)
            )
            sent.append(f"{chat_id}:{result.message_id}")
        return DeliveryReceipt(external_ids=tuple(sent), status="sent", detail={"parts": len(sent)})

    async def _call(self, bot: Bot, chat: str, *, first: bool, call: Any) -> Any:
        """One Bot API call under the rate limiter. Before anything of this reply went out, a long
        wait or a 429 goes back to the outbox (which retries later); once a part has gone, the rest
        waits here, so the customer never gets the first part twice."""
        from aiogram.exceptions import TelegramRetryAfter

        bot_key = str(bot.id)
        for attempt in range(MID_MESSAGE_RETRIES + 1):
            wait = self.limiter.reserve(bot_key, chat, force=not first)
            if wait < 0:
                raise SendError("rate limited", retry_after=self.limiter.next_free(bot_key, chat), code="rate_limited")
            if wait:
                await asyncio.sleep(wait)
            try:
                return await call()
            except TelegramRetryAfter as exc:
                if first or attempt == MID_MESSAGE_RETRIES or exc.retry_after > 60:
                    raise SendError(str(exc), retry_after=float(exc.retry_after), code="429") from exc
                await asyncio.sleep(exc.retry_after)
            except Exception as exc:
                raise _send_error(exc) from exc
        raise AssertionError("unreachable")

    async def typing(self, route: Route) -> None:
        bot = self._route_bot(route)
        await bot.send_chat_action(int(route.thread), "typing")

    async def fetch_media(self, route: Route, attachment: Attachment, *, max_bytes: int) -> bytes:
        """Download a voice note, photo or file by its file_id: getFile, then the file URL,
        refusing anything over max_bytes before and while reading it."""
        if not attachment.ref:
            raise MediaError("the attachment has no file id", code="missing")
        from aiogram.exceptions import TelegramAPIError

        bot = self._route_bot(route)
        try:
            file = await bot.get_file(attachment.ref)
        except TelegramAPIError as exc:
            raise MediaError(f"getFile failed: {exc}", code="unavailable") from exc
        if file.file_size is not None and file.file_size > max_bytes:
            raise MediaError(f"the file is {file.file_size} bytes, over the {max_bytes} limit", code="too_large")
        if not file.file_path:
            raise MediaError("Telegram gave no file path (files over 20 MB need a local Bot API server)")
        buffer = io.BytesIO()
        url = bot.session.api.file_url(bot.token, file.file_path)
        try:
            async for chunk in bot.session.stream_content(url, timeout=60, raise_for_status=True):
                buffer.write(chunk)
                if buffer.tell() > max_bytes:
                    raise MediaError(f"the file is over the {max_bytes} byte limit", code="too_large")
        except MediaError:
            raise
        except Exception as exc:
            raise MediaError(f"download failed: {type(exc).__name__}", code="unavailable") from exc
        return buffer.getvalue()


def _keyboard(buttons: tuple[QuickReply, ...]) -> InlineKeyboardMarkup | None:
    """Quick replies as an inline keyboard, one button per row; None if any payload is too long
    for Telegram's callback data (they are then sent as a numbered list)."""
    if not buttons or any(len(b.payload.encode()) > CALLBACK_DATA_MAX for b in buttons):
        return None
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

    rows = [[InlineKeyboardButton(text=b.title, callback_data=b.payload)] for b in buttons]
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _upload(storage: Storage | None, attachment: Attachment) -> str | BufferedInputFile:
    """A Telegram file_id or URL is passed on; a stored file is uploaded."""
    from aiogram.types import BufferedInputFile

    if attachment.key and storage is not None:
        try:
            data = await storage.get(attachment.key)
        except Exception as exc:
            raise SendError(f"the stored file is gone: {exc}", retryable=False, code="bad_attachment") from exc
        return BufferedInputFile(data, filename=attachment.name or f"{attachment.kind.value}-{attachment.key[:8]}")
    if attachment.ref:
        return attachment.ref
    raise SendError(
        "an attachment without a file, file id or URL cannot be sent", retryable=False, code="bad_attachment"
    )


def _send_error(exc: Exception) -> SendError:
    from aiogram.exceptions import (
        TelegramBadRequest,
        TelegramForbiddenError,
        TelegramNetworkError,
        TelegramNotFound,
        TelegramServerError,
        TelegramUnauthorizedError,
    )

    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, TelegramForbiddenError):
        # Blocked by the user, kicked from the group: retrying cannot help.
        return SendError(f"Telegram refused: {exc.message}", retryable=False, code=SendError.UNREACHABLE)
    if isinstance(exc, TelegramUnauthorizedError):
        return SendError("the bot token was revoked or is wrong", retryable=False, code="unauthorized")
    if isinstance(exc, TelegramBadRequest | TelegramNotFound):
        return SendError(f"Telegram rejected the message: {exc.message}", retryable=False, code="bad_request")
    if isinstance(exc, TelegramServerError | TelegramNetworkError):
        return SendError(f"Telegram unavailable: {exc}", code="unavailable")
    return SendError(f"{type(exc).__name__}: {exc}")
