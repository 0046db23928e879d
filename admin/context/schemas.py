"""The context API's bodies and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from understanding.models import ContextChange


class IntentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    description: str = Field(default="", max_length=500)
    examples: list[str] = Field(min_length=1, max_length=200)


class IntentsPublic(BaseModel):
    template: bool  # true: the workspace has none of its own and uses the shipped ones
    intents: list[IntentUpdate]


class ChangePublic(BaseModel):
    field: str
    old_value: Any
    new_value: Any
    source: str
    actor: str
    evidence: str | None
    created_at: datetime

    @classmethod
    def of(cls, c: ContextChange) -> ChangePublic:
        return cls(
            field=c.field,
            old_value=c.old_value,
            new_value=c.new_value,
            source=c.source,
            actor=c.actor,
            evidence=c.evidence,
            created_at=c.created_at,
        )


class ContextPublic(BaseModel):
    conversation_id: str
    fields: dict[str, Any]
    status: str | None
    next_statuses: list[str]
    missing: list[str]
    priority: str
    intent: dict[str, Any] | None
    sentiment: dict[str, Any] | None
    summary: dict[str, Any]
    history: list[ChangePublic]
