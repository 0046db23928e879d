"""Evaluating a workspace's rules for one trigger: in priority order, each matched rule's actions,
stop-after-match, and one execution-log row per rule evaluated.

Rules are compiled when loaded and kept per workspace; a cheap fingerprint (count and latest
update) read with each evaluation tells a process that another one saved a rule.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import Snapshot
from core.db import Database
from core.pipeline.turn import Turn
from rules.actions import perform
from rules.conditions import Facts, Predicate, compile_condition, explain
from rules.facts import Situation, facts
from rules.models import Rule, RuleExecution
from rules.run import Run, Services
from rules.schema import RuleSpec


@dataclass(frozen=True)
class CompiledRule:
    id: str
    name: str
    spec: RuleSpec
    matches: Predicate

    @property
    def trigger(self) -> str:
        return self.spec.trigger.type


def compile_rule(rule_id: str, spec: RuleSpec) -> CompiledRule:
    return CompiledRule(rule_id, spec.name, spec, compile_condition(spec.conditions))


def ordered(rules: list[CompiledRule]) -> list[CompiledRule]:
    """Higher priority first; ties by name, so the order never depends on storage."""
    return sorted(rules, key=lambda r: (-r.spec.priority, r.name))


@dataclass
class _Cached:
    fingerprint: tuple[Any, ...]
    by_trigger: dict[str, list[CompiledRule]]
    checked: float = 0.0  # time.monotonic() of the last fingerprint read


class RuleBook:
    """The active rules of each workspace, compiled, by trigger.

    The fingerprint is read at most every `max_age` seconds per workspace, so a busy conversation costs
    no query per message; a rule saved through this process is seen at once (`forget`), one saved
    through another process within `max_age`.
    """

    def __init__(self, db: Database, *, max_age: float = 2.0) -> None:
        self.db = db
        self.max_age = max_age
        self._cache: dict[str, _Cached] = {}

    def forget(self, workspace_id: str) -> None:
        self._cache.pop(workspace_id, None)

    async def rules_for(self, workspace_id: str, trigger: str, config: Snapshot | None = None) -> list[CompiledRule]:
        """The active rules for `trigger`; with a turn's `config`, as of its config version (no query
        once that version's rules are loaded, and no staleness)."""
        if config is not None:
            by_trigger = await config.get("rules", lambda: self._compiled(workspace_id))
            return by_trigger.get(trigger, [])
        cached = self._cache.get(workspace_id)
        if cached is not None and time.monotonic() - cached.checked < self.max_age:
            return cached.by_trigger.get(trigger, [])
        async with self.db.reader() as s:
            fingerprint = tuple(
                (
                    await s.execute(
                        select(func.count(), func.max(Rule.updated_at)).where(Rule.workspace_id == workspace_id)
                    )
                ).one()
            )
            cached = self._cache.get(workspace_id)
            if cached is None or cached.fingerprint != fingerprint:
                cached = _Cached(fingerprint, await self._compiled(workspace_id, s))
                self._cache[workspace_id] = cached
            cached.checked = time.monotonic()
        return cached.by_trigger.get(trigger, [])

    async def _compiled(self, workspace_id: str, s: AsyncSession | None = None) -> dict[str, list[CompiledRule]]:
        if s is None:
            async with self.db.reader() as r:
                return await self._compiled(workspace_id, r)
        rows = (await s.execute(select(Rule.id, Rule.spec).where(Rule.workspace_id == workspace_id, Rule.active))).all()
        by_trigger: dict[str, list[CompiledRule]] = {}
        for rule_id, spec in rows:
            compiled = compile_rule(rule_id, RuleSpec.model_validate(spec))
            by_trigger.setdefault(compiled.trigger, []).append(compiled)
        return {k: ordered(v) for k, v in by_trigger.items()}


@dataclass
class Evaluation:
    rule: CompiledRule
    matched: bool
    conditions: dict[str, Any]
    actions: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: float = 0.0


async def evaluate(
    svc: Services,
    rules: list[CompiledRule],
    sit: Situation,
    *,
    trigger: str,
    key: str,
    turn: Turn | None = None,
    previous: Facts | None = None,
    dry_run: bool = False,
    depth: int = 0,
) -> list[Evaluation]:
    """Run `rules` (already ordered) against one situation; matched rules act (or, dry, say what
    they would do). `key` identifies this evaluation, so what its actions queue is queued once."""
    seen = facts(sit)
    before = previous or {}
    out: list[Evaluation] = []
    for rule in rules:
        started = time.perf_counter()
        matched = rule.matches(seen, before)
        evaluation = Evaluation(rule, matched, explain(rule.spec.conditions, seen, before))
        stop = False
        if matched:
            run = Run(rule.id, rule.name, trigger, sit, key=f"{key}:{rule.id}", turn=turn, dry_run=dry_run, depth=depth)
            evaluation.actions = await perform(svc, run, rule.spec.actions, rule.spec.on_failure)
            stop = run.stopped or rule.spec.stop_after_match
            if turn is not None:
                turn.rules.fired.append(rule.name)
        evaluation.duration_ms = (time.perf_counter() - started) * 1000
        out.append(evaluation)
        if stop:
            break
    return out


async def record(
    db: Database,
    evaluations: list[Evaluation],
    *,
    workspace_id: str,
    conversation_id: str | None,
    trigger: str,
    now: datetime,
    occasion: str | None = None,
) -> None:
    """The execution log, and each fired rule's count and last-fired time."""
    if not evaluations:
        return
    async with db.session() as s:
        s.add_all(
            RuleExecution(
                workspace_id=workspace_id,
                rule_id=e.rule.id,
                conversation_id=conversation_id,
                trigger=trigger,
                occasion=occasion,
                matched=e.matched,
                conditions=e.conditions,
                actions=e.actions,
                duration_ms=round(e.duration_ms, 3),
                created_at=now,
            )
            for e in evaluations
        )
        fired = [e.rule.id for e in evaluations if e.matched]
        if fired:
            # updated_at is left alone: it is the rule book's fingerprint, and firing is not an edit.
            await s.execute(
                update(Rule)
                .where(Rule.id.in_(fired))
                .values(execution_count=Rule.execution_count + 1, last_fired_at=now, updated_at=Rule.updated_at)
            )
