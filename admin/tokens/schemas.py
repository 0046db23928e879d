"""Token response bodies: what a token is and where it was used, never the token or its hash."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from admin.common import Name

TokenScope = Literal["full", "inbox", "read"]
SCOPE_HELP = "full: everything an owner may do; inbox: conversations and drafts only; read: look, change nothing."


class TokenPublic(BaseModel):
    id: str
    kind: Literal["api", "session"] = Field(description="session: from a login; api: a workspace API token (CLI).")
    name: str
    scope: TokenScope = Field(description=SCOPE_HELP + " Sessions are always full (their person's role applies).")
    prefix: str = Field(description="The token's first characters, enough to recognise it; never the whole token.")
    user_id: str | None = Field(description="Whose session this is; null for a workspace API token.")
    user_email: str | None
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")
    expires_at: datetime | None
    current: bool = Field(description="The token this request was made with.")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="What it is for, e.g. 'booking system'.")
    scope: TokenScope = Field("full", description=SCOPE_HELP)


class TokenCreated(TokenPublic):
    token: str = Field(description="The token itself: shown this once, only its hash is kept.")
