"""The rule engine's running parts for one process, built by bot.runtime: the pipeline's rules
stage, the rule jobs, the scanner and the scheduler, sharing one clock (tests inject theirs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.crypto import SecretBox
from core.db import Database
from core.notify import StaffNotifier
from core.wakeup import Wakeup
from rules.engine import RuleBook
from rules.events import Events
from rules.hours import Clock, system_clock
from rules.jobs import JobRunner
from rules.run import Run, Services
from rules.scanner import Scanner
from rules.scheduler import Leadership, RuleScheduler
from rules.stage import RulesStage


class RuleEngine:
    def __init__(
        self,
        db: Database,
        wakeup: Wakeup,
        notifier: StaffNotifier,
        box: SecretBox,
        *,
        worker_id: str,
        clock: Clock = system_clock,
        scan_seconds: float = 15.0,
        retry_base_seconds: float = 2.0,
        webhooks_to_private: bool = False,
        phone_region: str | None = None,
    ) -> None:
        self.clock = clock
        self.services = Services(db, wakeup, notifier, box, poke=self._poke, emit=self._emit, phone_region=phone_region)
        self.book = RuleBook(db)
        self.events = Events(self.services, self.book, clock=self._now)
        self.stage = RulesStage(self.services, self.book, clock=self._now)
        self.jobs = JobRunner(
            self.services,
            worker_id,
            clock=self._now,
            backoff_base=retry_base_seconds,
            allow_private=webhooks_to_private,
        )
        self.scanner = Scanner(self.services, clock=self._now)
        self.scheduler = RuleScheduler(self.scanner, self.jobs, Leadership(db), every_seconds=scan_seconds)

    def _now(self) -> datetime:
        return self.clock()  # read each time: tests swap the clock on a running engine

    async def _emit(self, run: Run, trigger: str, previous: dict[str, Any]) -> None:
        if run.conversation is not None:
            await self.events.fire(
                trigger,
                workspace_id=run.workspace_id,
                conversation_id=run.conversation.id,
                previous=previous,
                key=f"{run.key}:{trigger}",
                depth=run.depth + 1,
            )

    def _poke(self) -> None:
        self.scheduler.poke()

    def start(self) -> None:
        self.scheduler.start()

    async def close(self) -> None:
        await self.scheduler.stop()
        await self.jobs.aclose()
