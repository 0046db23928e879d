"""Rule request and response bodies. A rule's body is rules.schema.RuleSpec itself, validated by
the rule engine (so its errors are the owner-readable ones), and webhook secrets come back redacted."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from admin.workspaces.schemas import TimeZone
from rules import service
from rules.hours import BusinessHours
from rules.models import Rule, RuleExecution

Channel = Literal["web", "telegram", "whatsapp", "sms", "slack"]


class RulePublic(BaseModel):
    id: str
    name: str
    trigger: str
    schedule: str | None
    priority: int
    active: bool
    execution_count: int
    last_fired_at: datetime | None
    created_at: datetime
    updated_at: datetime
    spec: dict[str, Any]

    @classmethod
    def of(cls, rule: Rule) -> RulePublic:
        return cls(
            id=rule.id,
            name=rule.name,
            trigger=rule.trigger,
            schedule=rule.schedule,
            priority=rule.priority,
            active=rule.active,
            execution_count=rule.execution_count,
            last_fired_at=rule.last_fired_at,
            created_at=rule.created_at,
            updated_at=rule.updated_at,
            spec=service.public(rule.spec),
        )


class ExecutionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: str
    conversation_id: str | None
    trigger: str
    occasion: str | None
    matched: bool
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    duration_ms: float
    created_at: datetime

    @classmethod
    def of(cls, row: RuleExecution) -> ExecutionPublic:
        return cls.model_validate(row)


class SampleMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field("", max_length=4000)
    channel: Channel = "web"
    attachments: list[Literal["audio", "voice", "image", "video", "document", "sticker", "location", "contact"]] = []


class SampleConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "waiting", "closed"] = "open"
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    tags: list[str] = Field(default_factory=list, max_length=50)


class SampleContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=64)
    email: str | None = Field(None, max_length=320)
    language: str | None = Field(None, max_length=16)


class RuleTest(BaseModel):
    """Test a saved rule (rule_id) or an unsaved one (rule) against a sample."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str | None = None
    rule: dict[str, Any] | None = None
    message: SampleMessage = SampleMessage()
    context: dict[str, Any] = Field(default_factory=dict, max_length=100)
    conversation: SampleConversation = SampleConversation()
    contact: SampleContact = SampleContact()
    understanding: dict[str, Any] = Field(default_factory=dict, max_length=20)
    at: datetime | None = Field(None, description="When the message arrives (default: now); time zone required.")
    minutes_since_staff_message: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_rule(self) -> RuleTest:
        if (self.rule_id is None) == (self.rule is None):
            raise ValueError("send either rule_id (a saved rule) or rule (an unsaved one)")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("at needs a time zone, e.g. 2026-11-17T22:00:00+01:00")
        return self


class BusinessHoursUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: TimeZone | None = Field(None, description="IANA name, e.g. Europe/Madrid.")
    business_hours: BusinessHours | None = Field(
        None, description="Spans per weekday (two on a day: a break) and dated closures; null: always open."
    )


class InstallResult(BaseModel):
    pack: str
    installed: list[str]
    skipped: list[str]
    business_hours_set: bool
