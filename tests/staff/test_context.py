"""Staff edit a conversation's context and move it along the workflow, through the API: refusals
say what to fix and change nothing, and every change keeps its history."""

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


async def test_staff_edit_the_context_and_move_the_status(
    client: httpx.AsyncClient, runtime: Runtime, clock: Clock
) -> None:
    owner = await register(client, workspace_name="Bella's Salon")
    ws = owner["workspace"]["id"]
    staff = await register(client, workspace_name="Staff's own")
    async with runtime.db.session() as s:
        s.add(Membership(workspace_id=ws, user_id=staff["user"]["id"], role="agent"))
    base = f"{API}/context/workspaces/{ws}"
    saved = await client.put(f"{base}/schema", json={"template": "front_desk"}, headers=auth(owner["token"]))
    assert saved.status_code == 200
    assistant = (await client.get(f"{API}/assistants", headers=auth(owner["token"]))).json()
    account = (assistant[0] if isinstance(assistant, list) else assistant["items"][0])["id"]
    await says(runtime, ws, account, DEMO.replace("07700 900123", "+44 7700 900123"))
    conv = await the_conversation(runtime, ws)
    url = f"{base}/conversations/{conv.id}"

    wrong = await client.patch(
        url, json={"fields": {"email": "not-an-email", "party_size": 3}}, headers=auth(staff["token"])
    )
    assert wrong.status_code == 422 and "email" in wrong.json()["detail"]["problems"]
    fixed = await client.patch(url, json={"fields": {"service": "colour"}}, headers=auth(staff["token"]))
    assert fixed.status_code == 200 and fixed.json()["fields"]["service"] == "colour"

    refused = await client.post(f"{url}/status", json={"status": "cancelled"}, headers=auth(staff["token"]))
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "a conversation cannot go from 'new' to 'cancelled'; "
        "from 'new' it can go to booked, waiting_on_customer, resolved"
    )
    moved = await client.post(f"{url}/status", json={"status": "booked"}, headers=auth(staff["token"]))
    assert moved.status_code == 200 and moved.json()["status"] == "booked"

    trail = [(h["field"], h["new_value"], h["source"]) for h in moved.json()["history"]]
    assert ("phone", "+447700900123", "ai") in trail
    assert ("service", "colour", "staff") in trail and ("status", "booked", "staff") in trail
    assert trail.index(("status", "new", "rule")) < trail.index(("status", "booked", "staff"))
    assert ("email", "not-an-email", "staff") not in trail  # the refused edit left no trace

    stranger = auth((await register(client, workspace_name="Someone else"))["token"])
    assert (await client.patch(url, json={"fields": {"service": "cut"}}, headers=stranger)).status_code == 404
    assert (await client.post(f"{url}/status", json={"status": "resolved"}, headers=stranger)).status_code == 404
