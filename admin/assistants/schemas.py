"""Assistant request and response bodies. API keys go in, and never come out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from admin.common import REDACTED, Name, Slug, UpdateModel
from core.assistants import APPROVAL_POLICIES, SECRET_FIELDS, ModelSettings
from core.crypto import redact
from core.messages import ChannelKind
from core.models import Assistant
from core.urls import HttpURL

ApprovalPolicy = Literal["approve_all", "autopilot", "auto"]
if set(get_args(ApprovalPolicy)) != set(APPROVAL_POLICIES):  # keep the API's enum honest
    raise RuntimeError("admin ApprovalPolicy is out of step with core.assistants.APPROVAL_POLICIES")

MAX_SETTING_CHARS = 2000
MAX_INSTRUCTIONS = 20_000
MAX_HOLDING_REPLY = 2_000


class ModelSettingsUpdate(ModelSettings):
    """core's ModelSettings, with limits fit for input. A redacted key means "keep the stored key"."""

    model_config = ConfigDict(extra="forbid")

    base_url: HttpURL | None = None
    fallback_base_url: HttpURL | None = None

    @model_validator(mode="after")
    def _limits(self) -> Self:
        for field, value in self.model_dump().items():
            if isinstance(value, str) and len(value) > MAX_SETTING_CHARS:
                raise ValueError(f"{field} is longer than {MAX_SETTING_CHARS} characters")
        return self


class AssistantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    slug: Slug | None = Field(None, description="Used in web chat links; generated from the name if omitted.")
    instructions: str | None = Field(None, max_length=MAX_INSTRUCTIONS)
    approval_policy: ApprovalPolicy = "approve_all"
    confidence_threshold: float = Field(0.75, ge=0, le=1)
    holding_reply: str | None = Field(None, max_length=MAX_HOLDING_REPLY)
    model_settings: ModelSettingsUpdate | None = None


class AssistantUpdate(UpdateModel):
    NULLABLE = frozenset({"holding_reply", "model_settings"})

    name: Name | None = None
    slug: Slug | None = None
    instructions: str | None = Field(None, max_length=MAX_INSTRUCTIONS)
    approval_policy: ApprovalPolicy | None = None
    confidence_threshold: float | None = Field(None, ge=0, le=1)
    holding_reply: str | None = Field(None, max_length=MAX_HOLDING_REPLY)
    model_settings: ModelSettingsUpdate | None = Field(
        None, description=f"Replaces the settings; an api key sent as {REDACTED!r} keeps the stored one."
    )


class AssistantPublic(BaseModel):
    id: str
    workspace_id: str
    slug: str
    name: str
    instructions: str
    approval_policy: str
    confidence_threshold: float
    holding_reply: str | None
    model_settings: dict[str, Any] = Field(description=f"API keys show as {REDACTED!r} when set.")
    created_at: datetime

    @classmethod
    def of(cls, row: Assistant) -> AssistantPublic:
        return cls(
            id=row.id,
            workspace_id=row.workspace_id,
            slug=row.slug,
            name=row.name,
            instructions=row.instructions,
            approval_policy=row.approval_policy,
            confidence_threshold=row.confidence_threshold,
            holding_reply=row.holding_reply,
            model_settings=redact(row.model_settings or {}, SECRET_FIELDS),
            created_at=row.created_at,
        )


class TryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        min_length=1, max_length=100_000, description="What a customer writes (at most FRONTDESK_MAX_MESSAGE_CHARS)."
    )
    channel: ChannelKind = ChannelKind.web


class TryRule(BaseModel):
    rule: str
    actions: list[str] = Field(description="What each action would do.")


class TrySource(BaseModel):
    id: str
    title: str | None
    url: str | None
    score: float = Field(description="Similarity to the message.")
    text: str


class TryDraft(BaseModel):
    text: str
    source: str = Field(description="llm, extractive (the knowledge base's own words), rule, or none.")
    confidence: float | None
    grounded: bool
    needs_staff: bool
    model: str | None
    reason: str | None
    citations: list[str]


class TryDecision(BaseModel):
    decision: str = Field(description="auto_send, needs_approval, handoff or silent.")
    reason: str


class TryPublic(BaseModel):
    """Each stage's result for a sample message, from a dry run of the real pipeline."""

    message: str
    channel: str
    assistant_id: str | None
    understanding: dict[str, Any]
    context_changes: list[dict[str, Any]]
    rules: list[TryRule] = Field(description="The rules that fired, in order.")
    sources: list[TrySource]
    answer_threshold: float = Field(description="The similarity an answer from the knowledge base needs.")
    draft: TryDraft | None
    decision: TryDecision
    note: str


class ModelCheckPublic(BaseModel):
    endpoint: Literal["primary", "fallback"]
    ok: bool
    message: str
