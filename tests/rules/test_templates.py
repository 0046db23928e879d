"""Every industry pack is a set of valid rules, and the salon's after-hours reply reads well."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.models import Workspace
from rules import schema, templates
from rules.facts import Situation, variables
from rules.hours import BusinessHours
from rules.templating import render


@pytest.mark.parametrize("key", list(templates.PACKS))
def test_pack_rules_are_valid(key: str) -> None:
    pack = templates.PACKS[key]
    BusinessHours.model_validate(pack.business_hours)
    names: dict[str, schema.RuleSpec] = {}
    for spec in pack.rules:
        names[spec["name"]] = schema.validate(spec, others=names)
    assert len(names) == len(pack.rules) >= 4


def test_salon_after_hours_reply_text() -> None:
    ws = Workspace(
        id="w", name="Bella's Salon", timezone="Europe/Madrid", business_hours=templates.PACKS["salon"].business_hours
    )
    sit = Situation(workspace=ws, now=datetime(2026, 11, 22, 21, 0, tzinfo=UTC))  # Sunday night
    reply = next(r for r in templates.PACKS["salon"].rules if r["name"] == "after-hours reply")
    text = render(reply["actions"][0]["template"], variables(sit))
    assert text == (
        "Hi! Bella's Salon is closed right now (we're open Tue-Sat 09:00-18:00). "
        "We'll get back to you on Tuesday at 09:00."
    )
