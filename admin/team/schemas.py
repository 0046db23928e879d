"""The team's request and response bodies. Invitation tokens appear once, in InvitationCreated."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from admin.auth.schemas import Email, SessionPublic
from admin.roles import Role


class MemberPublic(BaseModel):
    user_id: str
    email: str
    name: str
    role: Role


class MemberInvite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    role: Role = "agent"
    name: str = Field("", max_length=200)


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class InvitationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime


class InvitationCreated(BaseModel):
    """Either the member, added at once (they had an account), or the invitation and its link."""

    member: MemberPublic | None = None
    invitation: InvitationPublic | None = None
    url: str | None = Field(None, description="The link to send them. Shown once: only its hash is stored.")


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=200)
    password: str = Field(min_length=10, max_length=256)


class InvitationAccepted(BaseModel):
    """A new account, signed in; or, for someone who already had an account, no session: sign in."""

    session: SessionPublic | None
    workspace_id: str
    role: Role
