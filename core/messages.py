"""The internal message format every channel meets.

Adapters turn channel traffic into an `InboundMessage`; replies leave as an `OutboundMessage`
through the outbox. Both are frozen: once a message is accepted nobody rewrites it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ChannelKind(StrEnum):
    telegram = "telegram"
    whatsapp = "whatsapp"
    sms = "sms"
    slack = "slack"
    web = "web"


class MessageKind(StrEnum):
    message = "message"
    edit = "edit"
    button = "button"
    reaction = "reaction"
    # Channel control keywords (SMS STOP/START/HELP): not conversation, but the contact's standing.
    opt_out = "opt_out"
    opt_in = "opt_in"
    help = "help"


class AttachmentKind(StrEnum):
    audio = "audio"
    voice = "voice"
    image = "image"
    video = "video"
    document = "document"
    sticker = "sticker"
    location = "location"
    contact = "contact"


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Attachment(_Frozen):
    kind: AttachmentKind
    mime_type: str | None = None
    size: int | None = Field(default=None, ge=0)
    name: str | None = None
    # The channel's own handle for the file (Telegram file_id, Twilio media URL, Slack file id).
    ref: str | None = None
    duration_seconds: float | None = None
    transcript: str | None = None
    # A shared location or contact card.
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    phone: str | None = None
    # Filled by the media stage: the stored copy (content-hash key), what the customer wrote beside
    # a voice note, the transcript's language and confidence, a document's text, and why the file
    # could not be used (too_long, too_large, corrupt, wrong_type, empty, no_speech).
    key: str | None = None
    caption: str | None = None
    language: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    extracted_text: str | None = None
    problem: str | None = None


class Sender(_Frozen):
    id: str = Field(min_length=1)
    display_name: str | None = None
    handle: str | None = None
    phone: str | None = None
    language: str | None = None


class InboundMessage(_Frozen):
    workspace_id: str
    channel: ChannelKind
    # The receiving account: bot id, phone number, Slack team, web assistant.
    account: str = Field(min_length=1)
    # The channel-native message id: the dedup key together with channel and account.
    external_id: str = Field(min_length=1)
    # The channel-native chat/thread key: one conversation per (channel, account, thread).
    thread: str = Field(min_length=1)
    sender: Sender
    kind: MessageKind = MessageKind.message
    text: str = ""
    # Button callback data for kind=button; the deep-link parameter of a Telegram /start.
    payload: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    sent_at: datetime = Field(default_factory=utcnow)
    received_at: datetime = Field(default_factory=utcnow)
    connection_id: str | None = None
    # Which assistant answers when the account serves several (web chat's `agent`).
    assistant_id: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    @field_validator("sent_at", "received_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @property
    def conversation_key(self) -> str:
        """Messages with the same key are processed strictly in order."""
        return f"{self.workspace_id}:{self.channel}:{self.account}:{self.thread}"

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and not self.attachments and self.payload is None


class QuickReply(_Frozen):
    title: str = Field(min_length=1, max_length=200)
    payload: str = Field(min_length=1, max_length=200)


class Citation(_Frozen):
    source_id: str
    title: str | None = None
    url: str | None = None
    snippet: str | None = None


class OutboundMessage(_Frozen):
    conversation_id: str
    text: str = ""
    buttons: tuple[QuickReply, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    citations: tuple[Citation, ...] = ()
    idempotency_key: str = Field(min_length=1, max_length=200)


def split_text(text: str, limit: int) -> list[str]:
    """Split text at paragraph, then sentence, then word boundaries so no part exceeds `limit`."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " "):
            idx = window.rfind(sep)
            if idx > limit // 3:
                cut = idx + len(sep.rstrip()) if sep.strip() else idx
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def buttons_as_text(text: str, buttons: tuple[QuickReply, ...]) -> str:
    """Channels without buttons get them as a numbered list."""
    if not buttons:
        return text
    lines = [f"{i}. {b.title}" for i, b in enumerate(buttons, start=1)]
    return (text + "\n\n" if text else "") + "\n".join(lines)
