"""Event triggers besides a customer's message: a conversation's status changed, a context field
changed, staff rejected a draft. Fired by the rules' own actions (set status, set context) and by
staff's actions from every face (staff.service: a status change, a context edit, a rejected
draft), with the previous values so `changed_to` can tell a change from a value that was already
there.

A chain of rules firing rules stops at MAX_DEPTH: a rule that sets a status which triggers a rule
that sets it back cannot loop.
"""

from __future__ import annotations

import logging
from typing import Any

from core.models import Conversation, Workspace
from rules.engine import Evaluation, RuleBook, evaluate, record
from rules.facts import facts, load
from rules.hours import Clock
from rules.run import Services

log = logging.getLogger(__name__)

MAX_DEPTH = 2
FIELD_PREFIX = "context."


class Events:
    def __init__(self, services: Services, book: RuleBook, *, clock: Clock) -> None:
        self.services = services
        self.book = book
        self.clock = clock

    async def fire(
        self,
        trigger: str,
        *,
        workspace_id: str,
        conversation_id: str,
        previous: dict[str, Any],
        key: str,
        depth: int = 1,
    ) -> list[Evaluation]:
        """Run the workspace's `trigger` rules for one conversation; `previous` holds the values
        before the change, by variable name (e.g. {"conversation.status": "open"})."""
        if depth > MAX_DEPTH:
            log.info("rule chain stopped", extra={"trigger": trigger, "conversation_id": conversation_id})
            return []
        rules = await self.book.rules_for(workspace_id, trigger)
        if trigger == "context_changed":
            changed = {k.removeprefix(FIELD_PREFIX) for k in previous}
            rules = [r for r in rules if r.spec.trigger.field is None or r.spec.trigger.field in changed]
        if not rules:
            return []
        now = self.clock()
        async with self.services.db.reader() as s:
            workspace = await s.get(Workspace, workspace_id)
            conversation = await s.get(Conversation, conversation_id)
            if workspace is None or conversation is None or conversation.workspace_id != workspace_id:
                return []
            sit = await load(s, workspace=workspace, conversation=conversation, now=now)
        before = facts(sit) | previous
        evaluations = await evaluate(self.services, rules, sit, trigger=trigger, key=key, previous=before, depth=depth)
        try:
            await record(
                self.services.db,
                evaluations,
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                trigger=trigger,
                now=now,
            )
        except Exception:
            log.exception("could not write the rule execution log", extra={"trigger": trigger})
        return evaluations

    async def fire_safely(self, trigger: str, **kwargs: Any) -> None:
        """For callers outside the rule engine (staff's actions): the rules' trouble is logged, and the
        staff member's change stands."""
        try:
            await self.fire(trigger, **kwargs)
        except Exception:
            log.exception("rules for %s failed", trigger)
