"""Workspace request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from admin.common import Name, Role, UpdateModel, WorkspaceSlug
from core.models import Workspace


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
    id: str
    slug: str
    name: str
    timezone: str
    created_at: datetime
    role: Role | None = None

    @classmethod
    def of(cls, workspace: Workspace, role: Role | None) -> WorkspacePublic:
        return cls(
            id=workspace.id,
            slug=workspace.slug,
            name=workspace.name,
            timezone=workspace.timezone,
            created_at=workspace.created_at,
            role=role,
        )


class WorkspaceCreated(BaseModel):
    workspace: WorkspacePublic
    token: str
