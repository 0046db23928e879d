"""Draft bodies: the approval queue as staff see it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DraftState = Literal["pending", "approved", "edited", "rejected", "taken_over", "superseded", "sent"]


class DraftPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    text: str
    citations: list[dict[str, Any]]
    confidence: float | None
    grounded: bool
    source: str
    model: str | None
    decision: str
    reason: str | None
    state: str
    final_text: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    created_at: datetime


class DraftApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, max_length=4000, description="Send this instead of the draft's text (an edit).")
    save_answer: bool = Field(
        False, description="Also save the customer's question and this answer to the knowledge base (answer memory)."
    )
