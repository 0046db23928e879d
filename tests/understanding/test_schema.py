"""Context schemas: what a schema refuses when saved, what a value must be, the workflow's moves and
the priority rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from tests.understanding.conftest import DEMO, salon_schema
from understanding.extract import extract
from understanding.schema import FieldSpec, InvalidValue, SchemaSpec, coerce

NOW = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"fields": [{"name": "service", "type": "enum"}]}, "needs options"),
        ({"fields": [{"name": "Phone Number", "type": "phone"}]}, "lower-case"),
        ({"fields": [{"name": "status", "type": "text"}]}, "workflow"),
        ({"fields": [{"name": "ref", "type": "text", "pattern": "([a-z"}]}, "not a valid regular expression"),
        ({"fields": [{"name": "a", "type": "text"}, {"name": "a", "type": "email"}]}, "same name"),
        ({"workflow": {"initial": "new", "transitions": {"new": ["done"]}}}, "does not list"),
        ({"priority_rules": [{"when": {"fields_set": ["nope"]}, "priority": "high"}]}, "nope"),
        ({"fields": [{"name": "phone", "type": "phone", "region": "XX"}]}, "unknown phone region"),
    ],
)
def test_a_broken_schema_is_refused_when_saved_with_the_reason(data: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        SchemaSpec.model_validate(data)


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ({"type": "phone", "region": "GB"}, "07700 900123", "+447700900123"),
        ({"type": "phone", "region": "US"}, "(415) 555-2671", "+14155552671"),
        ({"type": "email"}, "Ana@Example.COM", "Ana@example.com"),
        ({"type": "number", "minimum": 1}, "4", 4),
        ({"type": "boolean"}, "yes", True),
        ({"type": "enum", "options": {"haircut": [], "colour": []}}, "Colour", "colour"),
        ({"type": "datetime"}, "2026-11-24T15:00", "2026-11-24T15:00+00:00"),
        ({"type": "text", "pattern": "[A-Z]{3}[0-9]{4}"}, "ABC1234", "ABC1234"),
    ],
)
def test_values_are_stored_in_one_form(field: dict[str, object], value: object, stored: object) -> None:
    assert coerce(FieldSpec.model_validate({"name": "f", **field}), value) == stored


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ({"type": "phone", "region": "GB"}, "12", "not a phone number"),
        ({"type": "email"}, "ana@", "not an email"),
        ({"type": "number", "maximum": 50}, 51, "at most 50"),
        ({"type": "number"}, "lots", "must be a number"),
        ({"type": "enum", "options": {"haircut": []}}, "massage", "one of haircut"),
        ({"type": "datetime"}, "next week-ish", "date and time"),
        ({"type": "text", "required": True}, None, "required"),
        ({"type": "boolean"}, "maybe", "yes or no"),
    ],
)
def test_a_value_that_does_not_fit_says_why(field: dict[str, object], value: object, says: str) -> None:
    with pytest.raises(InvalidValue, match=says):
        coerce(FieldSpec.model_validate({"name": "f", **field}), value)


def test_the_workflow_allows_its_moves_and_refuses_others_clearly() -> None:
    workflow = salon_schema().workflow
    assert workflow is not None
    workflow.check(None, "booked")  # from the initial status, "new"
    workflow.check("booked", "cancelled")
    with pytest.raises(InvalidValue, match="cannot go from 'new' to 'cancelled'; from 'new' it can go to booked"):
        workflow.check("new", "cancelled")
    with pytest.raises(InvalidValue, match="it is final"):
        workflow.check("resolved", "booked")
    with pytest.raises(InvalidValue, match="not a status"):
        workflow.check("new", "archived")


def test_priority_comes_from_intent_sentiment_and_fields() -> None:
    schema = salon_schema(
        priority_rules=[
            {"when": {"intent": ["complaint"], "sentiment": ["negative"]}, "priority": "urgent"},
            {"when": {"fields_set": ["appointment_at"], "field_equals": {"service": "colour"}}, "priority": "high"},
            {"when": {"sentiment": ["negative"]}, "priority": "normal"},
        ]
    )
    assert schema.priority(values={}, intent="complaint", sentiment="negative") == "urgent"
    assert schema.priority(values={}, intent="complaint", sentiment="neutral") is None
    colour = {"appointment_at": "2026-11-24T15:00+00:00", "service": "colour"}
    assert schema.priority(values=colour, intent="booking", sentiment="negative") == "high"
    assert schema.priority(values={"service": "colour"}, intent="booking", sentiment="neutral") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DEMO, {"phone": "+447700900123", "appointment_at": "2026-11-18T15:00+00:00"}),
        (
            "can I come next Tuesday at 3 for a trim?",
            {"appointment_at": "2026-11-24T15:00+00:00", "service": "haircut"},
        ),
        ("I'm jane.doe@example.com, +1 415 555 2671", {"email": "jane.doe@example.com", "phone": "+14155552671"}),
        ("highlights for two people please", {"service": "colour", "party_size": 2}),
        ("we are fine thanks", {}),
    ],
)
def test_offline_extraction_finds_the_fields(text: str, expected: dict[str, object]) -> None:
    found = {f.field: f.value for f in extract(text, salon_schema(), now=NOW, timezone="Europe/London")}
    assert found == expected


def test_a_national_phone_number_needs_a_region_from_the_field_or_the_settings() -> None:
    phone = FieldSpec.model_validate({"name": "phone", "type": "phone"})
    with pytest.raises(InvalidValue, match="not a phone number"):
        coerce(phone, "07700 900123")
    assert coerce(phone, "07700 900123", region="GB") == "+447700900123"
    assert coerce(phone, "+1 415 555 2671", region="GB") == "+14155552671"
