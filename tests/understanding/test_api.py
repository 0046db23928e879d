"""The context API: schemas and intents for owners, each conversation's context for staff to read,
with refusals that say what to fix. Staff's edits of a context are in tests/staff/test_context.py."""

from __future__ import annotations

import httpx

from bot.runtime import Runtime
from core.models import Membership
from tests.admin.conftest import register
from tests.rules.conftest import Clock
from tests.understanding.conftest import DEMO, says, the_conversation

API = "/api/v1"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_owner_sets_a_schema_staff_read_the_context(
    client: httpx.AsyncClient, runtime: Runtime, clock: Clock
) -> None:
    owner = await register(client, workspace_name="Bella's Salon")
    ws = owner["workspace"]["id"]
    staff = await register(client, workspace_name="Staff's own")
    async with runtime.db.session() as s:
        s.add(Membership(workspace_id=ws, user_id=staff["user"]["id"], role="agent"))
    base = f"{API}/context/workspaces/{ws}"

    bad = await client.put(
        f"{base}/schema", json={"fields": [{"name": "service", "type": "enum"}]}, headers=auth(owner["token"])
    )
    assert bad.status_code == 422 and "needs options" in str(bad.json()["detail"]["problems"])
    assert (
        await client.put(f"{base}/schema", json={"template": "front_desk"}, headers=auth(staff["token"]))
    ).status_code == 403
    saved = await client.put(f"{base}/schema", json={"template": "front_desk"}, headers=auth(owner["token"]))
    assert saved.status_code == 200 and saved.json()["workflow"]["initial"] == "new"

    intents = (await client.get(f"{base}/intents", headers=auth(staff["token"]))).json()
    assert intents["template"] is True and "complaint" in [i["name"] for i in intents["intents"]]

    assistant = (await client.get(f"{API}/assistants", headers=auth(owner["token"]))).json()
    account = (assistant[0] if isinstance(assistant, list) else assistant["items"][0])["id"]
    await says(runtime, ws, account, DEMO.replace("07700 900123", "+44 7700 900123"))
    conv = await the_conversation(runtime, ws)
    url = f"{base}/conversations/{conv.id}"

    seen = (await client.get(url, headers=auth(staff["token"]))).json()
    assert seen["fields"]["phone"] == "+447700900123" and seen["status"] == "new"
    assert seen["intent"]["name"] in ("complaint", "cancel") and seen["sentiment"]["label"] == "negative"
    assert seen["summary"]["needs_llm"] is True and "LLM" in seen["summary"]["note"]
    assert seen["next_statuses"] == ["booked", "waiting_on_customer", "resolved"]

    other = await register(client, workspace_name="Someone else")
    assert (await client.get(url, headers=auth(other["token"]))).status_code == 404


async def test_an_owners_own_intents_replace_the_shipped_ones(
    client: httpx.AsyncClient, runtime: Runtime, clock: Clock
) -> None:
    owner = await register(client, workspace_name="Bella's Salon")
    ws = owner["workspace"]["id"]
    url = f"{API}/context/workspaces/{ws}/intents"
    lonely = [{"name": "parking", "examples": ["where do I park"]}]
    assert (await client.put(url, json=lonely, headers=auth(owner["token"]))).status_code == 422
    own = [
        {"name": "parking", "examples": ["where do I park", "is there a car park", "can I leave my car nearby"]},
        {"name": "gift_card", "examples": ["do you sell gift cards", "can I buy a voucher", "gift voucher please"]},
    ]
    saved = await client.put(url, json=own, headers=auth(owner["token"]))
    assert saved.status_code == 200 and saved.json()["template"] is False
    assert [i["name"] for i in saved.json()["intents"]] == ["gift_card", "parking"]

    assistant = (await client.get(f"{API}/assistants", headers=auth(owner["token"]))).json()
    account = (assistant[0] if isinstance(assistant, list) else assistant["items"][0])["id"]
    await says(runtime, ws, account, "is there somewhere to park the car?")
    conv = await the_conversation(runtime, ws)
    seen = await client.get(f"{API}/context/workspaces/{ws}/conversations/{conv.id}", headers=auth(owner["token"]))
    assert seen.json()["intent"]["name"] == "parking"
