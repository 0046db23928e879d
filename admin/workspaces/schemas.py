"""Workspace request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from admin.common import Name, Role, UpdateModel, WorkspaceSlug
from admin.workspaces.origins import MAX_ORIGINS, ChatOrigins
from core.models import Workspace


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from exc
    return value


TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_zone)]


def _region(value: str) -> str:
    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not a phone region (an ISO country code, e.g. GB or ES)")
    return value.upper()


# Where national phone numbers are read (phonenumbers' regions: ISO 3166 codes, e.g. GB, US, ES).
PhoneRegion = Annotated[str, StringConstraints(min_length=2, max_length=3), AfterValidator(_region)]


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    slug: WorkspaceSlug | None = None
    timezone: TimeZone = "UTC"


class WorkspaceUpdate(UpdateModel):
    NULLABLE = frozenset({"phone_region"})

    name: Name | None = None
    slug: WorkspaceSlug | None = None
    timezone: TimeZone | None = None
    phone_region: PhoneRegion | None = Field(
        None, description="Where phone numbers without +country are read, e.g. GB; null: the server's setting."
    )
    chat_origins: ChatOrigins | None = Field(
        None,
        max_length=MAX_ORIGINS,
        description="The business's own sites that may show the web chat in a frame and call the chat API "
        "(`https://host[:port]`, http only for localhost; no path, no wildcard), besides the server's "
        "FRONTDESK_CHAT_ALLOWED_ORIGINS. The whole list; [] clears it.",
        examples=[["https://www.bellas-salon.example"]],
    )


class WorkspacePublic(BaseModel):
    id: str
    slug: str
    name: str
    timezone: str
    phone_region: str | None = None
    chat_origins: list[str] = Field(default_factory=list)
    created_at: datetime
    role: Role | None = None

    @classmethod
    def of(cls, workspace: Workspace, role: Role | None) -> WorkspacePublic:
        return cls(
            id=workspace.id,
            slug=workspace.slug,
            name=workspace.name,
            timezone=workspace.timezone,
            phone_region=workspace.phone_region,
            chat_origins=workspace.chat_origins or [],
            created_at=workspace.created_at,
            role=role,
        )


class WorkspaceCreated(BaseModel):
    workspace: WorkspacePublic
    token: str
