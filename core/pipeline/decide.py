"""Decide: auto-send, wait for approval, hand off to staff, or stay silent, per the assistant's
approval policy and the rules. The draft, the reply and the conversation's state are written in one
transaction keyed by the inbox row, so a retried turn decides once."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.assistants import DEFAULT_HOLDING_REPLY
from core.db import Database
from core.messages import OutboundMessage, utcnow
from core.metrics import DECISIONS
from core.models import Assistant, Conversation, Draft, InboxItem, OutboxItem
from core.notify import StaffAlert, StaffNotifier
from core.outbox import enqueue
from core.pipeline.turn import DraftResult, RuleOutcome, Turn
from core.wakeup import Wakeup


class LeaseLost(RuntimeError):
    """Another worker took this turn over: this attempt's decision must not be committed."""


AUTO_SEND, NEEDS_APPROVAL, HANDOFF, SILENT = "auto_send", "needs_approval", "handoff", "silent"


def choose(assistant: Assistant | None, draft: DraftResult | None, rules: RuleOutcome) -> str:
    if draft is None or rules.silent:
        return SILENT
    if rules.handoff or draft.source == "none" or draft.needs_staff or not draft.text:
        return HANDOFF
    if rules.require_approval:
        return NEEDS_APPROVAL
    if rules.auto_send:
        return AUTO_SEND
    policy = assistant.approval_policy if assistant else "approve_all"
    if policy == "auto":
        return AUTO_SEND
    if policy == "autopilot":
        threshold = assistant.confidence_threshold if assistant else 1.0
        confident = draft.confidence is not None and draft.confidence >= threshold
        if draft.grounded and confident and not rules.require_approval:
            return AUTO_SEND
    return NEEDS_APPROVAL


def why(assistant: Assistant | None, draft: DraftResult | None, rules: RuleOutcome, decision: str) -> str:
    """The reason for `choose`'s answer, in an owner's words (the try panel shows it)."""
    if decision == SILENT:
        return "a rule keeps the assistant silent" if rules.silent else "nothing to answer (no draft for this message)"
    if decision == HANDOFF:
        if rules.handoff:
            return "a rule hands this message to staff"
        reason = (draft.reason if draft else None) or "the draft is empty or needs a person"
        holding = (assistant.holding_reply if assistant else None) or DEFAULT_HOLDING_REPLY
        return f"handed to staff: {reason}; the customer gets the holding reply: {holding}"
    if rules.require_approval:
        return "a rule requires staff approval"
    if rules.auto_send:
        return "a rule sends it without approval"
    policy = assistant.approval_policy if assistant else "approve_all"
    if policy == "auto":
        return "the approval policy is auto: every draft is sent"
    if policy == "autopilot":
        threshold = assistant.confidence_threshold if assistant else 1.0
        confidence = "none" if draft is None or draft.confidence is None else f"{draft.confidence:.2f}"
        if decision == AUTO_SEND:
            return f"autopilot: confidence {confidence} reaches the threshold {threshold:.2f}, grounded in sources"
        grounded = "grounded in sources" if draft is not None and draft.grounded else "not grounded in a source"
        return f"autopilot: confidence {confidence} against the threshold {threshold:.2f}, {grounded}: staff approve it"
    return "the approval policy is approve all: staff approve every draft"


def draft_key(draft_id: str) -> str:
    return f"draft:{draft_id}"


def holding_key(inbox_id: int) -> str:
    return f"holding:{inbox_id}"


class Decide:
    def __init__(self, db: Database, wakeup: Wakeup, notifier: StaffNotifier) -> None:
        self.db = db
        self.wakeup = wakeup
        self.notifier = notifier

    async def __call__(self, turn: Turn) -> None:
        if turn.draft_id is not None:
            await self._recall(turn)
            return
        decision = choose(turn.assistant, turn.draft, turn.rules)
        turn.decision, turn.decision_reason = decision, why(turn.assistant, turn.draft, turn.rules, decision)
        if not turn.dry_run:  # a try: the decision and why, and no draft row, reply or alert
            DECISIONS.labels(decision).inc()
        if turn.dry_run or decision == SILENT or turn.conversation is None or turn.draft is None:
            return
        draft = turn.draft
        async with self.db.session() as s:
            conversation = await s.get(Conversation, turn.conversation.id, with_for_update=True)
            if conversation is None:
                return
            row = Draft(
                workspace_id=conversation.workspace_id,
                conversation_id=conversation.id,
                inbox_id=turn.inbox_id,
                text=draft.text,
                source=draft.source,
                citations=[c.model_dump(mode="json") for c in draft.citations],
                confidence=draft.confidence,
                grounded=draft.grounded,
                model=draft.model,
                decision=decision,
                reason=draft.reason,
                state="sent" if decision == AUTO_SEND else "pending",
            )
            if decision != AUTO_SEND:
                # Staff answer the newest draft; older pending ones would answer stale questions.
                await s.execute(
                    update(Draft)
                    .where(Draft.conversation_id == conversation.id, Draft.state == "pending")
                    .values(state="superseded")
                )
            s.add(row)
            await s.flush()
            turn.draft_id = row.id
            if decision == AUTO_SEND:
                turn.reply_outbox_id = await enqueue(
                    s,
                    conversation=conversation,
                    author="assistant",
                    message=OutboundMessage(
                        conversation_id=conversation.id,
                        text=draft.text,
                        citations=tuple(draft.citations),
                        idempotency_key=draft_key(row.id),
                    ),
                )
            elif decision == HANDOFF and (turn.handoff_reply or conversation.status != "waiting"):
                # One honest holding reply per wait, not one per message; a stage's own reply (media it
                # could not use) always goes, since the customer has to do something about it.
                holding = (turn.assistant.holding_reply if turn.assistant else None) or DEFAULT_HOLDING_REPLY
                text = turn.handoff_reply or holding
                turn.reply_outbox_id = await enqueue(
                    s,
                    conversation=conversation,
                    author="system",
                    message=OutboundMessage(
                        conversation_id=conversation.id, text=text, idempotency_key=holding_key(turn.inbox_id)
                    ),
                )
            conversation.status = "open" if decision == AUTO_SEND else "waiting"
            await self.wakeup.conversation_changed_in(s, conversation.workspace_id, conversation.id)
            await self._finish_inbox_row(s, turn)
        self.wakeup.conversation_changed(turn.message.workspace_id, turn.conversation.id)
        if turn.reply_outbox_id is not None:
            self.wakeup.set("outbox")
        if decision in (NEEDS_APPROVAL, HANDOFF):
            await self.notifier.alert(
                StaffAlert(
                    workspace_id=turn.message.workspace_id,
                    conversation_id=turn.conversation.id,
                    reason=decision,
                    draft_id=turn.draft_id,
                    detail=draft.reason,
                )
            )

    async def _finish_inbox_row(self, s: AsyncSession, turn: Turn) -> None:
        """Mark the inbox row done with the decision, in one commit; roll back if the lease is gone."""
        if turn.claimed_by is None:
            return
        done = await s.execute(
            update(InboxItem)
            .where(
                InboxItem.id == turn.inbox_id,
                InboxItem.claimed_by == turn.claimed_by,
                InboxItem.state == "processing",
            )
            .values(state="done", lease_until=None, finished_at=utcnow(), last_error=None)
        )
        if not getattr(done, "rowcount", 0):
            raise LeaseLost(f"inbox row {turn.inbox_id} was claimed by another worker")
        await Wakeup.notify_in(s, "turns", str(turn.inbox_id))
        turn.inbox_done = True

    async def _recall(self, turn: Turn) -> None:
        """A retried turn: the decision was committed before; find the reply it queued."""
        keys = [holding_key(turn.inbox_id)] + ([draft_key(turn.draft_id)] if turn.draft_id else [])
        async with self.db.reader() as s:
            turn.reply_outbox_id = (
                (await s.execute(select(OutboxItem.id).where(OutboxItem.idempotency_key.in_(keys)))).scalars().first()
            )
