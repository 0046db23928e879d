"""LLMClient with the real openai SDK against the fake OpenAI-compatible server on loopback."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

import pytest
from pydantic import BaseModel

from core.llm import LLMClient, LLMEndpoint, LLMError, LLMResult, StructuredResult
from core.metrics import REGISTRY
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.fakes.server import free_port, serve

USER = [{"role": "system", "content": "You are a front desk."}, {"role": "user", "content": "Are you open on Sunday?"}]


class Intent(BaseModel):
    intent: str
    confidence: float


Serve = Callable[[FakeOpenAI], str]


@pytest.fixture
def start() -> Iterator[Serve]:
    """start(fake) serves a FakeOpenAI and returns the base URL for the openai client (…/v1)."""
    with contextlib.ExitStack() as stack:
        yield lambda fake: stack.enter_context(serve(fake.app)) + "/v1"


def errors(endpoint: str, reason: str) -> float:
    value = REGISTRY.get_sample_value("frontdesk_llm_errors_total", {"endpoint": endpoint, "reason": reason})
    return value or 0.0


def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"


async def test_plain_completion(start: Serve) -> None:
    fake = FakeOpenAI()
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="small-model"))
    result = await client.complete(USER, temperature=0.2, max_tokens=50)
    await client.aclose()
    assert result == LLMResult(text="echo: Are you open on Sunday?", model="small-model", endpoint="primary")
    body = fake.requests[0].body
    assert body["messages"] == USER
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 50
    assert "response_format" not in body


async def test_api_key_sent_as_bearer_and_hidden_from_repr(start: Serve) -> None:
    fake = FakeOpenAI()
    url = start(fake)
    endpoint = LLMEndpoint(base_url=url, model="m", api_key="sk-test-123")
    assert "sk-test-123" not in repr(endpoint)
    client = LLMClient(endpoint)
    await client.complete(USER)
    await client.complete(USER)  # the SDK client is reused
    await client.aclose()
    keyless = LLMClient(LLMEndpoint(base_url=url, model="m"))
    await keyless.complete(USER)
    await keyless.aclose()
    assert [r.authorization for r in fake.requests] == ["Bearer sk-test-123"] * 2 + ["Bearer not-needed"]


async def test_structured_json_schema(start: Serve) -> None:
    fake = FakeOpenAI().reply_json({"intent": "opening_hours", "confidence": 0.9})
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m", structured_output="json_schema"))
    result = await client.structured(USER, Intent)
    await client.aclose()
    assert result == StructuredResult(
        value=Intent(intent="opening_hours", confidence=0.9), model="m", endpoint="primary"
    )
    response_format = fake.requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Intent"
    assert response_format["json_schema"]["schema"] == Intent.model_json_schema()


async def test_structured_tolerates_fenced_json(start: Serve) -> None:
    fake = FakeOpenAI().reply('Sure:\n```json\n{"intent": "booking", "confidence": 1}\n```')
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m"))
    result = await client.structured(USER, Intent)
    await client.aclose()
    assert result.value == Intent(intent="booking", confidence=1.0)
    assert len(fake.requests) == 1


async def test_llama_cpp_json_object_mode(start: Serve) -> None:
    fake = FakeOpenAI(llama_cpp=True).reply_json({"intent": "faq", "confidence": 0.5})
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m", structured_output="json_object"))
    result = await client.structured(USER, Intent)
    await client.aclose()
    assert result.value == Intent(intent="faq", confidence=0.5)
    assert [r.body["response_format"] for r in fake.requests] == [
        {"type": "json_object", "schema": Intent.model_json_schema()}
    ]


async def test_auto_mode_switches_to_json_object_and_remembers(start: Serve) -> None:
    fake = FakeOpenAI(llama_cpp=True)
    fake.reply_json({"intent": "faq", "confidence": 0.5}).reply_json({"intent": "other", "confidence": 0.1})
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m"))  # structured_output="auto"
    before = errors("primary", "server_error")
    first = await client.structured(USER, Intent)
    assert first.value.intent == "faq"
    assert [r.body["response_format"]["type"] for r in fake.requests] == ["json_schema", "json_object"]
    assert fake.requests[1].body["response_format"]["schema"] == Intent.model_json_schema()
    assert errors("primary", "server_error") == before + 1
    second = await client.structured(USER, Intent)  # straight to json_object this time
    await client.aclose()
    assert second.value.intent == "other"
    assert [r.body["response_format"]["type"] for r in fake.requests[2:]] == ["json_object"]


async def test_auto_mode_keeps_json_schema_on_a_capable_server(start: Serve) -> None:
    fake = FakeOpenAI().reply_json({"intent": "a", "confidence": 1})
    fake.reply_json({"intent": "b", "confidence": 1})
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m"))
    await client.structured(USER, Intent)
    await client.structured(USER, Intent)
    await client.aclose()
    assert [r.body["response_format"]["type"] for r in fake.requests] == ["json_schema", "json_schema"]


async def test_slow_primary_times_out_then_fallback_answers(start: Serve) -> None:
    primary = FakeOpenAI(default=Step(content="too late", delay=1.0))
    fallback = FakeOpenAI().reply("from the fallback")
    client = LLMClient(
        LLMEndpoint(base_url=start(primary), model="big"),
        LLMEndpoint(base_url=start(fallback), model="small"),
        timeout=0.3,
        max_retries=1,
    )
    before = errors("primary", "timeout")
    started = time.monotonic()
    result = await client.complete(USER)
    elapsed = time.monotonic() - started
    await client.aclose()
    assert result == LLMResult(text="from the fallback", model="small", endpoint="fallback")
    assert len(primary.requests) == 2  # first try + one retry
    assert errors("primary", "timeout") == before + 2
    assert elapsed < 2.0


async def test_500_then_success_within_retries(start: Serve) -> None:
    fake = FakeOpenAI().fail(500).reply("recovered")
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m"))
    before = errors("primary", "server_error")
    result = await client.complete(USER)
    await client.aclose()
    assert (result.text, result.endpoint) == ("recovered", "primary")
    assert len(fake.requests) == 2
    assert errors("primary", "server_error") == before + 1


async def test_429_retry_after_is_honoured(start: Serve) -> None:
    fake = FakeOpenAI().rate_limit(retry_after=1).reply("after the wait")
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m"))
    before = errors("primary", "rate_limit")
    started = time.monotonic()
    result = await client.complete(USER)
    elapsed = time.monotonic() - started
    await client.aclose()
    assert result.text == "after the wait"
    assert 0.95 <= elapsed < 3.0  # our own backoff would have waited ~0.2 s
    assert errors("primary", "rate_limit") == before + 1


async def test_client_error_is_not_retried(start: Serve) -> None:
    fake = FakeOpenAI().fail(401)
    fallback = FakeOpenAI().reply("fallback")
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m"), LLMEndpoint(base_url=start(fallback), model="f"))
    before = errors("primary", "bad_request")
    result = await client.complete(USER)
    await client.aclose()
    assert result.endpoint == "fallback"
    assert len(fake.requests) == 1
    assert errors("primary", "bad_request") == before + 1


async def test_malformed_json_is_retried_then_falls_back(start: Serve) -> None:
    primary = FakeOpenAI().malformed().reply_json({"intent": "missing confidence"}).malformed()
    fallback = FakeOpenAI().reply_json({"intent": "faq", "confidence": 0.7})
    client = LLMClient(
        LLMEndpoint(base_url=start(primary), model="p"), LLMEndpoint(base_url=start(fallback), model="f"), max_retries=2
    )
    before = errors("primary", "malformed")
    result = await client.structured(USER, Intent)
    await client.aclose()
    assert result == StructuredResult(value=Intent(intent="faq", confidence=0.7), model="f", endpoint="fallback")
    assert len(primary.requests) == 3 and primary.pending == 0
    assert errors("primary", "malformed") == before + 3


async def test_malformed_then_valid_within_retries(start: Serve) -> None:
    fake = FakeOpenAI().malformed().reply_json({"intent": "faq", "confidence": 0.2})
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m"))
    result = await client.structured(USER, Intent)
    await client.aclose()
    assert (result.value.intent, result.endpoint) == ("faq", "primary")


async def test_empty_completion_counts_as_malformed(start: Serve) -> None:
    fake = FakeOpenAI().reply("").reply("   ").reply("finally")
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m"))
    before = errors("primary", "malformed")
    result = await client.complete(USER)
    await client.aclose()
    assert result.text == "finally"
    assert errors("primary", "malformed") == before + 2


async def test_everything_down_raises_quickly_without_leaking_the_key(caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-very-secret-key"
    client = LLMClient(
        LLMEndpoint(base_url=closed_url(), model="p", api_key=secret),
        LLMEndpoint(base_url=closed_url(), model="f", api_key=secret),
        timeout=0.5,
    )
    before = (errors("primary", "connection"), errors("fallback", "connection"))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core.llm"), pytest.raises(LLMError) as excinfo:
        await client.complete(USER)
    elapsed = time.monotonic() - started
    await client.aclose()
    assert elapsed < 4.0
    message = str(excinfo.value)
    assert "primary" in message and "fallback" in message and "connection" in message
    assert secret not in message
    after = (errors("primary", "connection"), errors("fallback", "connection"))
    assert after == (before[0] + 3, before[1] + 3)
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.llm"]
    assert len(warnings) == 6
    assert "attempt 1/3" in warnings[0]
    for text in warnings:
        assert secret not in text
        assert "Sunday" not in text  # never the prompt


async def test_structured_everything_down_raises(start: Serve) -> None:
    fake = FakeOpenAI(default=Step(content="not json at all"))
    client = LLMClient(LLMEndpoint(base_url=start(fake), model="m"), max_retries=0)
    with pytest.raises(LLMError, match="malformed"):
        await client.structured(USER, Intent)
    await client.aclose()
    assert len(fake.requests) == 1
