"""The bodies of staff's edits to a conversation's context and status (the answer is
understanding.api.schemas.ContextPublic)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ContextUpdate(BaseModel):
    """Staff's edit: field values by name (null clears one); `status` moves the workflow."""

    model_config = ConfigDict(extra="forbid")

    fields: dict[str, Any] = Field(default_factory=dict, max_length=50)


class StatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(min_length=1, max_length=64)
