"""One matched rule's run and what its actions reach: the runtime's parts (Services), the
situation and the turn (Run), and how an action fails (ActionFailed) or causes other rules to run."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.crypto import SecretBox
from core.db import Database
from core.models import Conversation
from core.notify import StaffNotifier
from core.pipeline.turn import Turn
from core.wakeup import Wakeup
from rules.facts import Situation, variables

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The parts of the runtime actions reach; built once per process."""

    db: Database
    wakeup: Wakeup
    notifier: StaffNotifier
    box: SecretBox
    # Told when a rule job is queued, so a webhook goes out now rather than at the next scan.
    poke: Callable[[], None] = lambda: None
    # Runs the rules of an event an action caused (status or context changed): rules.events.
    emit: Callable[[Run, str, dict[str, Any]], Awaitable[None]] | None = None
    # The country phone numbers a rule writes into the context are read in, when they lack a +code.
    phone_region: str | None = None


@dataclass
class Run:
    """One matched rule's actions, in one situation."""

    rule_id: str
    rule_name: str
    trigger: str
    situation: Situation
    key: str  # unique per evaluation: jobs and replies it creates are keyed by it
    turn: Turn | None = None
    dry_run: bool = False
    stopped: bool = False
    depth: int = 0  # how many rules caused this one (a status change firing status_changed rules)
    results: list[dict[str, Any]] = field(default_factory=list)
    _variables: dict[str, Any] | None = None

    @property
    def workspace_id(self) -> str:
        return self.situation.workspace.id

    @property
    def conversation(self) -> Conversation | None:
        return self.situation.conversation

    @property
    def now(self) -> datetime:
        return self.situation.now

    def variables(self) -> dict[str, Any]:
        if self._variables is None:
            self._variables = variables(self.situation)
        return self._variables


class ActionFailed(RuntimeError):
    pass


Handler = Callable[[Services, Run, Any, str], Awaitable[str]]


async def emit(svc: Services, run: Run, trigger: str, previous: dict[str, Any]) -> None:
    """The rules of an event this action caused; their failure is theirs, not this action's."""
    if svc.emit is None or run.dry_run or run.conversation is None:
        return
    try:
        await svc.emit(run, trigger, previous)
    except Exception:
        log.exception("rules for %s failed", trigger, extra={"rule": run.rule_name})


def need_conversation(run: Run) -> Conversation:
    if run.conversation is None:
        raise ActionFailed("this rule has no conversation to act on")
    return run.conversation
