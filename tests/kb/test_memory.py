"""Answer memory: staff answer once (approving an edited draft, or replying after a take-over), save it,
and the next customer who asks the same gets the staff member's words, with no LLM."""

from __future__ import annotations

import httpx

from bot.runtime import Runtime
from tests.kb.test_drafting import chat
from tests.support import new_workspace

API = "/api/v1"


async def test_an_approved_answer_saved_is_used_next_time(client: httpx.AsyncClient, runtime: Runtime) -> None:
    new = await new_workspace(runtime.db, approval_policy="autopilot")
    auth = {"Authorization": f"Bearer {new.token}"}
    first = await chat(client, new.assistant.slug, "Is there parking nearby?")
    assert first["status"] == "handed_off"
    [draft] = (await client.get(f"{API}/drafts", headers=auth)).json()["items"]
    staff_words = "Yes! Free parking behind the salon, entrance on Mill Lane."
    r = await client.post(
        f"{API}/drafts/{draft['id']}/approve", headers=auth, json={"text": staff_words, "save_answer": True}
    )
    assert r.status_code == 200 and r.json()["state"] == "edited"

    later = await chat(client, new.assistant.slug, "is there parking nearby?")
    assert later["status"] == "sent" and staff_words in str(later["response"])
    assert [c["title"] for c in later["citations"]] == ["Bella's Salon team"]
    # Without the flag nothing is remembered.
    other = await chat(client, new.assistant.slug, "Do you have wifi for customers?")
    [draft] = (await client.get(f"{API}/drafts", headers=auth)).json()["items"]
    await client.post(f"{API}/drafts/{draft['id']}/approve", headers=auth, json={"text": "Yes, ask at the desk."})
    assert other["status"] == "handed_off"
    assert (await chat(client, new.assistant.slug, "Do you have wifi for customers?"))["status"] == "handed_off"


async def test_a_reply_after_a_take_over_can_be_saved(client: httpx.AsyncClient, runtime: Runtime) -> None:
    new = await new_workspace(runtime.db, approval_policy="autopilot")
    auth = {"Authorization": f"Bearer {new.token}"}
    await chat(client, new.assistant.slug, "Can I bring my dog?")
    [draft] = (await client.get(f"{API}/drafts", headers=auth)).json()["items"]
    assert (await client.post(f"{API}/drafts/{draft['id']}/takeover", headers=auth)).status_code == 200
    r = await client.post(
        f"{API}/conversations/{draft['conversation_id']}/messages",
        headers=auth,
        json={"text": "Well-behaved dogs are welcome in the salon.", "save_answer": True},
    )
    assert r.status_code == 202
    again = await chat(client, new.assistant.slug, "can I bring my dog with me?")
    assert again["status"] == "sent" and "Well-behaved dogs are welcome" in str(again["response"])
