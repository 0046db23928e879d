"""Scheduled triggers: find what is due (an unanswered customer, a draft waiting too long, a WhatsApp
window about to close, a cron time, a customer left waiting after hours) and run the rule for it.

Each occasion is claimed by inserting its execution-log row first (unique per rule and occasion),
so it fires once however many ticks, restarts or schedulers see it; everything due is found from
rows, so nothing is lost while no scheduler runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import and_, delete, select, update

from core.db import Database, insert_for
from core.models import Contact, Conversation, Draft, Message, Workspace
from rules import hours
from rules.actions import perform
from rules.conditions import explain
from rules.engine import CompiledRule, compile_rule
from rules.facts import facts, load
from rules.models import Rule, RuleExecution
from rules.run import Run, Services
from rules.schema import RuleSpec

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=7)  # older occasions are history, not due work
# The execution log is for "why did (not) it fire" and claims occasions; both are long over by then.
LOG_RETENTION = timedelta(days=30)
WHATSAPP_WINDOW = timedelta(hours=24)
MAX_PER_RULE = 200  # per tick; the rest are found on the next


@dataclass(frozen=True)
class Occasion:
    key: str
    conversation: Conversation | None


class Scanner:
    def __init__(self, services: Services, *, clock: hours.Clock) -> None:
        self.services = services
        self.clock = clock

    @property
    def db(self) -> Database:
        return self.services.db

    async def scan(self) -> int:
        """Fire every scheduled rule that is due; how many fired."""
        now = self.clock()
        async with self.db.reader() as s:
            rows = (
                await s.execute(
                    select(Rule, Workspace)
                    .join(Workspace, Workspace.id == Rule.workspace_id)
                    .where(Rule.trigger == "scheduled", Rule.active)
                )
            ).all()
        fired = 0
        for rule_row, workspace in rows:
            rule = compile_rule(rule_row.id, RuleSpec.model_validate(rule_row.spec))
            try:
                async for occasion in self._due(rule, rule_row, workspace, now):
                    fired += await self._fire(rule, workspace, occasion, now)
            except Exception:
                log.exception("scheduled rule failed", extra={"rule_id": rule.id})
        return fired

    async def prune(self) -> int:
        """Forget execution-log rows older than LOG_RETENTION; how many went."""
        async with self.db.session() as s:
            result = await s.execute(
                delete(RuleExecution).where(RuleExecution.created_at < self.clock() - LOG_RETENTION)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _due(self, rule: CompiledRule, row: Rule, ws: Workspace, now: datetime) -> AsyncIterator[Occasion]:
        t = rule.spec.trigger
        minutes = timedelta(minutes=t.minutes or 0)
        async with self.db.reader() as s:
            if t.when == "draft_pending":
                drafts = await s.execute(
                    select(Draft, Conversation)
                    .join(Conversation, Conversation.id == Draft.conversation_id)
                    .where(
                        Draft.workspace_id == ws.id,
                        Draft.state == "pending",
                        Draft.created_at <= now - minutes,
                        Draft.created_at > now - minutes - LOOKBACK,
                    )
                    .limit(MAX_PER_RULE)
                )
                for draft, conversation in drafts.all():
                    yield Occasion(f"draft:{draft.id}", conversation)
            elif t.when == "whatsapp_window_closing":
                # The window closes 24 h after the customer's last message; warn `minutes` before.
                rows = await s.execute(
                    select(Conversation, Contact.last_inbound_at)
                    .join(Contact, Contact.id == Conversation.contact_id)
                    .where(
                        Conversation.workspace_id == ws.id,
                        Conversation.channel == "whatsapp",
                        Conversation.status != "closed",
                        Contact.last_inbound_at <= now - WHATSAPP_WINDOW + minutes,
                        Contact.last_inbound_at > now - WHATSAPP_WINDOW,
                    )
                    .limit(MAX_PER_RULE)
                )
                for conversation, last_in in rows.all():
                    if last_in is not None:
                        yield Occasion(f"whatsapp:{conversation.id}:{last_in.isoformat()}", conversation)
            elif t.when in ("no_customer_reply", "outside_business_hours"):
                if t.when == "outside_business_hours":
                    if not ws.business_hours or hours.is_open(ws.business_hours, ws.timezone, now):
                        return
                    window = (now - timedelta(hours=24), now)
                    prefix = "after_hours"
                else:
                    window = (now - minutes - LOOKBACK, now - minutes)
                    prefix = "no_reply"
                for conversation, last, last_in_id in await self._last_messages(s, ws.id, window):
                    # After hours: a customer is waiting for staff. No reply: we wrote last, they did not answer.
                    waiting = conversation.status == "waiting" if prefix == "after_hours" else last.direction == "out"
                    if waiting:
                        # Once per customer silence: our own nudge must not restart the clock.
                        yield Occasion(f"{prefix}:{last_in_id or conversation.id}", conversation)
            elif t.when == "cron" and t.cron:
                fire = self._cron_due(t.cron, ws.timezone, row.last_fired_at or row.created_at, now)
                if fire is not None:
                    yield Occasion(f"cron:{fire.isoformat()}", None)

    async def _last_messages(
        self, s: Any, workspace_id: str, window: tuple[datetime, datetime]
    ) -> list[tuple[Conversation, Message, str | None]]:
        """Each conversation active in the window: its last message and its customer's last one."""
        conversations = (
            (
                await s.execute(
                    select(Conversation)
                    .where(
                        Conversation.workspace_id == workspace_id,
                        Conversation.status != "closed",
                        and_(Conversation.last_message_at > window[0], Conversation.last_message_at <= window[1]),
                    )
                    .limit(MAX_PER_RULE)
                )
            )
            .scalars()
            .all()
        )
        out = []
        for conversation in conversations:
            last = (
                await s.execute(
                    select(Message)
                    .where(Message.conversation_id == conversation.id)
                    .order_by(Message.created_at.desc(), Message.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            if last is None:
                continue
            last_in = (
                last.id
                if last.direction == "in"
                else (
                    await s.execute(
                        select(Message.id)
                        .where(Message.conversation_id == conversation.id, Message.direction == "in")
                        .order_by(Message.created_at.desc(), Message.id.desc())
                        .limit(1)
                    )
                ).scalar_one_or_none()
            )
            out.append((conversation, last, last_in))
        return out

    @staticmethod
    def _cron_due(expression: str, tz: str | None, since: datetime, now: datetime) -> datetime | None:
        """The latest cron time after `since` and not after `now` (missed ones fire once, not each)."""
        trigger = CronTrigger.from_crontab(expression, timezone=hours.zone(tz))
        fire = trigger.get_next_fire_time(None, since + timedelta(seconds=1))
        if fire is None or fire > now:
            return None
        for _ in range(10_000):
            after = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
            if after is None or after > now:
                break
            fire = after
        return fire.astimezone(now.tzinfo)

    async def _fire(self, rule: CompiledRule, ws: Workspace, occasion: Occasion, now: datetime) -> int:
        conversation = occasion.conversation
        async with self.db.session() as s:
            insert = insert_for(s)
            log_id = (
                await s.execute(
                    insert(RuleExecution)
                    .values(
                        workspace_id=ws.id,
                        rule_id=rule.id,
                        conversation_id=conversation.id if conversation else None,
                        trigger=rule.spec.trigger.when or "scheduled",
                        occasion=occasion.key,
                        matched=False,
                        conditions={},
                        actions=[],
                        duration_ms=0.0,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["rule_id", "occasion"])
                    .returning(RuleExecution.id)
                )
            ).scalar_one_or_none()
        if log_id is None:
            return 0  # fired already (this tick's twin, another worker, or before a restart)
        started = time.perf_counter()
        async with self.db.reader() as s:
            sit = await load(s, workspace=ws, conversation=conversation, now=now)
        seen = facts(sit)
        matched = rule.matches(seen, {})
        results: list[dict[str, Any]] = []
        if matched:
            run = Run(rule.id, rule.name, rule.spec.trigger.when or "scheduled", sit, key=f"{occasion.key}:{rule.id}")
            results = await perform(self.services, run, rule.spec.actions, rule.spec.on_failure)
        async with self.db.session() as s:
            await s.execute(
                update(RuleExecution)
                .where(RuleExecution.id == log_id)
                .values(
                    matched=matched,
                    conditions=explain(rule.spec.conditions, seen, {}),
                    actions=results,
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                )
            )
            if matched:
                await s.execute(
                    update(Rule)
                    .where(Rule.id == rule.id)
                    .values(execution_count=Rule.execution_count + 1, last_fired_at=now, updated_at=Rule.updated_at)
                )
        return 1 if matched else 0
