"""Telegram updates (parsed by aiogram's types) to the internal `InboundMessage`.

Dedup keys: a message is (bot id, chat id, message_id): the account is the bot id and the external
id is "chat:message_id". An edit adds its edit date, so it is not taken for a redelivery of the
original. A button press is its callback query id; anything else falls back to the update_id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram.types import CallbackQuery, Message, MessageEntity, Update, User

from channels.telegram.connection import BotIdentity
from core.messages import Attachment, AttachmentKind, ChannelKind, InboundMessage, MessageKind, Sender


@dataclass(frozen=True)
class Normalized:
    """The outcome for one update: a message to accept, or why there is none."""

    message: InboundMessage | None
    # "unsupported" (update type we do not handle) or "ignored" (a group message not for us).
    skipped: str | None = None
    update_type: str = "unknown"
    callback_query_id: str | None = None


def update_type(update: Update) -> str:
    try:
        return update.event_type
    except Exception:  # aiogram raises UpdateTypeLookupError for types newer than itself
        return "unknown"


def normalize(
    update: Update, bot: BotIdentity, *, raw: dict[str, Any] | None = None, received_at: datetime | None = None
) -> Normalized:
    """`raw` is the update as received (the webhook has it already; dumping it again costs more
    than parsing it)."""
    kind = update_type(update)
    if raw is None:
        raw = update.model_dump(mode="json", exclude_none=True, exclude_unset=True)
    if kind == "message" and update.message is not None:
        msg = _message(update.message, bot, MessageKind.message, raw, received_at)
        return Normalized(msg, None if msg else "ignored", kind)
    if kind == "edited_message" and update.edited_message is not None:
        msg = _message(update.edited_message, bot, MessageKind.edit, raw, received_at)
        return Normalized(msg, None if msg else "ignored", kind)
    if kind == "callback_query" and update.callback_query is not None:
        query = update.callback_query
        return Normalized(_button(query, bot, raw, received_at), None, kind, callback_query_id=query.id)
    return Normalized(None, "unsupported", kind)


def _sender(user: User | None, chat_id: int) -> Sender:
    if user is None:  # an anonymous group admin or a channel: the chat speaks
        return Sender(id=str(chat_id))
    return Sender(
        id=str(user.id),
        display_name=user.full_name or None,
        handle=user.username,
        language=user.language_code,
    )


def _base(bot: BotIdentity, received_at: datetime | None) -> dict[str, Any]:
    base: dict[str, Any] = {
        "workspace_id": bot.workspace_id,
        "channel": ChannelKind.telegram,
        "account": bot.bot_id,
        "connection_id": bot.connection_id,
    }
    if received_at is not None:
        base["received_at"] = received_at
    return base


def _message(
    m: Message, bot: BotIdentity, kind: MessageKind, raw: dict[str, Any], received_at: datetime | None
) -> InboundMessage | None:
    text = m.text if m.text is not None else (m.caption or "")
    entities = (m.entities if m.text is not None else m.caption_entities) or []
    if m.chat.type in ("group", "supergroup"):
        addressed, text = _addressed(m, text, entities, bot)
        if not addressed:
            return None
    elif m.chat.type != "private":
        return None  # channel posts are the business's own broadcasts, not customers
    payload = None
    command, _, argument = text.strip().partition(" ")
    if command.split("@")[0] == "/start":
        payload = argument.strip() or None
    external_id = f"{m.chat.id}:{m.message_id}"
    sent_at = m.date
    if kind is MessageKind.edit:
        edited = m.edit_date if isinstance(m.edit_date, datetime) else None
        external_id += f":edit:{int(edited.timestamp()) if edited else 0}"
        sent_at = edited or m.date
    if not text and m.sticker is not None:
        text = m.sticker.emoji or ""
    return InboundMessage(
        **_base(bot, received_at),
        external_id=external_id,
        thread=str(m.chat.id),
        sender=_sender(m.from_user, m.chat.id),
        kind=kind,
        text=text,
        payload=payload,
        attachments=_attachments(m),
        reply_to=f"{m.chat.id}:{m.reply_to_message.message_id}" if m.reply_to_message else None,
        sent_at=_aware(sent_at),
        raw=raw,
    )


def _button(
    query: CallbackQuery, bot: BotIdentity, raw: dict[str, Any], received_at: datetime | None
) -> InboundMessage:
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    reply_to = f"{chat_id}:{query.message.message_id}" if query.message is not None else None
    return InboundMessage(
        **_base(bot, received_at),
        external_id=f"callback:{query.id}",
        thread=str(chat_id),
        sender=_sender(query.from_user, chat_id),
        kind=MessageKind.button,
        payload=query.data or "",
        reply_to=reply_to,
        raw=raw,
    )


def _addressed(m: Message, text: str, entities: list[MessageEntity], bot: BotIdentity) -> tuple[bool, str]:
    """In a group, only a mention of the bot, a /command@bot or a reply to the bot is for us.
    The mention is removed from the text the assistant sees."""
    mention = f"@{bot.username}".lower()
    addressed = m.reply_to_message is not None and (
        m.reply_to_message.from_user is not None and str(m.reply_to_message.from_user.id) == bot.bot_id
    )
    for entity in entities:
        if entity.type == "text_mention":
            addressed = addressed or (entity.user is not None and str(entity.user.id) == bot.bot_id)
            continue
        value = entity.extract_from(text).lower()
        addressed = addressed or (entity.type == "mention" and value == mention)
        addressed = addressed or (entity.type == "bot_command" and value.endswith(mention))
    if addressed and bot.username:
        text = re.sub(rf"[ \t]*@{re.escape(bot.username)}\b", "", text, flags=re.IGNORECASE).strip()
    return addressed, text


def _attachments(m: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if m.voice is not None:
        v = m.voice
        found.append(
            Attachment(
                kind=AttachmentKind.voice,
                mime_type=v.mime_type or "audio/ogg",
                size=v.file_size,
                ref=v.file_id,
                duration_seconds=float(v.duration),
            )
        )
    if m.audio is not None:
        a = m.audio
        found.append(
            Attachment(
                kind=AttachmentKind.audio,
                mime_type=a.mime_type,
                size=a.file_size,
                name=a.file_name or a.title,
                ref=a.file_id,
                duration_seconds=float(a.duration),
            )
        )
    if m.photo:
        largest = max(m.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        found.append(
            Attachment(kind=AttachmentKind.image, mime_type="image/jpeg", size=largest.file_size, ref=largest.file_id)
        )
    if m.document is not None:
        d = m.document
        found.append(
            Attachment(
                kind=AttachmentKind.document, mime_type=d.mime_type, size=d.file_size, name=d.file_name, ref=d.file_id
            )
        )
    if m.video is not None:
        video = m.video
        found.append(
            Attachment(
                kind=AttachmentKind.video,
                mime_type=video.mime_type,
                size=video.file_size,
                name=video.file_name,
                ref=video.file_id,
                duration_seconds=float(video.duration),
            )
        )
    if m.sticker is not None:
        found.append(Attachment(kind=AttachmentKind.sticker, name=m.sticker.emoji, ref=m.sticker.file_id))
    if m.location is not None:
        found.append(
            Attachment(kind=AttachmentKind.location, latitude=m.location.latitude, longitude=m.location.longitude)
        )
    if m.contact is not None:
        c = m.contact
        name = " ".join(filter(None, (c.first_name, c.last_name))) or None
        found.append(Attachment(kind=AttachmentKind.contact, name=name, phone=c.phone_number))
    return tuple(found)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
