"""Operators one by one, and nested conditions against a straightforward reference evaluator."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import vocabulary as vocab
from rules.conditions import compile_condition, explain
from rules.schema import AllOf, AnyOf, Leaf, NotOf, validate


def holds(operator: str, actual: Any, value: Any = None, previous: Any = None) -> bool:
    leaf = Leaf(variable="x", operator=operator, value=value)
    return compile_condition(leaf)({"x": actual}, {"x": previous})


@pytest.mark.parametrize(
    ("operator", "actual", "value", "expected"),
    [
        ("contains_any", "Is this URGENT?", ["urgent", "asap"], True),
        ("contains_any", "when do you open", ["urgent", "asap"], False),
        ("contains_any", ["vip", "new"], ["VIP"], True),
        ("contains_any", None, ["urgent"], False),
        ("contains_all", "refund my order please", ["refund", "order"], True),
        ("contains_all", "refund please", ["refund", "order"], False),
        ("contains_all", ["a", "b"], ["a", "b"], True),
        ("matches_regex", "order #12345 is late", r"#\d{5}", True),
        ("matches_regex", "no number here", r"#\d{5}", False),
        ("matches_regex", None, r".*", False),
        ("equals", "Open", "open", True),
        ("equals", 3, 3, True),
        ("equals", "open", "closed", False),
        ("not_equals", "open", "closed", True),
        ("in", "WhatsApp", ["whatsapp", "sms"], True),
        ("in", "web", ["whatsapp", "sms"], False),
        ("greater_than", 90, 60, True),
        ("greater_than", 60, 60, False),
        ("greater_than", None, 60, False),
        ("less_than", 5, 60, True),
        ("less_than", "abc", 60, False),
        ("between", 22, [20, 23], True),
        ("between", 23, [20, 23], True),
        ("between", 10, [20, 23], False),
        ("is_empty", "", None, True),
        ("is_empty", [], None, True),
        ("is_empty", None, None, True),
        ("is_empty", "x", None, False),
        ("is_not_empty", "x", None, True),
        ("is_true", True, None, True),
        ("is_true", None, None, False),
        ("is_false", False, None, True),
        ("is_false", None, None, False),
    ],
)
def test_operator(operator: str, actual: Any, value: Any, expected: bool) -> None:
    assert holds(operator, actual, value) is expected


def test_changed_to_needs_a_change() -> None:
    assert holds("changed_to", "closed", "closed", previous="open")
    assert not holds("changed_to", "closed", "closed", previous="closed")  # it was already closed
    assert not holds("changed_to", "waiting", "closed", previous="open")


def test_a_catastrophic_regex_gives_up_instead_of_hanging() -> None:
    import time

    started = time.perf_counter()
    # Without the timeout this pattern backtracks for longer than anyone would wait.
    assert not holds("matches_regex", "a" * 40 + "!", r"^(a|a)*$")
    assert time.perf_counter() - started < 1


def test_every_type_has_operators_that_exist() -> None:
    for ops in vocab.OPERATORS_BY_TYPE.values():
        assert set(ops) <= set(vocab.OPERATORS)
    exported = vocab.export()
    names = {v["name"] for v in exported["variables"]}
    assert {"message.text", "time.within_business_hours", "context.<field>"} <= names


def test_explain_says_why_a_rule_did_not_match() -> None:
    spec = validate(
        {
            "name": "after hours",
            "trigger": {"type": "message_received"},
            "conditions": {
                "all": [
                    {"variable": "time.within_business_hours", "operator": "is_false"},
                    {"not": {"variable": "message.text", "operator": "contains_any", "value": ["stop"]}},
                ]
            },
            "actions": [{"type": "reply", "template": "We are closed."}],
        }
    )
    trace = explain(spec.conditions, {"time.within_business_hours": True, "message.text": "hi"}, {})
    assert trace["result"] is False
    assert trace["all"][0] == {
        "variable": "time.within_business_hours",
        "operator": "is_false",
        "value": None,
        "actual": True,
        "result": False,
    }
    assert trace["all"][1]["result"] is True


# --- property: compiled conditions agree with a reference evaluator ------------------------------

NAMES = ("a", "b", "c")
leaves = st.builds(
    lambda name, op, n: Leaf(variable=name, operator=op, value=n),
    st.sampled_from(NAMES),
    st.sampled_from(("equals", "greater_than", "less_than")),
    st.integers(-3, 3),
)
conditions = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(lambda cs: AllOf(all=cs)),
        st.lists(children, min_size=1, max_size=4).map(lambda cs: AnyOf(any=cs)),
        children.map(lambda c: NotOf(**{"not": c})),
    ),
    max_leaves=20,
)
facts = st.fixed_dictionaries({n: st.one_of(st.none(), st.integers(-3, 3)) for n in NAMES})


def reference(cond: Any, f: dict[str, Any]) -> bool:
    """The obvious recursive reading of a condition tree."""
    if isinstance(cond, AllOf):
        return all(reference(c, f) for c in cond.all)
    if isinstance(cond, AnyOf):
        return any(reference(c, f) for c in cond.any)
    if isinstance(cond, NotOf):
        return not reference(cond.not_, f)
    actual = f[cond.variable]
    if cond.operator == "equals":
        return actual == cond.value
    if actual is None:
        return False
    return actual > cond.value if cond.operator == "greater_than" else actual < cond.value


@settings(max_examples=300, deadline=None)
@given(conditions, facts)
def test_compiled_conditions_agree_with_the_reference(cond: Any, f: dict[str, Any]) -> None:
    expected = reference(cond, f)
    assert compile_condition(cond)(f, {}) is expected
    assert explain(cond, f, {})["result"] is expected
