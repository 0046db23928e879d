"""The web chat API's request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.messages import Citation

ChatStatus = Literal["sent", "pending_approval", "handed_off", "processing"]


class ChatCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    agent: str = Field(min_length=1, max_length=64, description="The assistant's id or slug.")
    message: str = Field(description="What the customer wrote.")
    session_id: uuid.UUID | None = Field(None, description="A UUID the widget keeps; omit to start one.")
    message_id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The widget's id for this message; a resend with the same id is not processed twice.",
    )

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("message is empty")
        return value


class ChatPublic(BaseModel):
    agent: str
    message: str
    session_id: uuid.UUID
    response: str | None
    status: ChatStatus
    citations: list[Citation] = []


class ChatMessagePublic(BaseModel):
    id: str
    role: Literal["customer", "assistant", "staff", "system"]
    text: str
    created_at: datetime
    citations: list[Citation] = []


class ChatHistoryPublic(BaseModel):
    session_id: uuid.UUID
    messages: list[ChatMessagePublic]
