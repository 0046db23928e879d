"""Token response bodies: what a token is and where it was used, never the token or its hash."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class TokenPublic(BaseModel):
    id: str
    kind: Literal["api", "session"] = Field(description="session: from a login; api: a workspace API token (CLI).")
    name: str
    prefix: str = Field(description="The token's first characters, enough to recognise it; never the whole token.")
    user_id: str | None = Field(description="Whose session this is; null for a workspace API token.")
    user_email: str | None
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")
    expires_at: datetime | None
    current: bool = Field(description="The token this request was made with.")
