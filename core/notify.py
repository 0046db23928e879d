"""Telling staff: a conversation needs them (a draft to approve, a handoff, a failure).

Channels for staff (Slack, the admin) register hooks; a failing hook is logged and never stops the
pipeline or the other hooks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaffAlert:
    workspace_id: str
    conversation_id: str
    reason: str  # needs_approval | handoff | failed
    draft_id: str | None = None
    detail: str | None = None


Hook = Callable[[StaffAlert], Awaitable[None]]


class StaffNotifier:
    def __init__(self) -> None:
        self._hooks: list[Hook] = []

    def register(self, hook: Hook) -> None:
        self._hooks.append(hook)

    async def alert(self, alert: StaffAlert) -> None:
        log.info(
            "staff needed",
            extra={
                "workspace_id": alert.workspace_id,
                "reason": alert.reason,
                "conversation_id": alert.conversation_id,
                "draft_id": alert.draft_id,
            },
        )
        for hook in self._hooks:
            try:
                await hook(alert)
            except Exception:
                log.exception("staff alert hook failed", extra={"hook": getattr(hook, "__name__", "?")})
