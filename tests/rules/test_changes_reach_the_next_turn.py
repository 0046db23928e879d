"""A turn's configuration comes from the process's cache (core/cache.py), yet every change an owner
makes through a service, in this process or in another one on the same database, reaches the next
customer message."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from admin.assistants import service as assistants
from bot.runtime import Runtime
from bot.settings import Settings
from core.assistants import DEFAULT_HOLDING_REPLY
from core.db import Database
from core.models import Assistant, Conversation, Workspace
from rules import business_hours
from rules import service as rules
from rules.hours import BusinessHours
from tests.rules.conftest import Clock, customer_says, replies, salon
from understanding import context
from understanding.models import ConversationReading
from understanding.schema import SchemaSpec
from understanding.service import IntentDraft, replace_intents

CLOSED_REPLY = {
    "name": "closed",
    "trigger": {"type": "message_received"},
    "conditions": {"variable": "time.within_business_hours", "operator": "is_false"},
    "actions": [{"type": "reply", "template": "We're closed now."}, {"type": "send_automatically"}],
}


@pytest.fixture(params=["this process", "another process"])
async def owner_db(request: pytest.FixtureRequest, runtime: Runtime, settings: Settings) -> AsyncIterator[Database]:
    """Where the owner's changes are made: the worker's own database object, or another process's
    (its own engine, connections and caches)."""
    if request.param == "this process":
        yield runtime.db
        return
    other = Runtime.build(settings)
    try:
        yield other.db
    finally:
        await other.close()


async def last_reply(runtime: Runtime) -> str:
    return (await replies(runtime))[-1]


async def test_assistant_hours_and_rule_changes_reach_the_next_turn(
    runtime: Runtime, owner_db: Database, clock: Clock
) -> None:
    ws, assistant_id = await salon(runtime)  # Tuesday 10:00 in Madrid: open
    async with owner_db.session() as s:
        await rules.save(s, workspace_id=ws, data=CLOSED_REPLY, box=runtime.box)
    await customer_says(runtime, ws, assistant_id, "hello", thread="t1")
    assert await last_reply(runtime) == DEFAULT_HOLDING_REPLY  # open: the rule stays quiet

    async with owner_db.session() as s:
        assistant = await s.get(Assistant, assistant_id)
        assert assistant is not None
        await assistants.update(s, runtime.box, assistant=assistant, changes={"holding_reply": "Back soon!"})
    await customer_says(runtime, ws, assistant_id, "hello", thread="t2")
    assert await last_reply(runtime) == "Back soon!"

    async with owner_db.session() as s:
        workspace = await s.get(Workspace, ws)
        assert workspace is not None
        mondays = BusinessHours.model_validate({"mon": [["09:00", "18:00"]]})
        await business_hours.save(s, workspace, business_hours=mondays, set_hours=True)
    await customer_says(runtime, ws, assistant_id, "hello", thread="t3")
    assert await last_reply(runtime) == "We're closed now."

    async with owner_db.session() as s:
        rule = (await rules.listing(s, workspace_id=ws))[0]
        await rules.set_active(s, workspace_id=ws, rule=rule, active=False, box=runtime.box)
    await customer_says(runtime, ws, assistant_id, "hello", thread="t4")
    assert await last_reply(runtime) == "Back soon!"


async def test_schema_and_intent_changes_reach_the_next_turn(
    runtime: Runtime, owner_db: Database, clock: Clock
) -> None:
    ws, assistant_id = await salon(runtime)
    await customer_says(runtime, ws, assistant_id, "write to ana@example.com about the mallard parade", thread="t1")
    assert await _context(runtime, "t1") == {}
    assert await _intent(runtime, "t1") != "ducks"

    async with owner_db.session() as s:
        await context.save_schema(
            s, workspace_id=ws, spec=SchemaSpec.model_validate({"fields": [{"name": "email", "type": "email"}]})
        )
        await replace_intents(
            s,
            ws,
            [
                IntentDraft("ducks", "", ["the mallard parade", "ducks on the pond", "a duck parade"]),
                IntentDraft("geese", "", ["geese honking loudly", "a goose in the garden", "the geese flew south"]),
            ],
        )
    await customer_says(runtime, ws, assistant_id, "write to ana@example.com about the mallard parade", thread="t2")
    assert await _context(runtime, "t2") == {"email": "ana@example.com"}
    assert await _intent(runtime, "t2") == "ducks"

    async with owner_db.session() as s:
        await replace_intents(s, ws, [])  # back to the shipped intents: a bulk delete, no row to flush
    await customer_says(runtime, ws, assistant_id, "write to ana@example.com about the mallard parade", thread="t3")
    assert await _intent(runtime, "t3") not in ("ducks", "geese")


async def _conversation(runtime: Runtime, thread: str) -> str:
    async with runtime.db.reader() as s:
        return (await s.execute(select(Conversation.id).where(Conversation.thread == thread))).scalar_one()


async def _context(runtime: Runtime, thread: str) -> dict[str, object]:
    conversation_id = await _conversation(runtime, thread)
    async with runtime.db.reader() as s:
        return await context.read_context(s, conversation_id)


async def _intent(runtime: Runtime, thread: str) -> str | None:
    conversation_id = await _conversation(runtime, thread)
    async with runtime.db.reader() as s:
        reading = await s.get(ConversationReading, conversation_id)
    return reading.intent if reading else None
