"""Account request and response bodies. Password hashes and token hashes never appear here."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from admin.common import Name, Role
from admin.workspaces.schemas import WorkspacePublic

# Deliverability is the mail server's business; this only catches what is plainly not an address.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]


class RegisterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: str = Field(min_length=10, max_length=256)
    name: str = Field("", max_length=200)
    workspace_name: Name


class LoginCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=256)
    workspace: str | None = Field(
        None, min_length=1, max_length=64, description="Workspace id or slug; omit for your first workspace."
    )


class PasswordUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=10, max_length=256)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    created_at: datetime


class SessionPublic(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`. Shown once.")
    user: UserPublic
    workspace: WorkspacePublic
    role: Role


class ProfilePublic(BaseModel):
    user: UserPublic | None
    workspace: WorkspacePublic
    role: Role
