"""Rules as stored: saved after validation against the vocabulary and the workspace's other rules,
listed, deleted, and their execution log read, per workspace. The one entry point of the rules API
(rules.api), the CLI (rules.commands) and template installs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import SecretBox
from core.messages import utcnow
from rules import schema
from rules.models import Rule, RuleExecution
from rules.schema import RuleInvalid, RuleSpec

SECRET_PREFIX = "enc:"  # noqa: S105 - a marker, not a secret


class NameTaken(ValueError):
    pass


async def specs(s: AsyncSession, workspace_id: str) -> dict[str, RuleSpec]:
    rows = (await s.execute(select(Rule.spec).where(Rule.workspace_id == workspace_id))).scalars()
    out = {}
    for spec in rows:
        parsed = RuleSpec.model_validate(spec)
        out[parsed.name] = parsed
    return out


def _seal_webhooks(actions: list[Any], box: SecretBox, old: dict[str, str]) -> None:
    """Webhook secrets are stored encrypted; a redacted value sent back keeps the stored one."""
    for action in actions:
        if isinstance(action, schema.Webhook) and action.secret:
            if action.secret == REDACTED:
                action.secret = old.get(str(action.url))
            else:
                action.secret = seal_secret(box, action.secret)
        elif isinstance(action, schema.FollowUp):
            _seal_webhooks(action.actions, box, old)


REDACTED = "********"  # what the API shows instead of a secret


def _stored_secrets(spec: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(actions: list[dict[str, Any]]) -> None:
        for a in actions:
            if a.get("type") == "webhook" and a.get("secret"):
                found[str(a.get("url"))] = a["secret"]
            walk(a.get("actions") or [])

    walk(list(spec.get("actions") or []) + list(spec.get("on_failure") or []))
    return found


def public(spec: dict[str, Any]) -> dict[str, Any]:
    """A stored spec as the API shows it: webhook secrets redacted."""

    def walk(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for a in actions:
            a = dict(a)
            if a.get("type") == "webhook" and a.get("secret"):
                a["secret"] = REDACTED
            if a.get("actions"):
                a["actions"] = walk(a["actions"])
            out.append(a)
        return out

    return {**spec, "actions": walk(spec.get("actions") or []), "on_failure": walk(spec.get("on_failure") or [])}


def seal_secret(box: SecretBox, value: str) -> str:
    return value if value.startswith(SECRET_PREFIX) else SECRET_PREFIX + box.encrypt(value)


def open_secret(box: SecretBox, stored: str) -> str:
    return box.decrypt(stored.removeprefix(SECRET_PREFIX)) if stored.startswith(SECRET_PREFIX) else stored


async def save(
    s: AsyncSession,
    *,
    workspace_id: str,
    data: dict[str, Any],
    box: SecretBox,
    rule: Rule | None = None,
) -> Rule:
    """Create (rule=None) or replace a rule. Raises RuleInvalid or NameTaken."""
    others = await specs(s, workspace_id)
    if rule is not None:
        others.pop(rule.name, None)
    spec = schema.validate(data, others=others)
    if spec.name in others:
        raise NameTaken(f"there is already a rule named {spec.name!r}")
    _seal_webhooks(spec.actions + spec.on_failure, box, _stored_secrets(rule.spec) if rule else {})
    stored = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    if rule is None:
        rule = Rule(workspace_id=workspace_id, execution_count=0)
        s.add(rule)
    rule.name = spec.name
    rule.trigger = spec.trigger.type
    rule.schedule = spec.trigger.when
    rule.spec = stored
    rule.priority = spec.priority
    rule.active = spec.active
    rule.updated_at = utcnow()
    await s.flush()
    return rule


async def change(s: AsyncSession, *, workspace_id: str, rule: Rule, changes: dict[str, Any], box: SecretBox) -> Rule:
    """Some of a rule's settings changed, the rest kept (PATCH, enable/disable, a move)."""
    return await save(s, workspace_id=workspace_id, data={**rule.spec, **changes}, box=box, rule=rule)


async def set_active(s: AsyncSession, *, workspace_id: str, rule: Rule, active: bool, box: SecretBox) -> Rule:
    """Turn a rule on or off; it keeps its place in the order."""
    return await change(s, workspace_id=workspace_id, rule=rule, changes={"active": active}, box=box)


async def move(s: AsyncSession, *, workspace_id: str, rule: Rule, up: bool, box: SecretBox) -> bool:
    """Swap the rule with its neighbour in the run order (higher priority runs first; ties by name).
    Priorities change only as far as the new order needs. False when it is already first (last)."""
    order = await listing(s, workspace_id=workspace_id)
    at = next(i for i, r in enumerate(order) if r.id == rule.id)
    other = at - 1 if up else at + 1
    if not 0 <= other < len(order):
        return False
    order[at], order[other] = order[other], order[at]
    wanted = {r.id: r.priority for r in order}
    wanted[order[at].id], wanted[order[other].id] = order[other].priority, order[at].priority
    for i in range(len(order) - 2, -1, -1):  # from the last up: each must still run before the next
        upper, lower = order[i], order[i + 1]
        if (wanted[upper.id], lower.name) <= (wanted[lower.id], upper.name):
            wanted[upper.id] = wanted[lower.id] + 1
    for r in order:
        if wanted[r.id] != r.priority:
            await change(s, workspace_id=workspace_id, rule=r, changes={"priority": wanted[r.id]}, box=box)
    return True


async def get(s: AsyncSession, *, workspace_id: str, rule_id: str) -> Rule | None:
    return (
        await s.execute(select(Rule).where(Rule.id == rule_id, Rule.workspace_id == workspace_id))
    ).scalar_one_or_none()


async def listing(s: AsyncSession, *, workspace_id: str) -> list[Rule]:
    return list(
        (
            await s.execute(
                select(Rule).where(Rule.workspace_id == workspace_id).order_by(Rule.priority.desc(), Rule.name)
            )
        ).scalars()
    )


async def delete(s: AsyncSession, *, workspace_id: str, rule_id: str) -> bool:
    """Delete the rule (its execution log and jobs go with it); False when there is no such rule."""
    rule = await get(s, workspace_id=workspace_id, rule_id=rule_id)
    if rule is None:
        return False
    await s.delete(rule)
    return True


async def executions(s: AsyncSession, *, workspace_id: str, rule_id: str, limit: int) -> list[RuleExecution]:
    """The rule's execution log, newest first."""
    rows = await s.execute(
        select(RuleExecution)
        .where(RuleExecution.rule_id == rule_id, RuleExecution.workspace_id == workspace_id)
        .order_by(RuleExecution.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


__all__ = [
    "NameTaken",
    "RuleInvalid",
    "change",
    "delete",
    "executions",
    "get",
    "listing",
    "move",
    "public",
    "save",
    "set_active",
]
