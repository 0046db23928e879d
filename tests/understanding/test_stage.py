"""The understand stage on real customer messages, through the pipeline: what lands in the context,
its history, the conversation's priority, and what the rules see."""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime import Runtime
from core.models import Conversation
from rules.models import RuleExecution
from tests.rules.conftest import Clock, add_rule
from tests.understanding.conftest import DEMO, history, salon, says, the_conversation
from understanding import context
from understanding.context import read_context
from understanding.models import ConversationReading


async def test_the_demo_message_is_understood_with_its_history(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime)
    await says(runtime, ws, assistant, DEMO)
    conv = await the_conversation(runtime, ws)
    async with runtime.db.reader() as s:
        reading = await s.get(ConversationReading, conv.id)
        values = await read_context(s, conv.id)
    assert reading is not None
    assert reading.intent in ("complaint", "cancel")
    assert reading.sentiment == "negative" and reading.sentiment_cause and "cancelled" in reading.sentiment_cause
    changes = {c.field: c for c in await history(runtime, conv.id)}
    assert changes["phone"].new_value == "+447700900123"
    assert changes["phone"].source == "ai" and changes["phone"].evidence == "07700 900123"
    assert changes["appointment_at"].new_value == "2026-11-18T15:00+00:00"  # tomorrow 3pm, London
    assert changes["status"].new_value == "new" and changes["status"].source == "rule"
    assert changes["priority"].new_value == "urgent" and changes["priority"].source == "rule"
    assert conv.priority == "urgent"
    assert values == {"phone": "+447700900123", "appointment_at": "2026-11-18T15:00+00:00", "status": "new"}


async def test_staff_corrections_stand_against_the_ai(runtime: Runtime, clock: Clock) -> None:
    ws, assistant = await salon(runtime)
    await says(runtime, ws, assistant, "please call me on 07700 900123")
    conv = await the_conversation(runtime, ws)
    async with runtime.db.session() as s:
        await context.change(
            s, workspace_id=ws, conversation_id=conv.id, proposed=[context.Proposed("phone", "07700 900456")],
            source="staff", actor="user-1", schema=await context.schema_for(s, ws),
        )  # fmt: skip
    await says(runtime, ws, assistant, "sorry, it's 07700 900789", n=2)
    await says(runtime, ws, assistant, "and my email is ana@example.com", n=3)
    sources = [
        (c.field, c.new_value, c.source) for c in await history(runtime, conv.id) if c.field in ("phone", "email")
    ]
    assert sources == [
        ("phone", "+447700900123", "ai"),
        ("phone", "+447700900456", "staff"),
        ("email", "ana@example.com", "ai"),
    ]


async def test_rules_see_the_intent_sentiment_and_context(runtime: Runtime, clock: Clock) -> None:
    callback = {"name": "callback", "type": "phone", "label": "Call back on"}  # the rule's field
    ws, assistant = await salon(runtime, fields=[callback])
    await add_rule(
        runtime,
        ws,
        {
            "name": "angry complaint with a phone",
            "trigger": {"type": "message_received"},
            "conditions": {
                "all": [
                    {"variable": "understanding.intent", "operator": "in", "value": ["complaint", "cancel"]},
                    {"variable": "understanding.sentiment", "operator": "equals", "value": "negative"},
                    {"variable": "context.phone", "operator": "is_not_empty"},
                ]
            },
            "actions": [
                {"type": "add_tags", "tags": ["call-back"]},
                {"type": "set_context", "field": "callback", "value": "{{ context.phone }}"},
            ],
        },
    )
    await says(runtime, ws, assistant, DEMO)
    conv = await the_conversation(runtime, ws)
    assert "call-back" in conv.tags
    async with runtime.db.reader() as s:
        matched = (await s.execute(select(RuleExecution.matched))).scalars().all()
        priority = (await s.execute(select(Conversation.priority))).scalar_one()
    assert matched == [True] and priority == "urgent"
    by_rule = [(c.field, c.new_value, c.source, c.actor) for c in await history(runtime, conv.id) if c.source == "rule"]
    assert ("callback", "+447700900123", "rule", "angry complaint with a phone") in by_rule


async def test_a_workspace_without_a_schema_still_gets_intent_and_sentiment(runtime: Runtime, clock: Clock) -> None:
    from tests.support import new_workspace

    new = await new_workspace(runtime.db)
    await says(runtime, new.workspace.id, new.assistant.id, "what time do you open on saturday?")
    conv = await the_conversation(runtime, new.workspace.id)
    async with runtime.db.reader() as s:
        reading = await s.get(ConversationReading, conv.id)
    assert reading is not None and reading.intent == "hours" and reading.sentiment == "neutral"
    assert await history(runtime, conv.id) == []
