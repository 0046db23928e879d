"""A workspace's context schema: typed fields, a status workflow and priority rules.

The schema is data, validated with pydantic when saved (an enum without options, a transition to an
unknown status, a priority rule about a field that does not exist are refused then, not at run
time). `coerce` is the one place a value is checked against its field, whoever wrote it: the
extractor, the LLM or staff.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import phonenumbers
import regex
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FieldType = Literal["text", "number", "datetime", "enum", "phone", "email", "boolean"]
PRIORITIES = ("low", "normal", "high", "urgent")
STATUS = "status"  # the workflow's status lives in the context under this name (rules see context.status)
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PATTERN_TIMEOUT = 0.05
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off"})


class InvalidValue(ValueError):
    """A value that does not fit its field; the message says why, in words staff understand."""


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    type: FieldType
    label: str = ""
    required: bool = False
    description: str = ""
    # enum: the allowed values, each with the words that mean it ("colour": ["dye", "highlights"]).
    options: dict[str, list[str]] = Field(default_factory=dict)
    # text: a regular expression the whole value must match (also how offline extraction finds it).
    pattern: str | None = None
    max_length: int = Field(default=500, ge=1, le=10_000)
    # number: bounds, and the words a number stands next to ("for 4 people": ["people", "guests"]).
    minimum: float | None = None
    maximum: float | None = None
    keywords: list[str] = Field(default_factory=list)
    # phone: the country numbers without a +country code are read in (ISO 3166 alpha-2).
    region: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError("a field name is lower-case letters, digits and _, starting with a letter")
        if v == STATUS:
            raise ValueError("'status' is the workflow's; name the field something else")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        if v is not None and v.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {v!r}")
        return v.upper() if v else None

    @model_validator(mode="after")
    def _by_type(self) -> FieldSpec:
        if self.type == "enum" and not self.options:
            raise ValueError(f"enum field {self.name!r} needs options")
        if self.pattern is not None:
            try:
                regex.compile(self.pattern)
            except regex.error as exc:
                raise ValueError(f"field {self.name!r}: pattern is not a valid regular expression ({exc})") from None
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"field {self.name!r}: minimum is above maximum")
        return self


class Workflow(BaseModel):
    """Statuses and the moves allowed between them; a conversation starts at `initial`."""

    model_config = ConfigDict(extra="forbid")

    initial: str
    transitions: dict[str, list[str]]

    @property
    def statuses(self) -> list[str]:
        seen = [self.initial, *self.transitions]
        for targets in self.transitions.values():
            seen.extend(targets)
        return list(dict.fromkeys(seen))

    @model_validator(mode="after")
    def _closed(self) -> Workflow:
        known = set(self.transitions) | {self.initial}
        for source, targets in self.transitions.items():
            unknown = [t for t in targets if t not in known]
            if unknown:
                raise ValueError(
                    f"status {source!r} moves to {unknown}, which the workflow does not list "
                    "(give every status a line in transitions, [] for a final one)"
                )
        return self

    def check(self, old: str | None, new: str) -> None:
        if new not in self.statuses:
            raise InvalidValue(f"{new!r} is not a status; the statuses are {', '.join(self.statuses)}")
        current = old or self.initial
        if new == current:
            return
        allowed = self.transitions.get(current, [])
        if new not in allowed:
            options = ", ".join(allowed) if allowed else "nothing (it is final)"
            raise InvalidValue(
                f"a conversation cannot go from {current!r} to {new!r}; from {current!r} it can go to {options}"
            )


class When(BaseModel):
    """All given conditions must hold."""

    model_config = ConfigDict(extra="forbid")

    intent: list[str] = Field(default_factory=list)
    sentiment: list[Literal["positive", "neutral", "negative"]] = Field(default_factory=list)
    fields_set: list[str] = Field(default_factory=list)
    field_equals: dict[str, Any] = Field(default_factory=dict)
    status: list[str] = Field(default_factory=list)


class PriorityRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: When
    priority: Literal["low", "normal", "high", "urgent"]


class SchemaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[FieldSpec] = Field(default_factory=list, max_length=50)
    workflow: Workflow | None = None
    priority_rules: list[PriorityRule] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> SchemaSpec:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("two fields have the same name")
        for i, rule in enumerate(self.priority_rules):
            unknown = [n for n in [*rule.when.fields_set, *rule.when.field_equals] if n not in names]
            if unknown:
                raise ValueError(f"priority rule {i + 1} names fields the schema does not have: {unknown}")
            if rule.when.status and self.workflow is None:
                raise ValueError(f"priority rule {i + 1} is about a status, but the schema has no workflow")
            if self.workflow is not None:
                bad = [s for s in rule.when.status if s not in self.workflow.statuses]
                if bad:
                    raise ValueError(f"priority rule {i + 1} names statuses the workflow does not have: {bad}")
        return self

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def missing(self, values: dict[str, Any]) -> list[str]:
        return [f.name for f in self.fields if f.required and values.get(f.name) in (None, "")]

    def priority(self, *, values: dict[str, Any], intent: str | None, sentiment: str | None) -> str | None:
        """The highest priority any rule gives, or None when no rule matches."""
        found: list[str] = []
        for rule in self.priority_rules:
            w = rule.when
            if w.intent and intent not in w.intent:
                continue
            if w.sentiment and sentiment not in w.sentiment:
                continue
            if any(values.get(n) in (None, "") for n in w.fields_set):
                continue
            if any(values.get(n) != v for n, v in w.field_equals.items()):
                continue
            if w.status and values.get(STATUS) not in w.status:
                continue
            found.append(rule.priority)
        return max(found, key=PRIORITIES.index) if found else None


def coerce(spec: FieldSpec, value: Any, *, timezone: str = "UTC", region: str | None = None) -> Any:
    """The value as stored for its field (E.164 phone, normalised email, ISO date-time, a number…),
    or InvalidValue. None clears the field unless it is required."""
    if value is None or value == "":
        if spec.required:
            raise InvalidValue(f"{spec.name} is required")
        return None
    kind = spec.type
    if kind == "text":
        text = str(value).strip()
        if len(text) > spec.max_length:
            raise InvalidValue(f"{spec.name} is at most {spec.max_length} characters")
        if spec.pattern is not None:
            try:
                ok = regex.fullmatch(spec.pattern, text, timeout=PATTERN_TIMEOUT) is not None
            except TimeoutError:
                ok = False
            if not ok:
                raise InvalidValue(f"{spec.name} must match {spec.pattern}")
        return text
    if kind == "number":
        if isinstance(value, bool):
            raise InvalidValue(f"{spec.name} must be a number")
        try:
            number = float(str(value).replace(",", "")) if not isinstance(value, int | float) else float(value)
        except ValueError:
            raise InvalidValue(f"{spec.name} must be a number, not {value!r}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise InvalidValue(f"{spec.name} must be a number")
        if spec.minimum is not None and number < spec.minimum:
            raise InvalidValue(f"{spec.name} must be at least {spec.minimum:g}")
        if spec.maximum is not None and number > spec.maximum:
            raise InvalidValue(f"{spec.name} must be at most {spec.maximum:g}")
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise InvalidValue(f"{spec.name} must be yes or no")
    if kind == "enum":
        word = str(value).strip()
        for option in spec.options:
            if option.lower() == word.lower():
                return option
        raise InvalidValue(f"{spec.name} must be one of {', '.join(spec.options)}")
    if kind == "email":
        try:
            return validate_email(str(value).strip(), check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise InvalidValue(f"{spec.name} is not an email address ({exc})") from None
    if kind == "phone":
        return _phone(spec, str(value), spec.region or region)
    if kind == "datetime":
        return _datetime(spec, value, timezone)
    raise InvalidValue(f"{spec.name} has an unknown type {kind}")  # pragma: no cover - Literal guards it


def _phone(spec: FieldSpec, raw: str, region: str | None) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidValue(f"{spec.name} is not a phone number ({raw!r})") from None
    # "Possible" rather than "valid": a new number range is possible long before our metadata knows it.
    if not phonenumbers.is_possible_number(number):
        raise InvalidValue(f"{spec.name} is not a phone number ({raw!r})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _datetime(spec: FieldSpec, value: Any, timezone: str) -> str:
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidValue(f"{spec.name} must be a date and time like 2026-11-24T15:00") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(timezone))
    return at.isoformat(timespec="minutes")
