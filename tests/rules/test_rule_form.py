"""The rule editor's form read as a rule: nested groups, `not`, every operator's kind of value (none,
one, a list, a pair, a pattern), actions with their settings and a follow-up's own; read back from a
saved rule; changed by the editor's buttons; and the schema's problems placed beside their inputs."""

from __future__ import annotations

import pytest

from rules import schema
from rules.pages.draft import FORM, from_form, placed, to_spec
from rules.pages.edits import apply, from_spec

BASE = {"name": "parking", "priority": "150", "active": "on", "trigger-type": "message_received"}
REPLY = {"a-0-type": "reply", "a-0-template": "Free parking behind the salon."}


def spec_of(form: dict[str, str]) -> dict:
    return to_spec(from_form({**BASE, **REPLY, **form})).spec


def test_a_keyword_condition_nested_in_any_under_all() -> None:
    spec = spec_of({
        "c-kind": "all",
        "c-0-kind": "any",
        "c-0-0-kind": "leaf", "c-0-0-variable": "message.text", "c-0-0-operator": "contains_any",
        "c-0-0-value": "parking, car park",
        "c-0-1-kind": "leaf", "c-0-1-variable": "message.channel", "c-0-1-operator": "equals", "c-0-1-value": "web",
        "c-1-kind": "not",
        "c-1-0-kind": "leaf", "c-1-0-variable": "time.within_business_hours", "c-1-0-operator": "is_true",
    })  # fmt: skip
    assert spec["conditions"] == {
        "all": [
            {"any": [
                {"variable": "message.text", "operator": "contains_any", "value": ["parking", "car park"]},
                {"variable": "message.channel", "operator": "equals", "value": "web"},
            ]},
            {"not": {"variable": "time.within_business_hours", "operator": "is_true"}},
        ]
    }  # fmt: skip
    assert spec["actions"] == [
        {"type": "reply", "template": "Free parking behind the salon.", "unless_answered": False}
    ]
    assert (spec["priority"], spec["active"], spec["stop_after_match"]) == (150, True, False)
    assert schema.validate(spec).name == "parking"


def test_a_lone_condition_is_the_rule_s_condition_and_none_means_always() -> None:
    one = {"c-kind": "all", "c-0-kind": "leaf", "c-0-variable": "time.hour", "c-0-operator": "greater_than",
           "c-0-value": "17"}  # fmt: skip
    assert spec_of(one)["conditions"] == {"variable": "time.hour", "operator": "greater_than", "value": 17}
    assert "conditions" not in spec_of({"c-kind": "any"})


@pytest.mark.parametrize(
    ("operator", "inputs", "value"),
    [
        ("is_empty", {}, None),  # no value
        ("equals", {"value": "12"}, 12),  # one (a number, for a number)
        ("in", {"value": "9, 10,11"}, [9, 10, 11]),  # a list
        ("between", {"low": "9", "high": "12.5"}, [9, 12.5]),  # a pair
    ],
)
def test_each_operator_takes_its_kind_of_value(operator: str, inputs: dict[str, str], value: object) -> None:
    form = {"c-kind": "all", "c-0-kind": "leaf", "c-0-variable": "time.hour", "c-0-operator": operator}
    leaf = spec_of({**form, **{f"c-0-{k}": v for k, v in inputs.items()}})["conditions"]
    assert leaf.get("value") == value
    if operator != "in":  # `in` is not for numbers: the schema says so
        schema.validate(spec_of({**form, **{f"c-0-{k}": v for k, v in inputs.items()}}))


def test_a_pattern_is_kept_as_typed_and_a_bad_one_is_placed_beside_its_input() -> None:
    form = {**BASE, **REPLY, "c-kind": "any", "c-0-kind": "leaf", "c-0-variable": "message.text",
            "c-0-operator": "matches_regex", "c-0-value": "park(ing"}  # fmt: skip
    built = to_spec(from_form(form))
    assert built.spec["conditions"]["value"] == "park(ing"
    with pytest.raises(schema.RuleInvalid) as caught:
        schema.validate(built.spec)
    errors = placed(caught.value.problems, built)
    assert "is not a valid pattern" in errors["c-0-value"]


def test_problems_deep_in_the_tree_and_in_actions_find_their_inputs() -> None:
    form = {**BASE, "name": "", "c-kind": "all", "c-0-kind": "any", "c-0-0-kind": "leaf",
            "c-0-0-variable": "message.txt", "c-0-0-operator": "equals", "c-0-0-value": "x",
            "c-1-kind": "any", "c-1-0-kind": "leaf", "c-1-0-variable": "message.text", "c-1-0-operator": "equals",
            "a-0-type": "reply", "a-0-template": "",
            "a-1-type": "follow_up", "a-1-after_minutes": "60", "a-1-0-type": "add_tags", "a-1-0-tags": ""}  # fmt: skip
    built = to_spec(from_form(form))
    with pytest.raises(schema.RuleInvalid) as caught:
        schema.validate(built.spec)
    errors = placed(caught.value.problems, built)
    assert errors.keys() >= {"name", "a-0-template", "a-1-0-tags"}, errors
    built.spec["name"], built.spec["actions"] = "ok", [{"type": "handoff"}]
    with pytest.raises(schema.RuleInvalid) as caught:
        schema.validate(built.spec)
    errors = placed(caught.value.problems, built)
    assert "did you mean 'message.text'" in errors["c-0-0-variable"]
    assert errors["c-1-0-value"] == "equals needs one value"
    assert FORM not in errors


def test_an_empty_not_is_the_form_s_own_problem() -> None:
    built = to_spec(from_form({**BASE, **REPLY, "c-kind": "all", "c-0-kind": "not", "c-1-kind": "leaf",
                               "c-1-variable": "time.hour", "c-1-operator": "is_empty"}))  # fmt: skip
    assert placed(built.problems, built) == {"c-0-kind": "'not' needs exactly one condition"}


def test_a_saved_rule_reads_back_into_the_same_spec() -> None:
    saved = {
        "name": "night", "description": "", "priority": 200, "active": False, "stop_after_match": True,
        "trigger": {"type": "scheduled", "when": "no_customer_reply", "minutes": 30},
        "conditions": {"any": [
            {"variable": "message.text", "operator": "contains_any", "value": ["park", "car"]},
            {"not": {"variable": "time.hour", "operator": "between", "value": [9, 18]}},
        ]},
        "actions": [
            {"type": "reply", "template": "Hi", "unless_answered": True},
            {"type": "follow_up", "after_minutes": 60, "actions": [{"type": "add_tags", "tags": ["a", "b"]}]},
        ],
        "on_failure": [{"type": "notify_staff", "message": "failed"}],
    }  # fmt: skip
    draft = from_spec(saved)
    built = to_spec(draft)
    assert built.spec == saved


def test_the_buttons_add_and_remove_conditions_groups_and_actions() -> None:
    draft = from_form({**BASE, **REPLY, "c-kind": "all"})
    apply(draft, "add-group:c")
    apply(draft, "add-leaf:c-0")
    apply(draft, "add-leaf:c")
    assert [c.kind for c in draft.conditions.children] == ["any", "leaf"]
    assert len(draft.conditions.children[0].children) == 2
    apply(draft, "remove:c-0-1")
    assert len(draft.conditions.children[0].children) == 1
    apply(draft, "add-action:a")
    draft.actions[1].type = "follow_up"
    apply(draft, "add-action:a-1")
    apply(draft, "add-action:f")
    assert len(draft.actions[1].children) == 1 and len(draft.on_failure) == 1
    apply(draft, "remove:a-0")
    assert [a.type for a in draft.actions] == ["follow_up"]
    for nonsense in ("remove:c", "remove:x-1", "add-leaf:c-9-9", "add-action:a-7", "remove:a-0-5-1", "what"):
        apply(draft, nonsense)  # refused quietly: nothing changes, nothing breaks


def test_a_changed_variable_gets_an_operator_its_type_allows() -> None:
    form = {**BASE, **REPLY, "c-kind": "all", "c-0-kind": "leaf", "c-0-variable": "time.within_business_hours",
            "c-0-operator": "contains_any"}  # fmt: skip
    draft = apply(from_form(form), "refresh")
    assert draft.conditions.children[0].operator == "is_true"
