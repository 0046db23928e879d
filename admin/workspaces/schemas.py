"""Workspace request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from admin.common import Name, Role, UpdateModel, WorkspaceSlug


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from exc
    return value


TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_zone)]


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    slug: WorkspaceSlug | None = None
    timezone: TimeZone = "UTC"


class WorkspaceUpdate(UpdateModel):
    name: Name | None = None
    slug: WorkspaceSlug | None = None
    timezone: TimeZone | None = None


class WorkspacePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    slug: str
    name: str
    timezone: str
    created_at: datetime
    role: Role | None = None


class WorkspaceCreated(BaseModel):
    workspace: WorkspacePublic
    token: str
