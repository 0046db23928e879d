"""The rule editor's form as a rule: a draft (what the owner typed, kept as typed) read from the
form's fields, turned into the spec dict the API takes (so rules.schema validates it as it validates
the API's), read back from a saved spec, and edited (a condition, a group or an action added or
removed). Each node's inputs are named by its place: the root group "c", its children "c-0", "c-1",
theirs "c-0-0"; actions "a-0", a follow-up's own "a-0-0"; on-failure actions "f-0". `placement` maps
the schema's problem locations ("conditions.any[1].value") back to those inputs ("c-1-value").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rules import vocabulary as vocab

GROUPS = ("all", "any", "not")
LEAF_FIELDS = ("variable", "operator", "value", "low", "high")
# Each action's inputs: (name, kind); kind "text", "long" (a template), "list" (comma separated),
# "check" (a yes/no), "number", or a tuple of choices.
ACTION_INPUTS: dict[str, tuple[tuple[str, Any], ...]] = {
    "reply": (("template", "long"), ("unless_answered", "check")),
    "set_status": (("status", ("open", "waiting", "closed")),),
    "set_priority": (("priority", vocab.PRIORITIES),),
    "add_tags": (("tags", "list"),),
    "remove_tags": (("tags", "list"),),
    "set_context": (("field", "text"), ("value", "long")),
    "assign": (("email", "text"),),
    "notify_staff": (("message", "long"),),
    "webhook": (("url", "text"), ("secret", "text"), ("max_attempts", "number")),
    "follow_up": (("after_minutes", "number"), ("rule", "text")),
}
PARAMS = tuple(sorted({name for inputs in ACTION_INPUTS.values() for name, _ in inputs}))
TRIGGER_FIELDS = ("type", "when", "minutes", "cron", "field")
MAX_DEPTH = 6  # groups within groups: deeper than anyone means
MAX_NODES = 60  # conditions, or actions, in one rule
NEW_LEAF = ("message.text", "contains_any")


@dataclass
class Cond:
    kind: str  # a group ("all", "any", "not") or "leaf"
    variable: str = ""
    operator: str = ""
    value: str = ""
    low: str = ""
    high: str = ""
    children: list[Cond] = field(default_factory=list)


@dataclass
class Act:
    type: str
    params: dict[str, str] = field(default_factory=dict)
    children: list[Act] = field(default_factory=list)  # a follow-up's actions


@dataclass
class Draft:
    name: str = ""
    description: str = ""
    priority: str = "100"
    active: bool = True
    stop_after_match: bool = False
    trigger: dict[str, str] = field(default_factory=lambda: {"type": "message_received"})
    conditions: Cond = field(default_factory=lambda: Cond("all"))
    actions: list[Act] = field(default_factory=lambda: [Act("reply")])
    on_failure: list[Act] = field(default_factory=list)


# --- the form → a draft ------------------------------------------------------------------------


def _indices(form: Mapping[str, str], path: str, suffix: str) -> list[int]:
    pattern = re.compile(rf"^{re.escape(path)}-(\d{{1,3}})-{suffix}$")
    return sorted({int(m.group(1)) for key in form if (m := pattern.match(key))})


def _cond(form: Mapping[str, str], path: str, depth: int, budget: list[int]) -> Cond:
    kind = form.get(f"{path}-kind", "leaf")
    budget[0] -= 1
    if kind in GROUPS:
        children = []
        if depth < MAX_DEPTH:
            for i in _indices(form, path, "kind"):
                if budget[0] > 0:
                    children.append(_cond(form, f"{path}-{i}", depth + 1, budget))
        return Cond(kind, children=children)
    typed = {name: form.get(f"{path}-{name}", "").strip() for name in LEAF_FIELDS}
    return Cond("leaf", typed["variable"], typed["operator"], typed["value"], typed["low"], typed["high"])


def _acts(form: Mapping[str, str], path: str, depth: int, budget: list[int]) -> list[Act]:
    found = []
    for i in _indices(form, path, "type"):
        if budget[0] <= 0:
            break
        budget[0] -= 1
        at = f"{path}-{i}"
        params = {name: form[f"{at}-{name}"] for name in PARAMS if f"{at}-{name}" in form}
        children = _acts(form, at, depth + 1, budget) if depth < 2 else []
        found.append(Act(form[f"{at}-type"].strip(), params, children))
    return found


def from_form(form: Mapping[str, str]) -> Draft:
    """What the owner typed, as a draft (nothing checked yet: that is the schema's job)."""
    root = _cond(form, "c", 0, [MAX_NODES])
    if root.kind == "leaf":
        root = Cond("all")
    return Draft(
        name=form.get("name", "").strip(),
        description=form.get("description", "").strip(),
        priority=form.get("priority", "").strip(),
        active=bool(form.get("active")),
        stop_after_match=bool(form.get("stop_after_match")),
        trigger={k: form.get(f"trigger-{k}", "").strip() for k in TRIGGER_FIELDS},
        conditions=root,
        actions=_acts(form, "a", 0, [MAX_NODES]),
        on_failure=_acts(form, "f", 0, [MAX_NODES]),
    )


# --- a draft → the spec the API takes ----------------------------------------------------------


def number(raw: str) -> Any:
    """A number if it reads as one; else the text, which the schema then names as not a number."""
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def words(raw: str) -> list[str]:
    return [w.strip() for w in raw.split(",") if w.strip()]


def _value(leaf: Cond) -> Any:
    op = vocab.OPERATORS.get(leaf.operator)
    var = vocab.variable(leaf.variable)
    numeric = var is not None and var.type == vocab.NUMBER
    arity = op.value if op else "one"
    if arity == "none":
        return None
    if arity == "pair":
        return [number(leaf.low), number(leaf.high)] if leaf.low or leaf.high else None
    if arity == "many":
        return [number(w) for w in words(leaf.value)] if numeric else words(leaf.value)
    if not leaf.value:
        return None
    if numeric or leaf.operator in ("greater_than", "less_than"):
        return number(leaf.value)
    return leaf.value


@dataclass
class Built:
    spec: dict[str, Any]
    places: dict[str, str] = field(default_factory=dict)  # the schema's location → the form's node
    problems: list[dict[str, str]] = field(default_factory=list)  # the form's own: a `not` with no condition


def _spec_cond(node: Cond, path: str, loc: str, built: Built) -> Any:
    built.places.setdefault(loc, path)
    if node.kind == "leaf":
        leaf: dict[str, Any] = {"variable": node.variable, "operator": node.operator}
        if (value := _value(node)) is not None:
            leaf["value"] = value
        return leaf
    built.places[f"{loc}.{node.kind}"] = path
    if node.kind == "not":
        if len(node.children) != 1:
            built.problems.append({"where": f"{loc}.not", "problem": "'not' needs exactly one condition"})
            return {"not": {"all": []}}
        return {"not": _spec_cond(node.children[0], f"{path}-0", f"{loc}.not", built)}
    kids = [_spec_cond(c, f"{path}-{i}", f"{loc}.{node.kind}[{i}]", built) for i, c in enumerate(node.children)]
    return {node.kind: kids}


def _spec_act(act: Act, path: str, loc: str, built: Built) -> dict[str, Any]:
    built.places[loc] = path
    out: dict[str, Any] = {"type": act.type}
    for name, kind in ACTION_INPUTS.get(act.type, ()):
        raw = act.params.get(name, "")
        if kind == "check":
            out[name] = bool(raw)
        elif kind == "list":
            out[name] = words(raw)
        elif kind == "number":
            if raw.strip():
                out[name] = number(raw.strip())
        elif kind == "long":
            out[name] = raw
        elif raw.strip() or name not in ("secret", "rule"):
            out[name] = raw.strip()
    if act.type == "follow_up":
        out["actions"] = [_spec_act(c, f"{path}-{i}", f"{loc}.actions[{i}]", built) for i, c in enumerate(act.children)]
    return out


def to_spec(draft: Draft) -> Built:
    """The spec dict the API takes, and where each of its parts came from in the form."""
    built = Built({})
    trigger = {k: v for k, v in draft.trigger.items() if v}
    if draft.trigger.get("type") != "scheduled":
        trigger = {k: v for k, v in trigger.items() if k not in ("when", "minutes", "cron")}
    if draft.trigger.get("type") != "context_changed":
        trigger.pop("field", None)
    if "minutes" in trigger:
        trigger["minutes"] = number(trigger["minutes"])
    spec: dict[str, Any] = {
        "name": draft.name,
        "description": draft.description,
        "trigger": trigger,
        "priority": number(draft.priority) if draft.priority else 100,
        "active": draft.active,
        "stop_after_match": draft.stop_after_match,
    }
    root = draft.conditions
    if root.children:
        if root.kind != "not" and len(root.children) == 1:
            built.places[f"conditions.{root.kind}"] = "c"
            spec["conditions"] = _spec_cond(root.children[0], "c-0", "conditions", built)
        else:
            spec["conditions"] = _spec_cond(root, "c", "conditions", built)
    spec["actions"] = [_spec_act(a, f"a-{i}", f"actions[{i}]", built) for i, a in enumerate(draft.actions)]
    spec["on_failure"] = [_spec_act(a, f"f-{i}", f"on_failure[{i}]", built) for i, a in enumerate(draft.on_failure)]
    built.spec = spec
    return built


# --- the schema's problems → the inputs at fault -----------------------------------------------

FORM = "form"  # a problem about the whole rule rather than one input
FIXED = {
    "name": "name",
    "description": "description",
    "priority": "priority",
    "trigger": "trigger-type",
    "trigger.type": "trigger-type",
    "trigger.when": "trigger-when",
    "trigger.minutes": "trigger-minutes",
    "trigger.cron": "trigger-cron",
    "trigger.field": "trigger-field",
    "actions": "actions",
    "on_failure": "on_failure",
}


def own_input(path: str) -> str:
    """The input that stands for a whole node: a group's kind, an action's type."""
    return f"{path}-kind" if path.startswith("c") else f"{path}-type"


def _plain(loc: str) -> str:
    """A location without group words, as pydantic's problems give it ("conditions[0].value")."""
    return re.sub(r"\.(all|any|not)(?=[.\[]|$)", "", loc)


def _place(where: str, places: dict[str, str], plain: dict[str, str]) -> str:
    if where in FIXED:
        return FIXED[where]
    for table, loc in ((places, where), (plain, _plain(where))):
        if loc in table:
            return own_input(table[loc])
        head, _, name = loc.rpartition(".")
        if head in table and re.fullmatch(r"[a-z_]+", name):
            return f"{table[head]}-{name}"
    return FORM


def placed(problems: list[dict[str, str]], built: Built) -> dict[str, str]:
    """Each problem keyed by the input it is about (FORM when none is), several joined."""
    plain: dict[str, str] = {}
    for loc, path in built.places.items():
        plain.setdefault(_plain(loc), path)
    out: dict[str, str] = {}
    for p in problems:
        key = _place(p["where"], built.places, plain)
        out[key] = f"{out[key]}; {p['problem']}" if key in out else p["problem"]
    return out
