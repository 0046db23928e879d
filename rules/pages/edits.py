"""The rule editor's drafts: read back from a saved spec, changed by the editor's buttons (a
condition, a group or an action added or removed, by the place of the node), and settled so each
condition offers the operators its variable's type allows."""

from __future__ import annotations

from typing import Any

from rules import vocabulary as vocab
from rules.pages.draft import ACTION_INPUTS, GROUPS, MAX_NODES, NEW_LEAF, Act, Cond, Draft


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _cond(data: Any) -> Cond:
    if not isinstance(data, dict):
        return Cond("leaf")
    for kind in GROUPS:
        if kind in data:
            inner = data[kind]
            children = [inner] if kind == "not" else list(inner or [])
            return Cond(kind, children=[_cond(c) for c in children])
    value = data.get("value")
    leaf = Cond("leaf", variable=str(data.get("variable", "")), operator=str(data.get("operator", "")))
    op = vocab.OPERATORS.get(leaf.operator)
    if op is not None and op.value == "pair" and isinstance(value, list) and len(value) == 2:
        leaf.low, leaf.high = _text(value[0]), _text(value[1])
    else:
        leaf.value = _text(value)
    return leaf


def _act(data: dict[str, Any]) -> Act:
    kind = str(data.get("type", ""))
    params = {name: _text(data.get(name)) for name, _ in ACTION_INPUTS.get(kind, ())}
    return Act(kind, params, [_act(a) for a in data.get("actions") or []])


def from_spec(spec: dict[str, Any]) -> Draft:
    """A saved rule (as the API shows it: secrets redacted) as the editor's draft."""
    cond = spec.get("conditions")
    root = _cond(cond) if cond is not None else Cond("all")
    if root.kind == "leaf":
        root = Cond("all", children=[root])
    trigger = {k: _text(v) for k, v in (spec.get("trigger") or {}).items()}
    return Draft(
        name=str(spec.get("name", "")),
        description=str(spec.get("description", "")),
        priority=_text(spec.get("priority", 100)),
        active=bool(spec.get("active", True)),
        stop_after_match=bool(spec.get("stop_after_match", False)),
        trigger={"type": "message_received", **trigger},
        conditions=root,
        actions=[_act(a) for a in spec.get("actions") or []],
        on_failure=[_act(a) for a in spec.get("on_failure") or []],
    )


# --- the editor's buttons ----------------------------------------------------------------------


def _steps(path: str, root: str) -> list[int] | None:
    parts = path.split("-")
    if parts[0] != root or not all(p.isdigit() for p in parts[1:]):
        return None
    return [int(p) for p in parts[1:]]


def _group(root: Cond, steps: list[int]) -> Cond | None:
    node = root
    for i in steps:
        if node.kind == "leaf" or i >= len(node.children):
            return None
        node = node.children[i]
    return node


def _count(nodes: list[Any]) -> int:
    return sum(1 + _count(n.children) for n in nodes)


def _act_list(draft: Draft, path: str) -> tuple[list[Act], list[int]] | None:
    """The list of actions a path names ("a", "f", "a-0" for a follow-up's), and the steps after it."""
    for root, top in (("a", draft.actions), ("f", draft.on_failure)):
        steps = _steps(path, root)
        if steps is not None:
            return top, steps
    return None


def _add_action(draft: Draft, path: str) -> None:
    found = _act_list(draft, path)
    if found is None:
        return
    acts, steps = found
    for i in steps:  # into a follow-up's own actions
        if i >= len(acts) or acts[i].type != "follow_up":
            return
        acts = acts[i].children
    if _count(draft.actions) + _count(draft.on_failure) < MAX_NODES:
        acts.append(Act("reply"))


def _remove(draft: Draft, path: str) -> None:
    steps = _steps(path, "c")
    if steps:
        parent = _group(draft.conditions, steps[:-1])
        if parent is not None and parent.kind != "leaf" and steps[-1] < len(parent.children):
            del parent.children[steps[-1]]
        return
    found = _act_list(draft, path)
    if found is None or not found[1]:
        return
    acts, steps = found
    for i in steps[:-1]:
        if i >= len(acts):
            return
        acts = acts[i].children
    if steps[-1] < len(acts):
        del acts[steps[-1]]


def apply(draft: Draft, op: str) -> Draft:
    """One button's change: "add-leaf:c-0", "add-group:c", "add-action:a", "remove:c-0-1"…"""
    verb, _, path = op.partition(":")
    if verb in ("add-leaf", "add-group"):
        steps = _steps(path, "c")
        group = _group(draft.conditions, steps) if steps is not None else None
        full = group is None or group.kind == "leaf" or (group.kind == "not" and group.children)
        if not full and _count([draft.conditions]) < MAX_NODES:
            new = Cond("leaf", *NEW_LEAF) if verb == "add-leaf" else Cond("any", children=[Cond("leaf", *NEW_LEAF)])
            group.children.append(new)  # type: ignore[union-attr]
    elif verb == "add-action":
        _add_action(draft, path)
    elif verb == "remove":
        _remove(draft, path)
    return settle(draft)


def settle(draft: Draft) -> Draft:
    """Each condition's operator one its variable allows (the first, when the variable changed)."""

    def walk(node: Cond) -> None:
        if node.kind == "leaf":
            var = vocab.variable(node.variable)
            if var is not None and node.operator not in vocab.OPERATORS_BY_TYPE[var.type]:
                node.operator = vocab.OPERATORS_BY_TYPE[var.type][0]
        for child in node.children:
            walk(child)

    walk(draft.conditions)
    return draft
