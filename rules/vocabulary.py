"""The words a rule may use: variables (with types) and the operators each type accepts.

Registered in code, so the engine, the validation and the admin's editor (GET /api/v1/rules/vocabulary)
read one list. Operators are plain functions `(actual, expected, previous) -> bool`, written so that a
missing value never raises: a rule about a field nobody has set simply does not match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import regex

from core.messages import AttachmentKind, ChannelKind

MISSING: Any = None
REGEX_TIMEOUT_SECONDS = 0.05  # a catastrophic pattern gives up instead of hanging a worker
CONTEXT_PREFIX = "context."

TEXT, NUMBER, BOOLEAN, CHOICE, LIST, ANY = "text", "number", "boolean", "choice", "list", "any"


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    description: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operator:
    name: str
    description: str
    # "none" (no value), "one" (a single value), "many" (a list), "pair" (a [low, high] list), "pattern"
    value: str
    test: Callable[[Any, Any, Any], bool] = field(compare=False)
    # Set when `expected` must be prepared once at compile time (lower-cased words, a compiled regex).
    prepare: Callable[[Any], Any] | None = field(default=None, compare=False)


def _lower(v: Any) -> str:
    return v.lower() if isinstance(v, str) else "" if v is None else str(v).lower()


def _words(expected: Any) -> tuple[str, ...]:
    return tuple(_lower(w) for w in expected)


def _contains_any(actual: Any, words: tuple[str, ...], _prev: Any) -> bool:
    if isinstance(actual, list | tuple | set | frozenset):
        have = {_lower(a) for a in actual}
        return any(w in have for w in words)
    text = _lower(actual)
    return any(w in text for w in words)


def _contains_all(actual: Any, words: tuple[str, ...], _prev: Any) -> bool:
    if isinstance(actual, list | tuple | set | frozenset):
        have = {_lower(a) for a in actual}
        return all(w in have for w in words)
    text = _lower(actual)
    return all(w in text for w in words)


def compile_pattern(pattern: Any) -> regex.Pattern[str]:
    return regex.compile(str(pattern), regex.IGNORECASE)


def _matches(actual: Any, pattern: regex.Pattern[str], _prev: Any) -> bool:
    if actual is None:
        return False
    try:
        return pattern.search(str(actual), timeout=REGEX_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        return False


def _norm(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def _equals(actual: Any, expected: Any, _prev: Any) -> bool:
    return _norm(actual) == _norm(expected)


def _not_equals(actual: Any, expected: Any, prev: Any) -> bool:
    return not _equals(actual, expected, prev)


def _in(actual: Any, expected: frozenset[Any], _prev: Any) -> bool:
    return _norm(actual) in expected


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _greater(actual: Any, expected: Any, _prev: Any) -> bool:
    n = _number(actual)
    return n is not None and n > expected


def _less(actual: Any, expected: Any, _prev: Any) -> bool:
    n = _number(actual)
    return n is not None and n < expected


def _between(actual: Any, expected: tuple[float, float], _prev: Any) -> bool:
    n = _number(actual)
    return n is not None and expected[0] <= n <= expected[1]


def _is_empty(actual: Any, _expected: Any, _prev: Any) -> bool:
    return actual is None or actual == "" or (isinstance(actual, list | tuple | dict) and not actual)


def _is_not_empty(actual: Any, expected: Any, prev: Any) -> bool:
    return not _is_empty(actual, expected, prev)


def _is_true(actual: Any, _expected: Any, _prev: Any) -> bool:
    return actual is True


def _is_false(actual: Any, _expected: Any, _prev: Any) -> bool:
    return actual is False


def _changed_to(actual: Any, expected: Any, prev: Any) -> bool:
    return _norm(prev) != _norm(actual) and _norm(actual) == _norm(expected)


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("equals", "is exactly (case-insensitive for text)", "one", _equals),
        Operator("not_equals", "is not", "one", _not_equals),
        Operator("contains_any", "contains any of these words", "many", _contains_any, _words),
        Operator("contains_all", "contains all of these words", "many", _contains_all, _words),
        Operator("matches_regex", "matches this pattern", "pattern", _matches, compile_pattern),
        Operator("in", "is one of", "many", _in, lambda v: frozenset(_norm(x) for x in v)),
        Operator("greater_than", "is more than", "one", _greater, float),
        Operator("less_than", "is less than", "one", _less, float),
        Operator("between", "is between (inclusive)", "pair", _between, lambda v: (float(v[0]), float(v[1]))),
        Operator("is_empty", "is empty or not set", "none", _is_empty),
        Operator("is_not_empty", "has a value", "none", _is_not_empty),
        Operator("is_true", "is yes", "none", _is_true),
        Operator("is_false", "is no", "none", _is_false),
        Operator("changed_to", "has just changed to", "one", _changed_to),
    )
}

OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    TEXT: ("equals", "not_equals", "contains_any", "contains_all", "matches_regex", "in", "is_empty", "is_not_empty"),
    NUMBER: ("equals", "not_equals", "greater_than", "less_than", "between", "is_empty", "is_not_empty"),
    BOOLEAN: ("is_true", "is_false"),
    CHOICE: ("equals", "not_equals", "in", "changed_to", "is_empty", "is_not_empty"),
    LIST: ("contains_any", "contains_all", "is_empty", "is_not_empty"),
    # A context field's type is in its workspace's context schema (understanding), not in this shared
    # vocabulary; a rule may use any operator on it, and one that does not fit simply does not match.
    ANY: tuple(OPERATORS),
}

STATUSES = ("open", "waiting", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
SENTIMENTS = ("positive", "neutral", "negative")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("message.text", TEXT, "What the customer wrote (for a voice note, its transcript)."),
        Variable("message.channel", CHOICE, "Where the message came from.", tuple(ChannelKind)),
        Variable("message.language", TEXT, "The customer's language, if the channel or understanding knows it."),
        Variable("message.attachment_kinds", LIST, "Kinds of files attached.", tuple(AttachmentKind)),
        Variable("contact.name", TEXT, "The customer's name."),
        Variable("contact.phone", TEXT, "The customer's phone number."),
        Variable("contact.email", TEXT, "The customer's email address."),
        Variable("contact.language", TEXT, "The customer's language on record."),
        Variable("conversation.status", CHOICE, "open, waiting (for staff) or closed.", STATUSES),
        Variable("conversation.priority", CHOICE, "The conversation's priority.", PRIORITIES),
        Variable("conversation.tags", LIST, "The conversation's tags."),
        Variable("conversation.channel", CHOICE, "The conversation's channel.", tuple(ChannelKind)),
        Variable("understanding.intent", TEXT, "What the customer wants (filled by understanding)."),
        Variable("understanding.sentiment", CHOICE, "How the customer feels (filled by understanding).", SENTIMENTS),
        Variable("time.within_business_hours", BOOLEAN, "Now is within the workspace's business hours."),
        Variable("time.weekday", CHOICE, "Today, in the workspace's timezone.", WEEKDAYS),
        Variable("time.hour", NUMBER, "The hour (0-23) in the workspace's timezone."),
        Variable("time.minutes_since_customer_message", NUMBER, "Minutes since the customer last wrote."),
        Variable("time.minutes_since_staff_message", NUMBER, "Minutes since we (assistant or staff) last wrote."),
    )
}


def variable(name: str) -> Variable | None:
    """The variable `name`; `context.<field>` is any field of the conversation's context."""
    found = VARIABLES.get(name)
    if found is None and name.startswith(CONTEXT_PREFIX) and len(name) > len(CONTEXT_PREFIX):
        return Variable(name, ANY, "A field of the conversation's context.")
    return found


def export() -> dict[str, Any]:
    """The vocabulary as JSON, for the admin's rule editor."""
    return {
        "variables": [
            {"name": v.name, "type": v.type, "description": v.description, "choices": list(v.choices)}
            for v in VARIABLES.values()
        ]
        + [{"name": "context.<field>", "type": ANY, "description": "A field of the conversation's context."}],
        "operators": [{"name": o.name, "description": o.description, "value": o.value} for o in OPERATORS.values()],
        "operators_by_type": {t: list(ops) for t, ops in OPERATORS_BY_TYPE.items()},
    }
