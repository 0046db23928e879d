"""Webhooks and follow-ups: real HTTP on loopback, the durable queue, restarts and two workers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import select

from bot.runtime import Runtime
from bot.settings import Settings
from core.crypto import SecretBox
from core.db import Database
from core.models import Conversation
from core.notify import StaffAlert
from rules.models import RuleExecution, RuleJob
from tests.fakes.server import free_port, serve
from tests.rules.conftest import Clock, add_rule, customer_says, replies, salon


class Receiver:
    """An order system that receives the rule's webhook (and can be made to fail)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            self.calls.append((dict(request.headers), await request.body()))
            return Response(status_code=self.status)


@pytest.fixture
def receiver(runtime: Runtime) -> Iterator[tuple[Receiver, str]]:
    runtime.rules.jobs.allow_private = True  # the receiver is on loopback (refused by default)
    r = Receiver()
    with serve(r.app) as url:
        yield r, f"{url}/hook"


def webhook_rule(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "tell the booking system",
        "trigger": {"type": "message_received"},
        "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["book"]},
        "actions": [{"type": "webhook", "url": url, "secret": "s3cret-signing-key", "max_attempts": 3}],
        "on_failure": [
            {"type": "add_tags", "tags": ["booking-not-sent"]},
            {"type": "notify_staff", "message": "Booking for {{ contact.name }} did not reach the system"},
        ],
        **extra,
    }


async def test_webhook_is_signed_and_sent_once(runtime: Runtime, clock: Clock, receiver: tuple[Receiver, str]) -> None:
    target, url = receiver
    ws, assistant = await salon(runtime)
    await add_rule(runtime, ws, webhook_rule(url))
    await customer_says(runtime, ws, assistant, "I'd like to book a cut")
    assert await runtime.rules.jobs.run_due() == 1
    assert await runtime.rules.jobs.run_due() == 0
    [(headers, body)] = target.calls
    expected = "sha256=" + hmac.new(b"s3cret-signing-key", body, hashlib.sha256).hexdigest()
    assert headers["x-frontdesk-signature"] == expected
    payload = json.loads(body)
    assert payload["rule"] == "tell the booking system" and payload["message"]["text"] == "I'd like to book a cut"
    assert payload["contact"]["name"] == "Ana"


async def test_webhook_target_down_is_retried_then_on_failure_runs_and_the_conversation_goes_on(
    runtime: Runtime, clock: Clock, alerts: list[StaffAlert]
) -> None:
    runtime.rules.jobs.allow_private = True
    down = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    ws, assistant = await salon(runtime, policy="auto")
    await add_rule(runtime, ws, webhook_rule(down))
    await customer_says(runtime, ws, assistant, "book me in please")
    attempts = []
    for _ in range(5):
        await runtime.rules.jobs.run_due()
        async with runtime.db.reader() as s:
            job = (await s.execute(select(RuleJob))).scalar_one()
        attempts.append((job.attempts, job.state))
        clock.advance(minutes=15)  # past any backoff
    assert attempts[:3] == [(1, "pending"), (2, "pending"), (3, "failed")]
    assert attempts[3:] == [(3, "failed"), (3, "failed")]  # failed for good: not retried again
    assert "ConnectError" in (job.last_error or "")
    async with runtime.db.reader() as s:
        conversation = (await s.execute(select(Conversation))).scalar_one()
        failure = (await s.execute(select(RuleExecution).where(RuleExecution.trigger == "webhook"))).scalar_one()
    assert "booking-not-sent" in conversation.tags
    assert next(a for a in alerts if a.reason == "rule").detail == "Booking for Ana did not reach the system"
    assert [(a["action"], a["ok"]) for a in failure.actions] == [
        ("webhook", False),
        ("add_tags", True),
        ("notify_staff", True),
    ]
    # Not stuck: the next message is handled as usual (no LLM: the honest holding reply).
    await customer_says(runtime, ws, assistant, "hello?", n=2)
    assert len(await replies(runtime)) == 1


FOLLOW_UP = {
    "name": "check back",
    "trigger": {"type": "message_received"},
    "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["think about it"]},
    "actions": [
        {
            "type": "follow_up",
            "after_minutes": 60,
            "actions": [{"type": "reply", "template": "Hi {{ contact.name }}, still thinking about that booking?"}],
        }
    ],
}


async def test_follow_up_fires_after_the_delay_and_survives_a_restart(
    runtime: Runtime, clock: Clock, settings: Settings
) -> None:
    ws, assistant = await salon(runtime)
    await add_rule(runtime, ws, FOLLOW_UP)
    await customer_says(runtime, ws, assistant, "I'll think about it")
    clock.advance(minutes=30)
    assert await runtime.rules.jobs.run_due() == 0  # not yet due

    restarted = Runtime.build(settings)  # a new worker process: the follow-up is a row, not a timer
    try:
        restarted.rules.clock = clock
        clock.advance(minutes=31)
        assert await restarted.rules.jobs.run_due() == 1
        assert await restarted.rules.jobs.run_due() == 0
        await restarted.sender().run_once()
    finally:
        await restarted.close()
    assert (await replies(runtime))[-1] == "Hi Ana, still thinking about that booking?"
    assert (await replies(runtime)).count("Hi Ana, still thinking about that booking?") == 1


async def test_follow_up_fires_once_with_two_workers(
    runtime: Runtime, clock: Clock, settings: Settings, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers share one database on PostgreSQL")
    ws, assistant = await salon(runtime)
    await add_rule(runtime, ws, FOLLOW_UP)
    for n in range(5):  # five conversations, five follow-ups
        await customer_says(runtime, ws, assistant, "let me think about it", n=n, thread=f"chat-{n}")
    clock.advance(minutes=61)
    other = Runtime(
        settings=settings, db=Database(settings.db_url), box=SecretBox(settings.key), worker_id="w2", clock=clock
    )
    try:
        ran = await asyncio.gather(runtime.rules.jobs.run_due(limit=1), other.rules.jobs.run_due(limit=1))
        assert sum(ran) == 5
        await other.sender().run_once()
    finally:
        await other.close()
    texts = await replies(runtime)
    assert texts.count("Hi Ana, still thinking about that booking?") == 5


async def test_a_follow_up_naming_a_rule_checks_its_conditions_when_due(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime)
    await add_rule(
        runtime,
        ws,
        {
            "name": "second nudge",
            "trigger": {"type": "follow_up"},
            "conditions": {"variable": "time.minutes_since_customer_message", "operator": "greater_than", "value": 50},
            "actions": [{"type": "reply", "template": "Shall we keep your slot, {{ contact.name }}?"}],
        },
    )
    await add_rule(
        runtime,
        ws,
        {
            "name": "hold a slot",
            "trigger": {"type": "message_received"},
            "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["slot"]},
            "actions": [{"type": "follow_up", "after_minutes": 60, "rule": "second nudge"}],
        },
    )
    await customer_says(runtime, ws, assistant, "hold a slot for me", thread="quiet")
    await customer_says(runtime, ws, assistant, "hold a slot for me", thread="chatty")
    clock.advance(minutes=30)
    await customer_says(runtime, ws, assistant, "actually, one more thing", n=2, thread="chatty")
    clock.advance(minutes=31)
    assert await runtime.rules.jobs.run_due() == 2
    await runtime.sender().run_once()
    nudges = [t for t in await replies(runtime) if t.startswith("Shall we keep")]
    assert nudges == ["Shall we keep your slot, Ana?"]  # the chatty customer wrote 31 minutes ago: no nudge


async def test_a_webhook_to_a_private_address_is_refused_without_retries(
    runtime: Runtime, clock: Clock, receiver: tuple[Receiver, str]
) -> None:
    target, url = receiver
    runtime.rules.jobs.allow_private = False  # production: no reaching this network's own services
    ws, assistant = await salon(runtime)
    await add_rule(runtime, ws, webhook_rule(url))
    await customer_says(runtime, ws, assistant, "book me in")
    await runtime.rules.jobs.run_due()
    async with runtime.db.reader() as s:
        job = (await s.execute(select(RuleJob))).scalar_one()
        conversation = (await s.execute(select(Conversation))).scalar_one()
    assert target.calls == []
    assert job.state == "failed" and "private address (127.0.0.1)" in (job.last_error or "")
    assert "booking-not-sent" in conversation.tags  # its on_failure ran
