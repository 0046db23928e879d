"""Scheduled triggers and the scheduler: SLA nudges, unanswered customers, the WhatsApp window,
cron, after-hours; one leader on PostgreSQL; APScheduler running in the worker."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.runtime import Runtime
from core.db import Database
from core.messages import ChannelKind, InboundMessage, Sender, utcnow
from core.models import Conversation, Workspace
from core.notify import StaffAlert
from rules.hours import WEEKDAYS
from rules.models import RuleExecution
from rules.scheduler import Leadership
from tests.rules.conftest import Clock, add_rule, customer_says, replies, salon


def scheduled(name: str, when: str, actions: list[dict[str, Any]], **trigger: Any) -> dict[str, Any]:
    return {"name": name, "trigger": {"type": "scheduled", "when": when, **trigger}, "actions": actions}


@pytest.fixture(autouse=True)
def _start_now(clock: Clock) -> None:
    # Rows the core writes (drafts, replies) carry the real time; the test clock starts there and
    # only moves forward, so "waited 15 minutes" means the same to both.
    clock.now = utcnow()


async def set_hours(runtime: Runtime, workspace_id: str, hours: dict[str, Any]) -> None:
    async with runtime.db.session() as s:
        ws = await s.get(Workspace, workspace_id)
        assert ws is not None
        ws.business_hours = hours


async def test_sla_rule_tells_staff_once_when_a_draft_waits_too_long(
    runtime: Runtime, clock: Clock, alerts: list[StaffAlert]
) -> None:
    ws, assistant = await salon(runtime)
    await add_rule(
        runtime,
        ws,
        scheduled(
            "SLA nudge",
            "draft_pending",
            [{"type": "notify_staff", "message": "{{ contact.name }} has waited 15 minutes for an answer"}],
            minutes=15,
        ),
    )
    await customer_says(runtime, ws, assistant, "Do you do highlights?")
    alerts.clear()
    clock.advance(minutes=10)
    assert await runtime.rules.scanner.scan() == 0
    clock.advance(minutes=6)
    assert await runtime.rules.scanner.scan() == 1
    assert await runtime.rules.scanner.scan() == 0  # the same overdue draft nudges once
    assert [(a.reason, a.detail) for a in alerts] == [("rule", "Ana has waited 15 minutes for an answer")]


async def test_no_customer_reply_follows_up_on_our_last_message(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime)
    await add_rule(
        runtime,
        ws,
        scheduled(
            "nudge",
            "no_customer_reply",
            [{"type": "reply", "template": "Just checking in, {{ contact.name }}!"}],
            minutes=120,
        ),
    )
    await customer_says(runtime, ws, assistant, "Do you do highlights?")  # we answered (holding reply)
    clock.advance(minutes=119)
    assert await runtime.rules.scanner.scan() == 0
    clock.advance(minutes=2)
    assert await runtime.rules.scanner.scan() == 1
    await runtime.sender().run_once()
    assert (await replies(runtime))[-1] == "Just checking in, Ana!"
    clock.advance(minutes=500)
    assert await runtime.rules.scanner.scan() == 0  # our nudge is now the last message: nudged once


async def test_whatsapp_window_closing_and_after_hours(runtime: Runtime, clock: Clock) -> None:
    ws, _assistant = await salon(runtime, tz="UTC")
    await set_hours(runtime, ws, {d: [["00:00", "24:00"]] for d in WEEKDAYS})  # open round the clock
    await add_rule(
        runtime,
        ws,
        scheduled("window", "whatsapp_window_closing", [{"type": "add_tags", "tags": ["window-closing"]}], minutes=60),
    )
    await add_rule(
        runtime, ws, scheduled("after hours", "outside_business_hours", [{"type": "add_tags", "tags": ["waiting"]}])
    )
    await runtime.inbox.accept(
        InboundMessage(
            workspace_id=ws,
            channel=ChannelKind.whatsapp,
            account="+34600000000",
            external_id="wa-1",
            thread="+34611111111",
            sender=Sender(id="+34611111111"),
            text="hola",
            received_at=clock.now,
        )
    )
    await runtime.worker().drain()  # handed to staff: the customer is waiting
    clock.advance(minutes=1)
    assert await runtime.rules.scanner.scan() == 0  # open, and the window has 24 h to go
    await set_hours(runtime, ws, {d: [] for d in WEEKDAYS})  # the business closes
    assert await runtime.rules.scanner.scan() == 1  # after hours, and the customer is still waiting
    clock.advance(hours=22, minutes=30)  # the window closes in 90 minutes: not yet
    assert await runtime.rules.scanner.scan() == 0
    clock.advance(minutes=31)
    assert await runtime.rules.scanner.scan() == 1
    clock.advance(minutes=61)  # closed: nothing more to warn about
    assert await runtime.rules.scanner.scan() == 0
    async with runtime.db.reader() as s:
        tags = (await s.execute(select(Conversation.tags))).scalar_one()
    assert tags == ["waiting", "window-closing"]


async def test_cron_rule_fires_at_its_times_once_each(runtime: Runtime, clock: Clock, alerts: list[StaffAlert]) -> None:
    ws, _assistant = await salon(runtime, tz="Europe/Madrid")
    await add_rule(
        runtime,
        ws,
        scheduled("hourly", "cron", [{"type": "notify_staff", "message": "Hourly check"}], cron="0 * * * *"),
    )
    assert await runtime.rules.scanner.scan() == 0  # the next o'clock is still ahead
    clock.advance(minutes=61)
    assert await runtime.rules.scanner.scan() == 1
    assert await runtime.rules.scanner.scan() == 0
    clock.advance(hours=3)  # missed hours fire once, not three times
    assert await runtime.rules.scanner.scan() == 1
    async with runtime.db.reader() as s:
        occasions = (await s.execute(select(RuleExecution.occasion).order_by(RuleExecution.id))).scalars().all()
    latest = clock.now.replace(minute=0, second=0, microsecond=0)
    assert occasions[-1] == f"cron:{latest.isoformat()}"
    assert [a.detail for a in alerts] == ["Hourly check", "Hourly check"]


async def test_one_scheduler_leader_on_postgres_and_another_takes_over(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("leadership is an advisory lock on PostgreSQL")
    one, two = Database(db_url), Database(db_url)
    a, b = Leadership(one), Leadership(two)
    try:
        assert await a.acquire() is True
        assert await b.acquire() is False
        assert await a.acquire() is True  # the leader keeps leading
        assert a._conn is not None
        pid = (await a._conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        async with two.engine.connect() as admin:  # the leader's process dies: the server drops its session
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # The backend exits asynchronously; the follower takes over on one of its next ticks.
        for _ in range(100):
            if await b.acquire():
                break
            await asyncio.sleep(0.05)
        assert b.is_leader and b._conn is not None
        assert await a.acquire() is False  # the old leader notices and stays a follower
    finally:
        await a.release()
        await b.release()
        await one.dispose()
        await two.dispose()


async def test_the_worker_runs_the_scheduler(runtime: Runtime, clock: Clock) -> None:
    runtime.settings.rules_scan_seconds = 0.2
    runtime.rules.scheduler.every_seconds = 0.2
    ws, assistant = await salon(runtime)
    await add_rule(
        runtime, ws, scheduled("nudge", "no_customer_reply", [{"type": "add_tags", "tags": ["n"]}], minutes=5)
    )
    await customer_says(runtime, ws, assistant, "hi")
    clock.advance(minutes=6)
    await runtime.start(worker=True)
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        async with runtime.db.reader() as s:
            if (await s.execute(select(Conversation.tags))).scalar_one() == ["n"]:
                break
        assert asyncio.get_running_loop().time() < deadline, "the scheduler never scanned"
        await asyncio.sleep(0.05)


async def test_the_execution_log_forgets_after_30_days(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime)
    await add_rule(runtime, ws, {"name": "tag", "trigger": {"type": "message_received"}, "actions": [{"type": "stop"}]})
    await customer_says(runtime, ws, assistant, "hi")
    clock.advance(days=29)
    assert await runtime.rules.scanner.prune() == 0
    clock.advance(days=2)
    assert await runtime.rules.scanner.prune() == 1
