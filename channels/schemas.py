"""Channel connection request and response bodies. Secrets go in, and never come out."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from admin.common import REDACTED, UpdateModel
from channels.connections import Tested, shown_config
from channels.kinds import KINDS, NAMES
from core.channels import NewConnection
from core.models import ChannelConnection
from core.urls import check_http_url

if TYPE_CHECKING:
    ChannelKind = str
else:  # the kinds the channel packages declare (channels/kinds.py), as the API's enum
    ChannelKind = Literal[NAMES]

ConfigKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ConfigValue = Annotated[str, StringConstraints(max_length=4000)] | int | float | bool | None
# Config keys that are addresses a channel's client will call (a self-hosted Bot API, a Slack proxy).
URL_KEYS = ("api_base",)


def _urls_checked(config: dict[str, Any]) -> dict[str, Any]:
    for key in URL_KEYS:
        value = config.get(key)
        if value not in (None, ""):
            try:
                check_http_url(value if isinstance(value, str) else "")
            except ValueError as exc:
                raise ValueError(f"config.{key}: {exc}") from None
    return config


Config = Annotated[dict[ConfigKey, ConfigValue], Field(max_length=50), AfterValidator(_urls_checked)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
_ALL_SECRETS = ", ".join(sorted(set().union(*(kind.secret_fields for kind in KINDS.values()))))
CONFIG_HELP = (
    f"Channel settings. Secret fields ({_ALL_SECRETS}) are stored encrypted and shown as "
    f"{REDACTED!r}; send {REDACTED!r} back to keep one."
)


class ConnectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ChannelKind
    name: Label = Field("", description="A label for staff; the kind if empty.")
    account: Label = Field("", description="The receiving account: bot id, phone number, Slack team id.")
    assistant_id: Id | None = Field(None, description="Who answers; the first assistant if unset.")
    config: Config = Field(default_factory=dict, description=CONFIG_HELP)
    enabled: bool = True

    def new(self) -> NewConnection:
        return NewConnection(
            kind=self.kind,
            name=self.name,
            account=self.account,
            config=dict(self.config),
            assistant_id=self.assistant_id,
            enabled=self.enabled,
        )


class ConnectionUpdate(UpdateModel):
    NULLABLE = frozenset({"assistant_id"})

    name: Label | None = None
    account: Label | None = None
    assistant_id: Id | None = None
    config: Config | None = Field(None, description="Replaces the config. " + CONFIG_HELP)
    enabled: bool | None = None


class ConnectionPublic(BaseModel):
    id: str
    workspace_id: str
    kind: str
    name: str
    account: str
    assistant_id: str | None
    config: dict[str, Any]
    enabled: bool
    created_at: datetime

    @classmethod
    def of(cls, row: ChannelConnection) -> ConnectionPublic:
        return cls(
            id=row.id,
            workspace_id=row.workspace_id,
            kind=row.kind,
            name=row.name,
            account=row.account,
            assistant_id=row.assistant_id,
            enabled=row.enabled,
            created_at=row.created_at,
            config=shown_config(row),
        )


class TestResult(BaseModel):
    """What a credential test found, in words to show the person as they are."""

    ok: bool = Field(description="Whether the provider accepts the credentials.")
    message: str = Field(description="What the provider said, or what is wrong and how to fix it.")
    found: dict[str, Any] = Field(description="What the provider told about the account (a bot's name).")

    @classmethod
    def of(cls, tested: Tested) -> TestResult:
        return cls(ok=tested.ok, message=tested.message, found=tested.found)
