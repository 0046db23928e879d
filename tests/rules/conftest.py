"""Helpers for the rule engine's tests: a clock the test moves, saving rules, customer messages."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from core.messages import ChannelKind, InboundMessage, Sender
from core.models import InboxItem, Message, Workspace
from core.notify import StaffAlert
from rules import service
from rules.models import Rule
from tests.support import new_workspace

# Tuesday to Saturday, 9:00-18:00: Bella's Salon's hours.
SALON_HOURS = {d: [["09:00", "18:00"]] for d in ("tue", "wed", "thu", "fri", "sat")}


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock(runtime: Runtime) -> Clock:
    c = Clock(datetime(2026, 11, 17, 10, 0, tzinfo=UTC))  # a Tuesday
    runtime.rules.clock = c
    return c


@pytest.fixture
def alerts(runtime: Runtime) -> list[StaffAlert]:
    seen: list[StaffAlert] = []

    async def hook(alert: StaffAlert) -> None:
        seen.append(alert)

    runtime.notifier.register(hook)
    return seen


async def salon(runtime: Runtime, *, tz: str = "Europe/Madrid", policy: str = "approve_all") -> tuple[str, str]:
    """A workspace with business hours; returns (workspace id, assistant id)."""
    new = await new_workspace(runtime.db, approval_policy=policy)
    async with runtime.db.session() as s:
        ws = await s.get(Workspace, new.workspace.id)
        assert ws is not None
        ws.timezone, ws.business_hours = tz, SALON_HOURS
    return new.workspace.id, new.assistant.id


async def add_rule(runtime: Runtime, workspace_id: str, data: dict[str, Any]) -> Rule:
    async with runtime.db.session() as s:
        rule = await service.save(s, workspace_id=workspace_id, data=data, box=runtime.box)
    runtime.rules.book.forget(workspace_id)  # as the API does after a save
    return rule


async def customer_says(
    runtime: Runtime, workspace_id: str, account: str, text: str, *, n: int = 1, thread: str = "chat-1"
) -> int:
    result = await runtime.inbox.accept(
        InboundMessage(
            workspace_id=workspace_id,
            channel=ChannelKind.web,
            account=account,
            external_id=f"m{n}-{thread}",
            thread=thread,
            sender=Sender(id=thread, display_name="Ana"),
            text=text,
            received_at=runtime.rules.clock(),
        )
    )
    await runtime.worker().drain()
    await turn_finished(runtime, result.inbox_id)  # the app's own worker (with `client`) may hold it
    await runtime.sender().run_once()
    return result.inbox_id


async def turn_finished(runtime: Runtime, inbox_id: int) -> None:
    for _ in range(400):
        async with runtime.db.reader() as s:
            if (await s.execute(select(InboxItem.state).where(InboxItem.id == inbox_id))).scalar_one() in (
                "done",
                "failed",
            ):
                return
        await asyncio.sleep(0.025)
    raise AssertionError(f"turn {inbox_id} never finished")


async def replies(runtime: Runtime) -> list[str]:
    async with runtime.db.reader() as s:
        rows = await s.execute(select(Message.text).where(Message.direction == "out").order_by(Message.created_at))
        return list(rows.scalars())
