"""The shared inbox through the API: conversations, staff replies and the approval queue, end to end
through the worker and the outbox."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from bot.runtime import Runtime
from core.models import Membership, OutboxItem
from tests.admin.conftest import API, Tenant, customer_says, make_tenant, register, wait_for


async def messages(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    r = await client.get(f"{API}/conversations/{tenant.conversation_id}/messages", headers=tenant.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def sent_texts(client: httpx.AsyncClient, tenant: Tenant) -> list[str]:
    return [m["text"] for m in await messages(client, tenant) if m["direction"] == "out" and m["status"] == "sent"]


async def test_approve_sends_once(client: httpx.AsyncClient) -> None:
    t = await make_tenant(client, "Bella's Salon")
    draft = (await client.get(f"{API}/drafts/{t.draft_id}", headers=t.headers)).json()
    assert draft["state"] == "pending" and draft["text"] == "" and draft["conversation_id"] == t.conversation_id

    r = await client.post(f"{API}/drafts/{t.draft_id}/approve", headers=t.headers)
    assert r.status_code == 409 and "no text" in r.json()["detail"]

    answer = "Sorry, we are closed on Sundays."
    for _ in range(2):  # a double click
        r = await client.post(f"{API}/drafts/{t.draft_id}/approve", headers=t.headers, json={"text": answer})
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "edited" and r.json()["final_text"] == answer
        assert r.json()["reviewed_by"] == t.user_id

    async def delivered() -> bool:
        return answer in await sent_texts(client, t)

    await wait_for(delivered)
    assert (await sent_texts(client, t)).count(answer) == 1
    staff_message = next(m for m in await messages(client, t) if m["text"] == answer)
    assert staff_message["author"] == "staff" and staff_message["author_user_id"] == t.user_id
    assert (await client.get(f"{API}/drafts", headers=t.headers)).json()["items"] == []
    approved = (await client.get(f"{API}/drafts", headers=t.headers, params={"state": "edited"})).json()
    assert [d["id"] for d in approved["items"]] == [t.draft_id]
    r = await client.post(f"{API}/drafts/{t.draft_id}/reject", headers=t.headers)
    assert r.status_code == 409 and r.json()["detail"] == "draft is edited"


async def test_reject_and_takeover(client: httpx.AsyncClient) -> None:
    t = await make_tenant(client, "Bella's Salon")
    r = await client.post(f"{API}/drafts/{t.draft_id}/reject", headers=t.headers)
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert (await client.post(f"{API}/drafts/{t.draft_id}/reject", headers=t.headers)).status_code == 200
    assert (
        await client.post(f"{API}/drafts/{t.draft_id}/approve", headers=t.headers, json={"text": "late"})
    ).status_code == 409

    await customer_says(client, t.assistant_slug, "Hello? Anyone?")
    drafts = (await client.get(f"{API}/drafts", headers=t.headers)).json()["items"]
    assert len(drafts) == 1 and drafts[0]["id"] != t.draft_id
    r = await client.post(f"{API}/drafts/{drafts[0]['id']}/takeover", headers=t.headers)
    assert r.status_code == 200 and r.json()["state"] == "taken_over"
    conversation = (await client.get(f"{API}/conversations/{drafts[0]['conversation_id']}", headers=t.headers)).json()
    assert conversation["bot_paused"] is True and conversation["assigned_user_id"] == t.user_id
    assert (await client.post(f"{API}/drafts/does-not-exist/approve", headers=t.headers)).status_code == 404


async def test_conversations_list_detail_and_triage(client: httpx.AsyncClient, runtime: Runtime) -> None:
    t = await make_tenant(client, "Bella's Salon")
    await customer_says(client, t.assistant_slug, "Second customer here")
    page = (await client.get(f"{API}/conversations", headers=t.headers)).json()
    assert page["total"] == 2 and len(page["items"]) == 2
    newest, oldest = page["items"]
    assert oldest["id"] == t.conversation_id
    assert newest["last_message_at"] >= oldest["last_message_at"]
    assert newest["contact_name"] == "Web visitor" and newest["channel"] == "web"
    assert (await client.get(f"{API}/conversations", headers=t.headers, params={"channel": "sms"})).json()["total"] == 0
    one = (await client.get(f"{API}/conversations", headers=t.headers, params={"limit": 1, "offset": 1})).json()
    assert [c["id"] for c in one["items"]] == [t.conversation_id] and one["total"] == 2
    assert (await client.get(f"{API}/conversations", headers=t.headers, params={"limit": 10_000})).status_code == 422
    assert (await client.get(f"{API}/conversations", headers=t.headers, params={"status": "lost"})).status_code == 422

    colleague = await register(client)
    async with runtime.db.session() as s:
        s.add(Membership(workspace_id=t.workspace_id, user_id=colleague["user"]["id"], role="agent"))
    stranger = await register(client)
    url = f"{API}/conversations/{t.conversation_id}"
    r = await client.patch(
        url,
        headers=t.headers,
        json={
            "status": "closed",
            "priority": "high",
            "tags": ["vip", "sunday", "vip"],
            "assigned_user_id": colleague["user"]["id"],
        },
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["priority"], r.json()["tags"]) == ("closed", "high", ["vip", "sunday"])
    assert r.json()["assigned_user_id"] == colleague["user"]["id"]
    closed = (await client.get(f"{API}/conversations", headers=t.headers, params={"status": "closed"})).json()
    assert [c["id"] for c in closed["items"]] == [t.conversation_id]

    for body in (
        {"assigned_user_id": stranger["user"]["id"]},
        {"status": "lost"},
        {"priority": None},
        {"tags": ["x" * 51]},
        {"tags": [f"t{i}" for i in range(21)]},
        {"contact_id": "x"},
    ):
        assert (await client.patch(url, headers=t.headers, json=body)).status_code == 422, body
    assert (await client.get(url, headers=t.headers)).json()["assigned_user_id"] == colleague["user"]["id"]

    r = await client.patch(url, headers=t.headers, json={"bot_paused": True, "assigned_user_id": None})
    assert r.json()["bot_paused"] is True and r.json()["assigned_user_id"] is None
    r = await client.patch(url, headers=t.headers, json={"bot_paused": False})
    assert r.json()["bot_paused"] is False and r.json()["status"] == "closed"


async def test_staff_reply_is_sent_once_per_key(client: httpx.AsyncClient, runtime: Runtime) -> None:
    t = await make_tenant(client, "Bella's Salon")
    other = await make_tenant(client, "Other Salon")
    url = f"{API}/conversations/{t.conversation_id}/messages"
    for _ in range(2):
        r = await client.post(url, headers=t.headers, json={"text": " We open at 9. ", "idempotency_key": "k1"})
        assert r.status_code == 202, r.text
    assert r.json() == {"queued": False, "outbox_id": None}
    # Another tenant using the same key is not mistaken for a repeat.
    r = await client.post(
        f"{API}/conversations/{other.conversation_id}/messages",
        headers=other.headers,
        json={"text": "Hi from the other salon", "idempotency_key": "k1"},
    )
    assert r.json()["queued"] is True

    async def delivered() -> bool:
        return "We open at 9." in await sent_texts(client, t)

    await wait_for(delivered)
    assert (await sent_texts(client, t)).count("We open at 9.") == 1
    for body in ({"text": "   "}, {"text": ""}, {"text": "x" * 4001}, {}):
        assert (await client.post(url, headers=t.headers, json=body)).status_code == 422, body
    history = await messages(client, t)
    assert [m["direction"] for m in history][:1] == ["in"] and history[0]["text"] == "Are you open on Sunday?"
    async with runtime.db.reader() as s:
        keys = (await s.execute(select(OutboxItem.idempotency_key))).scalars().all()
    assert len([k for k in keys if k.endswith(":k1")]) == 2
