"""The pipeline's rules stage: the workspace's message-received rules, on each customer message.

It fills `turn.rules` (approval, auto-send, handoff) and, for a template reply, `turn.draft`; draft
then leaves the reply alone and decide sends it or asks staff, like any draft.
"""

from __future__ import annotations

import logging

from core.pipeline.turn import Turn
from rules.engine import RuleBook, evaluate, record
from rules.facts import Situation, last_times
from rules.hours import Clock, system_clock
from rules.run import Services
from understanding.context import read_context

log = logging.getLogger(__name__)

TRIGGER = "message_received"
NO_RULES_KINDS = frozenset({"edit", "reaction"})


class RulesStage:
    def __init__(self, services: Services, book: RuleBook, *, clock: Clock = system_clock) -> None:
        self.services = services
        self.book = book
        self.clock = clock

    async def __call__(self, turn: Turn) -> None:
        if (
            turn.draft_id is not None  # decided on an earlier attempt: its rules already ran
            or turn.workspace is None
            or turn.conversation is None
            or turn.message.kind.value in NO_RULES_KINDS
        ):
            return
        rules = await self.book.rules_for(turn.workspace.id, TRIGGER, turn.config)
        if not rules:
            return
        now = self.clock()
        async with self.services.db.reader() as s:
            context = await read_context(s, turn.conversation.id)
            _last_in, last_out = await last_times(s, turn.conversation.id)
        sit = Situation(
            workspace=turn.workspace,
            now=now,
            conversation=turn.conversation,
            contact=turn.contact,
            message=turn.message,
            context=context,
            understanding=turn.understanding,
            last_customer_at=turn.message.received_at,
            last_staff_at=last_out,
        )
        evaluations = await evaluate(
            self.services, rules, sit, trigger=TRIGGER, key=f"inbox:{turn.inbox_id}", turn=turn, dry_run=turn.dry_run
        )
        turn.rules.trace = [{"rule": e.rule.name, "actions": e.actions} for e in evaluations if e.matched]
        if turn.dry_run:
            return  # a try leaves no execution log
        try:
            await record(
                self.services.db,
                evaluations,
                workspace_id=turn.workspace.id,
                conversation_id=turn.conversation.id,
                trigger=TRIGGER,
                now=now,
            )
        except Exception:
            # The log is for the owner's insight; losing a row must not fail the customer's turn.
            log.exception("could not write the rule execution log", extra={"inbox_id": turn.inbox_id})
