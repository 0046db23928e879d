"""The knowledge base answering customers with no LLM: the demo FAQ from the web chat, with citations."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from bot.runtime import Runtime
from kb.demo import seed_demo_faq
from tests.support import new_workspace


async def chat(client: httpx.AsyncClient, agent: str, text: str) -> dict[str, Any]:
    r = await client.post("/api/v1/chat", json={"agent": agent, "message": text, "session_id": str(uuid.uuid4())})
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


async def test_demo_answers_its_faq_with_citations_and_hands_off_the_rest(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    new = await new_workspace(runtime.db, approval_policy="autopilot")
    await seed_demo_faq(runtime.db, workspace_id=new.workspace.id)
    agent = new.assistant.slug

    sunday = await chat(client, agent, "are you open on Sunday?")
    assert sunday["status"] == "sent"
    assert "closed on Sundays and Mondays" in str(sunday["response"])
    assert str(sunday["response"]).startswith("From Bella's Salon FAQ:")
    [citation] = sunday["citations"]
    assert citation["title"] == "Bella's Salon FAQ" and "opening hours" in citation["snippet"]

    haircut = await chat(client, agent, "how much is a haircut?")
    assert haircut["status"] == "sent" and "$55" in str(haircut["response"]) and haircut["citations"]

    insurance = await chat(client, agent, "Do you sell car insurance?")
    assert insurance["status"] == "handed_off" and insurance["citations"] == []
    assert "car insurance" not in str(insurance["response"])  # the holding reply, nothing invented


async def test_a_draft_waiting_for_approval_already_shows_its_citations(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    new = await new_workspace(runtime.db, approval_policy="approve_all")
    await seed_demo_faq(runtime.db, workspace_id=new.workspace.id)
    reply = await chat(client, new.assistant.slug, "What's your cancellation policy?")
    assert reply["status"] == "pending_approval" and reply["response"] is None
    assert [c["title"] for c in reply["citations"]] == ["Bella's Salon FAQ"]
    r = await client.get("/api/v1/drafts", headers={"Authorization": f"Bearer {new.token}"})
    [draft] = r.json()["items"]
    assert draft["source"] == "extractive" and draft["grounded"] is True
    assert "24 hours" in draft["text"] and draft["citations"][0]["title"] == "Bella's Salon FAQ"


async def test_without_knowledge_the_customer_gets_the_holding_reply(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    new = await new_workspace(runtime.db, approval_policy="autopilot")
    reply = await chat(client, new.assistant.slug, "are you open on Sunday?")
    assert reply["status"] == "handed_off" and reply["citations"] == []
