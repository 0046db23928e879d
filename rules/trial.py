"""Trying rules without consequences: `test` (one rule, saved or not, against a sample message and
context) and `replay` (a saved rule over the workspace's past messages). Both are dry runs: every
action says what it would do, nothing is sent, stored or queued."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.messages import Attachment, ChannelKind, InboundMessage, Sender
from core.models import Contact, Conversation, Draft, Message, Workspace
from rules import hours
from rules.engine import compile_rule, evaluate
from rules.facts import Situation, facts
from rules.models import Rule
from rules.run import Services
from rules.schema import RuleSpec

MAX_REPLAY_MESSAGES = 2000
MAX_REPLAY_REPORTED = 200


def sample_situation(
    workspace: Workspace,
    *,
    now: datetime,
    text: str,
    channel: str = "web",
    attachments: list[str] | None = None,
    context: dict[str, Any] | None = None,
    conversation: dict[str, Any] | None = None,
    contact: dict[str, Any] | None = None,
    understanding: dict[str, Any] | None = None,
    minutes_since_staff_message: float | None = None,
) -> Situation:
    """A situation made up from a sample: nothing of it is stored."""
    conv = conversation or {}
    person = contact or {}
    message = InboundMessage(
        workspace_id=workspace.id,
        channel=ChannelKind(channel),
        account="sample",
        external_id="sample",
        thread="sample",
        sender=Sender(id="sample", display_name=person.get("name"), language=person.get("language")),
        text=text,
        attachments=tuple(Attachment(kind=k) for k in attachments or ()),
        received_at=now,
    )
    return Situation(
        workspace=workspace,
        now=now,
        conversation=Conversation(
            id="sample",
            workspace_id=workspace.id,
            channel=channel,
            status=conv.get("status", "open"),
            priority=conv.get("priority", "normal"),
            tags=list(conv.get("tags", [])),
            bot_paused=False,
        ),
        contact=Contact(
            display_name=person.get("name"),
            phone=person.get("phone"),
            email=person.get("email"),
            language=person.get("language"),
        ),
        message=message,
        context=dict(context or {}),
        understanding=dict(understanding or {}),
        last_customer_at=now,
        last_staff_at=None
        if minutes_since_staff_message is None
        else now - timedelta(minutes=minutes_since_staff_message),
    )


async def test(svc: Services, spec: RuleSpec, sit: Situation, *, rule_id: str = "unsaved") -> dict[str, Any]:
    """The trace: what the rule saw, which conditions held, and what it would have done."""
    rule = compile_rule(rule_id, spec)
    [result] = await evaluate(svc, [rule], sit, trigger=spec.trigger.type, key="test", dry_run=True)
    seen = facts(sit)
    used = _variables(spec.conditions)
    explanation = _sentence(spec, result.matched, result.conditions)
    if any(v.startswith("time.") for v in used):
        ws = sit.workspace
        at = hours.local(sit.now, ws.timezone)
        explanation += (
            f" It is {hours.DAY_NAMES[at.weekday()]} {at:%H:%M} in {ws.timezone or 'UTC'}; "
            f"business hours: {hours.describe(ws.business_hours)}."
        )
    return {
        "rule": spec.name,
        "trigger": spec.trigger.type,
        "active": spec.active,
        "matched": result.matched,
        "explanation": explanation,
        "conditions": result.conditions,
        "actions": result.actions,
        "facts": {k: seen.get(k) for k in sorted(used)} if used else {},
        "at": sit.now.isoformat(),
    }


def _variables(cond: Any) -> set[str]:
    if cond is None:
        return set()
    if hasattr(cond, "variable"):
        return {cond.variable}
    if hasattr(cond, "not_"):
        return _variables(cond.not_)
    children = getattr(cond, "all", None) or getattr(cond, "any", None) or []
    return set().union(*(_variables(c) for c in children)) if children else set()


def _leaf_words(node: dict[str, Any]) -> str:
    value = "" if node.get("value") is None else f" {node['value']!r}"
    return f"{node['variable']} {node['operator'].replace('_', ' ')}{value} (it was {node.get('actual')!r})"


def _sentence(spec: RuleSpec, matched: bool, trace: dict[str, Any]) -> str:
    """One line an owner can read: why it fired, or the first reason it did not."""
    if matched:
        held = [_leaf_words(n) for n in _leaves(trace) if n["result"]]
        why = "; ".join(held) if held else "it has no conditions"
        return f"'{spec.name}' fires because {why}."
    failed = [_leaf_words(n) for n in _leaves(trace) if not n["result"]]
    return f"'{spec.name}' does not fire: " + ("; ".join(failed) or "its conditions do not hold") + "."


def _leaves(trace: dict[str, Any]) -> list[dict[str, Any]]:
    if "variable" in trace:
        return [trace]
    if "not" in trace:
        return _leaves(trace["not"])
    return [leaf for child in trace.get("all", trace.get("any", [])) for leaf in _leaves(child)]


async def replay(
    svc: Services, spec: RuleSpec, *, workspace: Workspace, rule_id: str, days: int, now: datetime
) -> dict[str, Any]:
    """What the rule would have done on each customer message of the last `days` days, at the time
    it arrived (business hours then, not now)."""
    since = now - timedelta(days=days)
    async with svc.db.reader() as s:
        rows = (
            await s.execute(
                select(Message, Conversation, Contact)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .join(Contact, Contact.id == Conversation.contact_id)
                .where(
                    Message.workspace_id == workspace.id,
                    Message.direction == "in",
                    Message.created_at >= since,
                )
                .order_by(Message.created_at)
                .limit(MAX_REPLAY_MESSAGES)
            )
        ).all()
    rule = compile_rule(rule_id, spec)
    fired: list[dict[str, Any]] = []
    count = 0
    conversations: set[str] = set()
    for message, conversation, contact in rows:
        sit = Situation(
            workspace=workspace,
            now=message.created_at,
            conversation=conversation,
            contact=contact,
            message_text=message.text,
            context={},
            last_customer_at=message.created_at,
        )
        [result] = await evaluate(svc, [rule], sit, trigger=spec.trigger.type, key="replay", dry_run=True)
        if result.matched:
            count += 1
            conversations.add(conversation.id)
            if len(fired) < MAX_REPLAY_REPORTED:
                fired.append(
                    {
                        "conversation_id": conversation.id,
                        "message_id": message.id,
                        "at": message.created_at.isoformat(),
                        "text": message.text[:300],
                        "actions": [a.get("detail") or a.get("error") for a in result.actions],
                    }
                )
    return {
        "rule": spec.name,
        "days": days,
        "messages_examined": len(rows),
        "would_fire": count,
        "conversations": len(conversations),
        "examples": fired,
        "note": "a dry run: nothing was sent or changed. Context fields are not replayed (as of now: empty).",
    }


async def replay_draft_pending(
    svc: Services, spec: RuleSpec, *, workspace: Workspace, rule_id: str, days: int, now: datetime
) -> dict[str, Any]:
    """An SLA rule over the drafts of the last `days` days: which waited for staff longer than its
    minutes, and what it would have done then (with the conversation as it is now)."""
    minutes = timedelta(minutes=spec.trigger.minutes or 0)
    async with svc.db.reader() as s:
        rows = (
            await s.execute(
                select(Draft, Conversation, Contact)
                .join(Conversation, Conversation.id == Draft.conversation_id)
                .join(Contact, Contact.id == Conversation.contact_id)
                .where(Draft.workspace_id == workspace.id, Draft.created_at >= now - timedelta(days=days))
                .order_by(Draft.created_at)
                .limit(MAX_REPLAY_MESSAGES)
            )
        ).all()
    rule = compile_rule(rule_id, spec)
    fired: list[dict[str, Any]] = []
    count = 0
    for draft, conversation, contact in rows:
        answered = draft.reviewed_at or (now if draft.state == "pending" else draft.created_at)
        if answered - draft.created_at < minutes:
            continue
        sit = Situation(workspace=workspace, now=draft.created_at + minutes, conversation=conversation, contact=contact)
        [result] = await evaluate(svc, [rule], sit, trigger="draft_pending", key="replay", dry_run=True)
        if result.matched:
            count += 1
            if len(fired) < MAX_REPLAY_REPORTED:
                fired.append(
                    {
                        "conversation_id": conversation.id,
                        "draft_id": draft.id,
                        "at": sit.now.isoformat(),
                        "waited_minutes": round((answered - draft.created_at).total_seconds() / 60),
                        "actions": [a.get("detail") or a.get("error") for a in result.actions],
                    }
                )
    return {
        "rule": spec.name,
        "days": days,
        "drafts_examined": len(rows),
        "would_fire": count,
        "examples": fired,
        "note": "a dry run: nothing was sent or changed.",
    }


class NotReplayable(ValueError):
    pass


async def replay_rule(svc: Services, rule: Rule, *, workspace: Workspace, days: int, now: datetime) -> dict[str, Any]:
    """A saved rule over the past `days`: `replay` for a rule a customer's message triggers,
    `replay_draft_pending` for a draft SLA rule; NotReplayable for the others."""
    spec = RuleSpec.model_validate(rule.spec)
    if spec.trigger.type == "message_received":
        return await replay(svc, spec, workspace=workspace, rule_id=rule.id, days=days, now=now)
    if spec.trigger.when == "draft_pending":
        return await replay_draft_pending(svc, spec, workspace=workspace, rule_id=rule.id, days=days, now=now)
    raise NotReplayable("replay covers rules triggered by a customer message and draft SLA rules")
