"""A bad rule is refused when saved, with a message that says where and what to change."""

from __future__ import annotations

from typing import Any

import pytest

from rules.schema import RuleInvalid, RuleSpec, validate


def rule(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "urgent",
        "trigger": {"type": "message_received"},
        "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["urgent"]},
        "actions": [{"type": "handoff"}],
    }
    return base | overrides


def problems(data: dict[str, Any], others: dict[str, RuleSpec] | None = None) -> list[dict[str, str]]:
    with pytest.raises(RuleInvalid) as caught:
        validate(data, others=others)
    return caught.value.problems


def test_a_good_rule_is_accepted() -> None:
    spec = validate(rule())
    assert spec.actions[0].type == "handoff" and spec.active and spec.priority == 100


def test_unknown_variable_suggests_the_right_one() -> None:
    found = problems(rule(conditions={"variable": "message.txt", "operator": "contains_any", "value": ["x"]}))
    assert found == [
        {
            "where": "conditions.variable",
            "problem": "'message.txt' is not a variable we know; did you mean 'message.text'?",
        }
    ]


def test_operator_not_valid_for_the_type() -> None:
    found = problems(rule(conditions={"all": [{"variable": "message.text", "operator": "greater_than", "value": 3}]}))
    assert found[0]["where"] == "conditions.all[0].operator"
    assert "'greater_than' does not work on message.text (text)" in found[0]["problem"]
    assert "contains_any" in found[0]["problem"]


def test_malformed_regex() -> None:
    found = problems(rule(conditions={"variable": "message.text", "operator": "matches_regex", "value": "(order"}))
    assert found[0]["where"] == "conditions.value"
    assert found[0]["problem"].startswith("is not a valid pattern")


def test_template_syntax_error_names_the_line() -> None:
    found = problems(rule(actions=[{"type": "reply", "template": "Hi {{ contact.name "}]))
    assert found[0]["where"] == "actions[0].template"
    assert found[0]["problem"].startswith("template error on line 1")


def test_follow_up_cycle() -> None:
    second = RuleSpec.model_validate(
        {
            "name": "second nudge",
            "trigger": {"type": "follow_up"},
            "actions": [{"type": "follow_up", "after_minutes": 60, "rule": "first nudge"}],
        }
    )
    found = problems(
        {
            "name": "first nudge",
            "trigger": {"type": "follow_up"},
            "actions": [{"type": "follow_up", "after_minutes": 60, "rule": "second nudge"}],
        },
        others={"second nudge": second},
    )
    cycle = "follow-ups form a cycle: first nudge → second nudge → first nudge"
    assert found == [{"where": "actions", "problem": cycle}]


def test_follow_up_naming_a_missing_rule() -> None:
    found = problems(rule(actions=[{"type": "follow_up", "after_minutes": 5, "rule": "nope"}]), others={})
    assert found[0]["problem"] == "follows up with rule 'nope', which does not exist"


def test_unknown_action_lists_the_known_ones() -> None:
    found = problems(rule(actions=[{"type": "send_sms"}]))
    assert found[0]["where"] == "actions[0]"
    assert found[0]["problem"].startswith("'send_sms' is not an action; use one of: reply,")


def test_choice_values_are_checked() -> None:
    found = problems(rule(conditions={"variable": "conversation.status", "operator": "equals", "value": "done"}))
    assert found[0]["problem"] == "'done' is not a conversation.status; use one of: open, waiting, closed"


def test_scheduled_trigger_needs_its_settings() -> None:
    assert problems(rule(trigger={"type": "scheduled", "when": "draft_pending"}))[0] == {
        "where": "trigger.minutes",
        "problem": "is required for draft_pending",
    }
    bad_cron = problems(rule(trigger={"type": "scheduled", "when": "cron", "cron": "61 * * * *"}))
    assert bad_cron[0]["where"] == "trigger.cron"
    assert "a conversation" in bad_cron[1]["problem"]  # handoff needs one; a cron rule has none


def test_several_problems_come_back_together() -> None:
    found = problems(
        rule(
            conditions={"any": [{"variable": "nope", "operator": "equals", "value": 1}]},
            actions=[{"type": "reply", "template": "{% if %}"}],
        )
    )
    assert [p["where"] for p in found] == ["conditions.any[0].variable", "actions[0].template"]


def test_templates_cannot_loop_deeply_or_blow_up() -> None:
    from jinja2.exceptions import SecurityError

    from rules.templating import render

    deep = "{% for a in range(3) %}{% for b in range(3) %}{% for c in range(3) %}x{% endfor %}{% endfor %}{% endfor %}"
    assert problems(rule(actions=[{"type": "reply", "template": deep}])) == [
        {"where": "actions[0].template", "problem": "template error on line 1: loops may nest at most 2 deep"}
    ]
    for hostile in ("{{ 'x' * 100000000 }}", "{% for i in range(1000000) %}{% endfor %}", "{{ 9 ** 999999 }}"):
        with pytest.raises(SecurityError):
            render(hostile, {})
    assert render("{{ 'ha' * 3 }} {% for t in tags %}#{{ t }} {% endfor %}", {"tags": ["vip", "new"]}) == (
        "hahaha #vip #new"
    )
