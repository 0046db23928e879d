"""What a matched rule does. Each action runs on its own: in its own unit of work, its failure logged
in the execution log, and the rule's on_failure actions run after; the other actions still run.

Inside a message's turn, the reply and the approval flags go to the turn (draft and decide act on
them, so the reply leaves through the outbox with the turn's idempotency). Outside a turn (a schedule,
a follow-up) a reply is queued in the outbox directly, keyed by the occasion, so it is sent once.
In a dry run (rules/test, replay) every action says what it would do and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from core.messages import OutboundMessage
from core.models import Conversation, Membership, User
from core.notify import StaffAlert
from core.outbox import enqueue
from core.pipeline.turn import DraftResult
from rules import schema
from rules.deferred import follow_up, webhook
from rules.run import ActionFailed, Handler, Run, Services, emit, need_conversation
from rules.templating import render
from understanding import context

log = logging.getLogger(__name__)


async def _reply(svc: Services, run: Run, action: schema.Reply, key: str) -> str:
    text = render(action.template, run.variables())
    if not text:
        raise ActionFailed("the template rendered an empty reply")
    if run.dry_run and run.turn is None:
        return f"would reply: {text}"
    if run.turn is not None:  # the turn's draft is memory only: a try's dry turn gets it too
        if run.conversation is not None and run.conversation.bot_paused:
            return "not used: staff have taken this conversation over"
        if run.turn.draft is not None:
            # One reply per message: the rule that ran first (higher priority) has answered.
            return f"not used: {run.turn.draft.reason or 'an earlier rule'} already answers this message"
        # The turn's draft: decide sends it (or asks staff), keyed by the inbox row like any draft.
        run.turn.draft = DraftResult(
            text=text,
            source="rule",
            confidence=1.0,
            grounded=True,
            reason=f"rule: {run.rule_name}",
            fallback=action.unless_answered,
        )
        return f"would reply: {text}" if run.dry_run else f"reply drafted: {text}"
    conversation = need_conversation(run)
    async with svc.db.session() as s:
        row = await s.get(Conversation, conversation.id, with_for_update=True)
        if row is None:
            raise ActionFailed("the conversation is gone")
        if row.bot_paused:
            return "not sent: staff have taken this conversation over"
        queued = await enqueue(
            s,
            conversation=row,
            author="assistant",
            message=OutboundMessage(conversation_id=row.id, text=text, idempotency_key=f"rule:{key}"),
        )
    if queued is not None:
        svc.wakeup.set("outbox")
    return f"replied: {text}" if queued is not None else "already replied"


async def _flag(svc: Services, run: Run, action: schema.Flag, key: str) -> str:
    kind = action.type
    if kind == "stop":
        run.stopped = True
        return "stopped: no later rule runs"
    if kind == "pause_bot":
        conversation = need_conversation(run)
        if run.dry_run:
            if run.turn is not None:  # a try's conversation is memory only: later stages see the pause
                conversation.bot_paused = True
            return "would pause the assistant in this conversation"
        async with svc.db.session() as s:
            row = await s.get(Conversation, conversation.id, with_for_update=True)
            if row is not None:
                row.bot_paused = True
        conversation.bot_paused = True
        return "assistant paused: staff answer from now on"
    words = {
        "require_approval": "the reply waits for staff approval",
        "send_automatically": "the reply is sent without approval",
        "handoff": "handed to staff",
    }[kind]
    if run.dry_run and run.turn is None:
        return f"would mark: {words}"
    if run.turn is not None:  # the turn's flags are memory only: a try's dry turn gets them too
        outcome = run.turn.rules
        if kind == "require_approval":
            outcome.require_approval = True
        elif kind == "send_automatically":
            outcome.auto_send = True
        else:
            outcome.handoff = True
        return f"would mark: {words}" if run.dry_run else words
    if kind == "handoff":
        conversation = need_conversation(run)
        async with svc.db.session() as s:
            row = await s.get(Conversation, conversation.id, with_for_update=True)
            if row is not None:
                row.status = "waiting"
        await svc.notifier.alert(
            StaffAlert(run.workspace_id, conversation.id, reason="handoff", detail=f"rule: {run.rule_name}")
        )
        return words
    return f"nothing to do: {kind} applies to a message's reply"


async def _conversation_change(svc: Services, run: Run, action: Any, key: str) -> str:
    conversation = need_conversation(run)
    change: dict[str, Any]
    if isinstance(action, schema.SetStatus):
        change, words = {"status": action.status}, f"status set to {action.status}"
    elif isinstance(action, schema.SetPriority):
        change, words = {"priority": action.priority}, f"priority set to {action.priority}"
    else:
        tags = list(conversation.tags or [])
        if action.type == "add_tags":
            tags += [t for t in action.tags if t not in tags]
        else:
            tags = [t for t in tags if t not in action.tags]
        change, words = {"tags": tags}, f"tags are now {', '.join(tags) or 'none'}"
    if run.dry_run:
        return f"would set: {words}"
    async with svc.db.session() as s:
        row = await s.get(Conversation, conversation.id, with_for_update=True)
        if row is None:
            raise ActionFailed("the conversation is gone")
        old_status = row.status
        if "tags" in change:  # merge with what is stored now, not what the turn read
            stored = list(row.tags or [])
            if action.type == "add_tags":
                change["tags"] = stored + [t for t in action.tags if t not in stored]
            else:
                change["tags"] = [t for t in stored if t not in action.tags]
        for name, value in change.items():
            setattr(row, name, value)
            setattr(conversation, name, value)
    if "status" in change and change["status"] != old_status:
        await emit(svc, run, "status_changed", {"conversation.status": old_status})
    return words


async def _set_context(svc: Services, run: Run, action: schema.SetContext, key: str) -> str:
    """Through understanding.context.change, as staff's and the AI's changes: the workspace's context
    schema checks the value (and stores it typed), and the history says which rule set it."""
    conversation = need_conversation(run)
    value = render(action.value, run.variables())
    if run.dry_run:
        return f"would set context {action.field} = {value!r}"
    workspace = run.situation.workspace
    try:
        async with svc.db.session() as s:
            changes = await context.change(
                s, workspace_id=workspace.id, conversation_id=conversation.id,
                proposed=[context.Proposed(action.field, value)], source="rule", actor=run.rule_name,
                schema=await context.schema_for(s, workspace.id), timezone=workspace.timezone or "UTC",
                now=run.now, region=svc.phone_region,
            )  # fmt: skip
            stored = (await context.read_context(s, conversation.id)).get(action.field)
    except context.ContextRefused as exc:
        raise ActionFailed(f"context {action.field}: {exc.problems.get(action.field, exc)}") from None
    if run.situation.context is not None:
        run.situation.context[action.field] = stored
    if changes:
        await emit(svc, run, "context_changed", {f"context.{c.field}": c.old_value for c in changes})
    return f"context {action.field} = {stored!r}"


async def _assign(svc: Services, run: Run, action: schema.Assign, key: str) -> str:
    conversation = need_conversation(run)
    async with svc.db.reader() as s:
        user_id = (
            await s.execute(
                select(User.id)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.workspace_id == run.workspace_id, User.email == action.email.lower())
            )
        ).scalar_one_or_none()
    if user_id is None:
        raise ActionFailed(f"{action.email} is not a member of this workspace")
    if run.dry_run:
        return f"would assign to {action.email}"
    async with svc.db.session() as s:
        row = await s.get(Conversation, conversation.id, with_for_update=True)
        if row is not None:
            row.assigned_user_id = user_id
    conversation.assigned_user_id = user_id
    return f"assigned to {action.email}"


async def _notify(svc: Services, run: Run, action: schema.NotifyStaff, key: str) -> str:
    text = render(action.message, run.variables())
    if run.dry_run:
        return f"would tell staff: {text}"
    conversation_id = run.conversation.id if run.conversation else ""
    await svc.notifier.alert(StaffAlert(run.workspace_id, conversation_id, reason="rule", detail=text))
    return f"staff told: {text}"


HANDLERS: dict[str, Handler] = {
    "reply": _reply,
    "require_approval": _flag,
    "send_automatically": _flag,
    "handoff": _flag,
    "pause_bot": _flag,
    "stop": _flag,
    "set_status": _conversation_change,
    "set_priority": _conversation_change,
    "add_tags": _conversation_change,
    "remove_tags": _conversation_change,
    "set_context": _set_context,
    "assign": _assign,
    "notify_staff": _notify,
    "webhook": webhook,
    "follow_up": follow_up,
}


async def _run_list(svc: Services, run: Run, actions: list[Any], *, phase: str) -> bool:
    """Run actions in order; True if any failed."""
    failed = False
    for i, action in enumerate(actions):
        try:
            detail = await HANDLERS[action.type](svc, run, action, f"{run.key}:{phase}:{i}")
            run.results.append({"action": action.type, "phase": phase, "ok": True, "detail": detail})
        except Exception as exc:
            failed = True
            log.warning(
                "rule action failed",
                extra={"rule": run.rule_name, "action": action.type, "error": f"{type(exc).__name__}: {exc}"[:300]},
            )
            run.results.append(
                {"action": action.type, "phase": phase, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
            )
        if run.stopped:
            break
    return failed


async def perform(svc: Services, run: Run, actions: list[Any], on_failure: list[Any]) -> list[dict[str, Any]]:
    """Every action, isolated; if any failed, the on_failure actions after them."""
    if await _run_list(svc, run, actions, phase="action") and on_failure:
        stopped, run.stopped = run.stopped, False
        await _run_list(svc, run, on_failure, phase="on_failure")
        run.stopped = run.stopped or stopped
    return run.results
