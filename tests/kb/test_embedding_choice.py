"""A workspace that chooses an OpenAI-compatible embeddings endpoint instead of the local model: the
choice is checked before it is saved, every passage is embedded again with it, questions are embedded
by it, its key never shows, and when it fails the customer still gets an answer or an honest hand-off.

The real openai SDK talks to a fake `/v1/embeddings` on loopback (tests/fakes/openai_server.py)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from kb.demo import seed_demo_faq
from kb.embeddings import LOCAL_MODEL
from kb.models import KnowledgeChunk, KnowledgeCollection
from kb.remote import EmbeddingUnavailable
from tests.admin.conftest import API, bearer, register
from tests.admin.test_resources import add_staff
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve
from tests.support import new_workspace

KB = f"{API}/knowledge-base"
KEY = "sk-embed-test-0123456789"


@pytest.fixture
def fake() -> Iterator[tuple[FakeOpenAI, str]]:
    server = FakeOpenAI()
    server.embedding_key = KEY
    with serve(server.app) as url:
        yield server, f"{url}/v1"


def remote(url: str, **extra: Any) -> dict[str, Any]:
    return {"provider": "openai", "base_url": url, "model": "fake-embed", "api_key": KEY, **extra}


async def choose(client: httpx.AsyncClient, token: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.put(f"{KB}/embedding", json=body, headers=bearer(token))
    assert r.status_code == 200, r.text
    chosen: dict[str, Any] = r.json()
    for job in chosen["jobs"]:  # the re-embedding it started
        for _ in range(200):
            state = (await client.get(f"{KB}/jobs/{job['id']}", headers=bearer(token))).json()
            if state["state"] in ("done", "failed"):
                break
            await asyncio.sleep(0.05)
        assert state["state"] == "done", state
    return chosen


async def chat(client: httpx.AsyncClient, agent: str, text: str) -> dict[str, Any]:
    r = await client.post("/api/v1/chat", json={"agent": agent, "message": text, "session_id": str(uuid.uuid4())})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def models(runtime: Runtime, workspace_id: str) -> set[tuple[str, int]]:
    async with runtime.db.reader() as s:
        rows = await s.execute(
            select(KnowledgeChunk.embed_model, KnowledgeChunk.embed_dim).where(
                KnowledgeChunk.workspace_id == workspace_id
            )
        )
        return set(rows.tuples().all())


async def test_the_faq_is_answered_through_the_chosen_endpoint(
    client: httpx.AsyncClient, runtime: Runtime, fake: tuple[FakeOpenAI, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server, url = fake
    new = await new_workspace(runtime.db, approval_policy="autopilot")
    await seed_demo_faq(runtime.db, workspace_id=new.workspace.id)
    untouched = await new_workspace(runtime.db, name="Other Shop")
    await seed_demo_faq(runtime.db, workspace_id=untouched.workspace.id)

    chosen = await choose(client, new.token, remote(url, answer_threshold=0.5))
    assert chosen["embed_model"] == "openai:fake-embed" and chosen["embed_dim"] == 64
    assert chosen["api_key"] == "********" and len(chosen["jobs"]) == 1
    assert await models(runtime, new.workspace.id) == {("openai:fake-embed", 64)}
    assert await models(runtime, untouched.workspace.id) == {(LOCAL_MODEL, 384)}  # its own choice stands
    async with runtime.db.reader() as s:
        recorded = await s.execute(
            select(KnowledgeCollection.embed_model).where(KnowledgeCollection.workspace_id == new.workspace.id)
        )
        assert set(recorded.scalars()) == {"openai:fake-embed"}
    shown = (await client.get(f"{KB}/embedding", headers=bearer(new.token))).json()
    assert shown["waiting_passages"] == 0 and shown["api_key"] == "********" and shown["answer_threshold"] == 0.5

    asked = len(server.embedding_requests)
    haircut = await chat(client, new.assistant.slug, "how much is a haircut?")
    assert haircut["status"] == "sent" and "$55" in str(haircut["response"]) and haircut["citations"]
    question = server.embedding_requests[asked]
    assert question.body["input"] == ["how much is a haircut?"] and question.authorization == f"Bearer {KEY}"

    found = (await client.get(f"{KB}/search", params={"q": "price of a haircut"}, headers=bearer(new.token))).json()
    assert found["threshold"] == 0.5 and "$55" in found["results"][0]["text"]
    assert KEY not in caplog.text


async def test_a_choice_that_does_not_work_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, runtime: Runtime, fake: tuple[FakeOpenAI, str]
) -> None:
    server, url = fake
    new = await new_workspace(runtime.db)
    await seed_demo_faq(runtime.db, workspace_id=new.workspace.id)

    async def refused(body: dict[str, Any]) -> str:
        r = await client.put(f"{KB}/embedding", json=body, headers=bearer(new.token))
        assert r.status_code == 422, r.text
        return str(r.json()["detail"])

    assert "refused the api key" in await refused(remote(url, api_key="sk-wrong"))
    assert "could not be reached" in await refused(remote("http://127.0.0.1:9/v1"))
    assert "needs base_url and model" in await refused({"provider": "openai", "base_url": url})
    server.honour_dimensions = False
    assert "asked for 32-dimensional vectors, the endpoint answered 64" in await refused(remote(url, dimensions=32))
    await refused(remote("file:///etc/passwd"))
    await refused({"provider": "pinecone"})
    shown = (await client.get(f"{KB}/embedding", headers=bearer(new.token))).json()
    assert shown["provider"] == "local" and shown["embed_model"] == LOCAL_MODEL
    assert await models(runtime, new.workspace.id) == {(LOCAL_MODEL, 384)}


async def test_when_the_endpoint_fails_the_customer_is_still_answered_or_handed_off(
    client: httpx.AsyncClient, runtime: Runtime, fake: tuple[FakeOpenAI, str]
) -> None:
    server, url = fake
    new = await new_workspace(runtime.db, approval_policy="autopilot")
    await seed_demo_faq(runtime.db, workspace_id=new.workspace.id)
    await choose(client, new.token, remote(url, answer_threshold=0.5))

    server.embedding_failures.extend([503] * 20)
    found = await client.get(f"{KB}/search", params={"q": "how much is a haircut?"}, headers=bearer(new.token))
    assert found.status_code == 200
    top = found.json()["results"][0]
    assert "$55" in top["text"] and top["similarity"] == 0 and top["answers"] is False  # by keyword only
    reply = await chat(client, new.assistant.slug, "how much is a haircut?")
    assert reply["status"] == "handed_off" and reply["citations"] == []  # the holding reply, nothing guessed

    # An upload while it is down fails with the reason and stores nothing.
    r = await client.post(
        f"{KB}/documents", headers=bearer(new.token), files={"file": ("parking.md", b"# Parking\n\nBehind the salon.")}
    )
    assert r.status_code == 422 and "HTTP 503" in r.json()["detail"]
    listed = (await client.get(f"{KB}/documents", headers=bearer(new.token))).json()
    assert [d["source"] for d in listed["items"]] == ["bellas-salon-faq.md"]

    server.embedding_failures.clear()
    again = await chat(client, new.assistant.slug, "how much is a haircut?")
    assert again["status"] == "sent" and "$55" in str(again["response"])


async def test_a_stored_key_is_kept_and_the_local_model_can_be_chosen_again(
    client: httpx.AsyncClient, runtime: Runtime, fake: tuple[FakeOpenAI, str]
) -> None:
    server, url = fake
    new = await new_workspace(runtime.db, approval_policy="autopilot")
    await seed_demo_faq(runtime.db, workspace_id=new.workspace.id)
    await choose(client, new.token, remote(url))
    # Sent back as shown (redacted), the key is kept: the endpoint still accepts the calls.
    kept = await choose(client, new.token, remote(url, api_key="********", dimensions=48))
    assert kept["embed_model"] == "openai:fake-embed:48d" and kept["embed_dim"] == 48
    assert await models(runtime, new.workspace.id) == {("openai:fake-embed:48d", 48)}
    assert server.embedding_requests[-1].authorization == f"Bearer {KEY}"

    local = await choose(client, new.token, {"provider": "local"})
    assert local["embed_model"] == LOCAL_MODEL and local["api_key"] is None
    assert await models(runtime, new.workspace.id) == {(LOCAL_MODEL, 384)}
    sunday = await chat(client, new.assistant.slug, "are you open on Sunday?")
    assert sunday["status"] == "sent" and "closed on Sundays and Mondays" in str(sunday["response"])


async def test_only_an_owner_chooses(client: httpx.AsyncClient, runtime: Runtime, fake: tuple[FakeOpenAI, str]) -> None:
    _server, url = fake
    owner = await register(client, workspace_name="Bella's Salon")
    staff = await add_staff(client, runtime, owner["workspace"]["id"])
    assert (await client.put(f"{KB}/embedding", json=remote(url), headers=staff)).status_code == 403
    assert (await client.get(f"{KB}/embedding", headers=staff)).json()["provider"] == "local"


async def test_a_key_this_process_cannot_read_falls_back_to_keywords(
    client: httpx.AsyncClient, runtime: Runtime, fake: tuple[FakeOpenAI, str]
) -> None:
    from core.crypto import SecretBox
    from kb.embedders import ChoiceRefused, Embedders, EmbeddingChoice
    from kb.search import KnowledgeBase
    from kb.service import ingest_file

    _server, url = fake
    new = await new_workspace(runtime.db)
    await seed_demo_faq(runtime.db, workspace_id=new.workspace.id)
    await choose(client, new.token, remote(url))
    # Another process started with a different FRONTDESK_SECRET_KEY, and one with none at all.
    for embedders in (Embedders(runtime.db, SecretBox("another-secret-key-0123456789")), Embedders(runtime.db)):
        hits = await KnowledgeBase(runtime.db, embedders=embedders).search(new.workspace.id, "how much is a haircut?")
        assert "$55" in hits[0].passage.text and hits[0].similarity == 0  # by keyword, not an error
        with pytest.raises(EmbeddingUnavailable, match="secret"):
            await ingest_file(
                runtime.db,
                workspace_id=new.workspace.id,
                name="parking.md",
                data=b"# Parking\n\nBehind.",
                embedders=embedders,
            )
    # Sent back redacted, a key stored under another secret key is not kept: refused, not an error.
    elsewhere = Embedders(runtime.db, SecretBox("another-secret-key-0123456789"))
    with pytest.raises(ChoiceRefused, match="refused the api key"):
        await elsewhere.choose(new.workspace.id, EmbeddingChoice(**remote(url, api_key="********")))
