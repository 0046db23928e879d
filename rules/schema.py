"""A rule as data: trigger, nested conditions, ordered actions, on_failure actions.

Parsed with pydantic, then checked against the vocabulary, so a rule that is saved can run. Every
problem comes back as `{"where": ..., "problem": ...}` in words an owner can act on ("'message.txt'
is not a variable; did you mean 'message.text'?"), never as a stack trace.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

import regex
from jinja2 import TemplateSyntaxError
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from core.urls import HttpURL
from rules import vocabulary as vocab
from rules.templating import check as check_template

Minutes = Annotated[int, Field(ge=1, le=60 * 24 * 60)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- conditions --------------------------------------------------------------------------------


class Leaf(_Data):
    variable: str
    operator: str
    value: Any = None


class AllOf(_Data):
    all: list[Condition]


class AnyOf(_Data):
    any: list[Condition]


class NotOf(_Data):
    not_: Condition = Field(alias="not")


def _condition_kind(v: Any) -> str | None:
    if isinstance(v, dict):
        for key in ("all", "any", "not"):
            if key in v:
                return key
        return "leaf"
    if isinstance(v, BaseModel):
        kinds: dict[type[BaseModel], str] = {AllOf: "all", AnyOf: "any", NotOf: "not"}
        return kinds.get(type(v), "leaf")
    return None


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[Leaf, Tag("leaf")],
    Discriminator(_condition_kind, custom_error_type="condition", custom_error_message="a condition must be an object"),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()

# --- triggers ----------------------------------------------------------------------------------

EVENT_TRIGGERS = ("message_received", "status_changed", "context_changed", "draft_rejected", "follow_up")
SCHEDULES = ("no_customer_reply", "draft_pending", "whatsapp_window_closing", "cron", "outside_business_hours")


class Trigger(_Data):
    type: Literal["message_received", "status_changed", "context_changed", "draft_rejected", "follow_up", "scheduled"]
    # scheduled only: which schedule, and its minutes or cron expression
    when: Literal[SCHEDULES] | None = None  # type: ignore[valid-type]
    minutes: Minutes | None = None
    cron: str | None = Field(None, max_length=120)
    # context_changed only: which field (any field if unset)
    field: str | None = Field(None, max_length=64)


# --- actions -----------------------------------------------------------------------------------


class Reply(_Data):
    type: Literal["reply"]
    template: str = Field(min_length=1, max_length=4000)
    # Say this only if the assistant cannot answer from the knowledge base itself: an after-hours
    # note should not stop "are you open on Sunday?" from getting the FAQ's answer.
    unless_answered: bool = False


class Flag(_Data):
    type: Literal["require_approval", "send_automatically", "handoff", "pause_bot", "stop"]


class SetStatus(_Data):
    type: Literal["set_status"]
    status: Literal["open", "waiting", "closed"]


class SetPriority(_Data):
    type: Literal["set_priority"]
    priority: Literal["low", "normal", "high", "urgent"]


class Tags(_Data):
    type: Literal["add_tags", "remove_tags"]
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(min_length=1, max_length=20)


class SetContext(_Data):
    type: Literal["set_context"]
    field: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    value: str = Field(max_length=1000)  # a template


class Assign(_Data):
    type: Literal["assign"]
    email: str = Field(min_length=3, max_length=320)


class NotifyStaff(_Data):
    type: Literal["notify_staff"]
    message: str = Field(min_length=1, max_length=1000)  # a template


class Webhook(_Data):
    type: Literal["webhook"]
    url: HttpURL
    # Signs the body (X-Frontdesk-Signature: sha256=<hex HMAC>); stored encrypted.
    secret: str | None = Field(None, max_length=200)
    max_attempts: int = Field(5, ge=1, le=20)


class FollowUp(_Data):
    type: Literal["follow_up"]
    after_minutes: Minutes
    # Either these actions, or the named rule (whose conditions are checked again when it is due).
    actions: list[Action] = Field(default_factory=list, max_length=20)
    rule: str | None = Field(None, max_length=200)


Action = Annotated[
    Reply | Flag | SetStatus | SetPriority | Tags | SetContext | Assign | NotifyStaff | Webhook | FollowUp,
    Field(discriminator="type"),
]
FollowUp.model_rebuild()

ACTION_TYPES = (
    "reply",
    "require_approval",
    "send_automatically",
    "handoff",
    "pause_bot",
    "set_status",
    "set_priority",
    "add_tags",
    "remove_tags",
    "set_context",
    "assign",
    "notify_staff",
    "webhook",
    "follow_up",
    "stop",
)
# Actions that act on a conversation; a cron rule has none.
CONVERSATION_ACTIONS = frozenset(ACTION_TYPES) - {"notify_staff", "webhook", "stop"}


class RuleSpec(_Data):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    trigger: Trigger
    conditions: Condition | None = None
    actions: list[Action] = Field(min_length=1, max_length=30)
    on_failure: list[Action] = Field(default_factory=list, max_length=10)
    priority: int = Field(100, ge=0, le=10000)  # higher runs first
    stop_after_match: bool = False
    active: bool = True


# --- validation --------------------------------------------------------------------------------


class RuleInvalid(ValueError):
    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['where']}: {p['problem']}" for p in problems))
        self.problems = problems


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("all", "any", "not", "leaf") or "[" in str(part) or part in ACTION_TYPES:
            continue  # pydantic's union tags: not where the owner looks
        else:
            out += f".{part}" if out else str(part)
    return out or "rule"


def _friendly(error: Any) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a setting this accepts"
    if kind == "union_tag_invalid":
        return f"{error.get('ctx', {}).get('tag')!r} is not an action; use one of: {', '.join(ACTION_TYPES)}"
    if kind == "literal_error":
        return f"must be {msg.removeprefix('Input should be ')}"
    return str(msg).removeprefix("Value error, ")


def parse(data: Any) -> RuleSpec:
    """Parse a rule; RuleInvalid with every structural problem."""
    try:
        return RuleSpec.model_validate(data)
    except ValidationError as exc:
        raise RuleInvalid([{"where": _where(e["loc"]), "problem": _friendly(e)} for e in exc.errors()]) from None


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_leaf(leaf: Leaf, where: str, problems: list[dict[str, str]]) -> None:
    var = vocab.variable(leaf.variable)
    if var is None:
        hint = _suggest(leaf.variable, list(vocab.VARIABLES))
        problems.append({"where": f"{where}.variable", "problem": f"{leaf.variable!r} is not a variable we know{hint}"})
        return
    allowed = vocab.OPERATORS_BY_TYPE[var.type]
    if leaf.operator not in allowed:
        problems.append(
            {
                "where": f"{where}.operator",
                "problem": f"{leaf.operator!r} does not work on {leaf.variable} ({var.type}); "
                f"use one of: {', '.join(allowed)}",
            }
        )
        return
    op = vocab.OPERATORS[leaf.operator]
    value = leaf.value
    if op.value == "none":
        return
    if op.value in ("many", "pair"):
        if not isinstance(value, list) or not value:
            problems.append({"where": f"{where}.value", "problem": "must be a list of values"})
            return
        if op.value == "pair" and len(value) != 2:
            problems.append({"where": f"{where}.value", "problem": "must be [low, high]"})
            return
        values = value
    elif value is None or isinstance(value, list | dict):
        problems.append({"where": f"{where}.value", "problem": f"{leaf.operator} needs one value"})
        return
    else:
        values = [value]
    if op.value == "pattern":
        try:
            vocab.compile_pattern(value)
        except (regex.error, TypeError) as exc:
            problems.append({"where": f"{where}.value", "problem": f"is not a valid pattern: {exc}"})
        return
    if leaf.operator in ("greater_than", "less_than", "between") or var.type == vocab.NUMBER:
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int | float)]
        if bad:
            problems.append({"where": f"{where}.value", "problem": f"{bad[0]!r} is not a number"})
        elif op.value == "pair" and values[0] > values[1]:
            problems.append({"where": f"{where}.value", "problem": "the low end must come first"})
        return
    if var.choices:
        unknown = [v for v in values if str(v).lower() not in var.choices]
        if unknown:
            problems.append(
                {
                    "where": f"{where}.value",
                    "problem": f"{unknown[0]!r} is not a {leaf.variable}; use one of: {', '.join(var.choices)}",
                }
            )


def _check_conditions(cond: Any, where: str, problems: list[dict[str, str]]) -> None:
    if isinstance(cond, AllOf | AnyOf):
        key = "all" if isinstance(cond, AllOf) else "any"
        children = cond.all if isinstance(cond, AllOf) else cond.any
        if not children:
            problems.append({"where": f"{where}.{key}", "problem": "needs at least one condition"})
        for i, child in enumerate(children):
            _check_conditions(child, f"{where}.{key}[{i}]", problems)
    elif isinstance(cond, NotOf):
        _check_conditions(cond.not_, f"{where}.not", problems)
    elif isinstance(cond, Leaf):
        check_leaf(cond, where, problems)


def _check_template(text: str, where: str, problems: list[dict[str, str]]) -> None:
    try:
        check_template(text)
    except TemplateSyntaxError as exc:
        problems.append({"where": where, "problem": f"template error on line {exc.lineno}: {exc.message}"})


def _check_actions(actions: list[Any], where: str, spec: RuleSpec, problems: list[dict[str, str]]) -> None:
    for i, action in enumerate(actions):
        at = f"{where}[{i}]"
        if isinstance(action, Reply):
            _check_template(action.template, f"{at}.template", problems)
        elif isinstance(action, SetContext):
            _check_template(action.value, f"{at}.value", problems)
        elif isinstance(action, NotifyStaff):
            _check_template(action.message, f"{at}.message", problems)
        elif isinstance(action, FollowUp):
            if bool(action.actions) == bool(action.rule):
                problems.append({"where": at, "problem": "a follow-up needs either actions or a rule, not both"})
            _check_actions(action.actions, f"{at}.actions", spec, problems)
        if spec.trigger.when == "cron" and action.type in CONVERSATION_ACTIONS:
            problems.append({"where": at, "problem": f"{action.type} needs a conversation, and a cron rule has none"})


def _check_trigger(t: Trigger, problems: list[dict[str, str]]) -> None:
    if t.type != "scheduled":
        if t.when or t.minutes or t.cron:
            problems.append({"where": "trigger", "problem": "when, minutes and cron are only for scheduled triggers"})
        return
    if t.when is None:
        problems.append({"where": "trigger.when", "problem": f"is required; use one of: {', '.join(SCHEDULES)}"})
    elif t.when == "cron":
        if not t.cron:
            problems.append({"where": "trigger.cron", "problem": "is required, e.g. '0 9 * * mon' (9:00 on Mondays)"})
        else:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(t.cron)
            except ValueError as exc:
                problems.append({"where": "trigger.cron", "problem": f"is not a cron expression: {exc}"})
    elif t.when in ("no_customer_reply", "draft_pending", "whatsapp_window_closing") and t.minutes is None:
        problems.append({"where": "trigger.minutes", "problem": f"is required for {t.when}"})


def follow_up_targets(actions: list[Any]) -> set[str]:
    out: set[str] = set()
    for action in actions:
        if isinstance(action, FollowUp):
            if action.rule:
                out.add(action.rule)
            out |= follow_up_targets(action.actions)
    return out


def _check_cycles(spec: RuleSpec, others: dict[str, RuleSpec], problems: list[dict[str, str]]) -> None:
    """Follow-ups that name rules must not loop back: A → B → A would message a customer forever."""
    graph = {name: follow_up_targets(s.actions + s.on_failure) for name, s in others.items()}
    graph[spec.name] = follow_up_targets(spec.actions + spec.on_failure)
    for target in sorted(graph[spec.name]):
        if target not in graph:
            problems.append({"where": "actions", "problem": f"follows up with rule {target!r}, which does not exist"})
    path: list[str] = []

    def visit(name: str) -> bool:
        if name in path:
            path.append(name)
            return True
        path.append(name)
        if any(visit(t) for t in sorted(graph.get(name, ()))):
            return True
        path.pop()
        return False

    if visit(spec.name):
        problems.append({"where": "actions", "problem": "follow-ups form a cycle: " + " → ".join(path)})


def validate(data: Any, *, others: dict[str, RuleSpec] | None = None) -> RuleSpec:
    """A rule ready to save, or RuleInvalid listing every problem. `others`: the workspace's other
    rules by name, to check follow-ups that name a rule."""
    spec = parse(data)
    problems: list[dict[str, str]] = []
    _check_trigger(spec.trigger, problems)
    if spec.conditions is not None:
        _check_conditions(spec.conditions, "conditions", problems)
    _check_actions(spec.actions, "actions", spec, problems)
    _check_actions(spec.on_failure, "on_failure", spec, problems)
    if others is not None:
        _check_cycles(spec, {k: v for k, v in others.items() if k != spec.name}, problems)
    if problems:
        raise RuleInvalid(problems)
    return spec
