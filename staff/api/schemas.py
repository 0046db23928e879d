"""Conversation and message bodies, as staff see them in the inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from admin.common import UpdateModel

ConversationStatus = Literal["open", "waiting", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
MAX_REPLY_CHARS = 4000


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_unique)]


class ConversationPublic(BaseModel):
    id: str
    channel: str
    account: str
    contact_id: str
    contact_name: str | None
    assistant_id: str | None
    status: str
    priority: str
    tags: list[str]
    assigned_user_id: str | None
    bot_paused: bool
    last_message_at: datetime | None
    created_at: datetime


class ConversationUpdate(UpdateModel):
    NULLABLE = frozenset({"assigned_user_id"})

    status: ConversationStatus | None = None
    priority: Priority | None = None
    tags: Tags | None = None
    assigned_user_id: str | None = Field(None, max_length=64, description="A workspace member, or null.")
    bot_paused: bool | None = Field(None, description="True: the bot stays quiet and staff answer.")


class MessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    direction: str
    author: str
    author_user_id: str | None
    kind: str
    text: str
    attachments: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    status: str
    created_at: datetime
    sent_at: datetime | None


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_REPLY_CHARS)
    save_answer: bool = Field(
        False, description="Also save the customer's last question and this reply to the knowledge base."
    )
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Sending the same key again (e.g. a retried request) sends the reply once.",
    )


class ReplyPublic(BaseModel):
    queued: bool = Field(description="False when this idempotency key was already sent.")
    outbox_id: int | None
