"""With an LLM: its reading is used, checked against the workspace's intents and fields; a malformed
answer is retried once, then the offline readers answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime import Runtime
from bot.settings import Settings
from tests.conftest import make_settings
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve
from tests.rules.conftest import Clock
from tests.understanding.conftest import DEMO, history, salon, says, the_conversation
from understanding.context import read_context
from understanding.models import ConversationReading

READING = {
    "intent": "cancel",
    "intent_confidence": 0.9,
    "sentiment": "negative",
    "sentiment_score": -0.8,
    "sentiment_cause": "the salon cancelled their booking",
    "fields": {"phone": "07700 900123", "appointment_at": "2026-11-18T15:00", "service": "massage", "nope": "x"},
}
SUMMARY = {
    "summary": "Ana's booking for tomorrow at 3pm was cancelled; she is furious.",
    "key_points": ["booking tomorrow 15:00", "phone 07700 900123"],
    "action_items": ["call Ana back"],
}


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, understanding_llm=True, understanding_summary_every=1)


@pytest.fixture
def llm() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI()
    with serve(fake.app) as url:
        yield fake, f"{url}/v1"


async def reading_of(runtime: Runtime, ws: str) -> ConversationReading:
    conv = await the_conversation(runtime, ws)
    async with runtime.db.reader() as s:
        found = await s.get(ConversationReading, conv.id)
    assert found is not None
    return found


async def test_the_llm_reads_the_message_with_a_json_schema(
    runtime: Runtime, clock: Clock, llm: tuple[FakeOpenAI, str]
) -> None:
    fake, url = llm
    fake.reply_json(READING).reply_json(SUMMARY)
    ws, assistant = await salon(runtime, model_settings={"base_url": url, "model": "m"})
    await says(runtime, ws, assistant, DEMO)
    reading = await reading_of(runtime, ws)
    assert (reading.intent, reading.sentiment) == ("cancel", "negative")
    assert reading.sentiment_cause == "the salon cancelled their booking"
    assert reading.summary is not None and reading.summary["action_items"] == ["call Ana back"]
    first = fake.requests[0].body
    assert first["response_format"]["type"] == "json_schema"
    assert "complaint" in first["messages"][0]["content"] and "appointment_at" in first["messages"][0]["content"]
    conv = await the_conversation(runtime, ws)
    async with runtime.db.reader() as s:
        values = await read_context(s, conv.id)
    assert values["phone"] == "+447700900123" and values["service"] == "massage"
    assert "nope" not in values
    assert {c.actor for c in await history(runtime, conv.id) if c.source == "ai"} == {"m"}


async def test_a_malformed_answer_is_retried_once(runtime: Runtime, clock: Clock, llm: tuple[FakeOpenAI, str]) -> None:
    fake, url = llm
    fake.malformed().reply_json(READING).reply_json(SUMMARY)
    ws, assistant = await salon(runtime, model_settings={"base_url": url, "model": "m"})
    await says(runtime, ws, assistant, DEMO)
    assert (await reading_of(runtime, ws)).intent == "cancel"


async def test_malformed_twice_falls_back_to_the_offline_reading(
    runtime: Runtime, clock: Clock, llm: tuple[FakeOpenAI, str]
) -> None:
    fake, url = llm
    fake.malformed().malformed().malformed().malformed()  # the reading twice, then the summary twice
    ws, assistant = await salon(runtime, model_settings={"base_url": url, "model": "m"})
    await says(runtime, ws, assistant, DEMO)
    reading = await reading_of(runtime, ws)
    assert reading.intent == "complaint" and reading.sentiment == "negative"
    assert reading.sentiment_cause and "furious" in reading.sentiment_cause
    conv = await the_conversation(runtime, ws)
    phone = [c for c in await history(runtime, conv.id) if c.field == "phone"]
    assert [(c.new_value, c.actor) for c in phone] == [("+447700900123", "offline")]


async def test_an_intent_the_model_made_up_is_unknown(
    runtime: Runtime, clock: Clock, llm: tuple[FakeOpenAI, str]
) -> None:
    fake, url = llm
    fake.reply_json({**READING, "intent": "refund_request"}).reply_json(SUMMARY)
    ws, assistant = await salon(runtime, model_settings={"base_url": url, "model": "m"})
    await says(runtime, ws, assistant, DEMO)
    assert (await reading_of(runtime, ws)).intent == "unknown"
