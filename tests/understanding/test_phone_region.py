"""A workspace's phone region: in a GB workspace "07700 900123" is read as a phone number (by the AI's
offline reader and in staff's edits), in another workspace it is not; set through PATCH /workspaces
(or the Business page), checked as an ISO region, and never by another workspace's owner."""

from __future__ import annotations

import httpx

from bot.runtime import Runtime
from tests.admin.conftest import API, bearer
from tests.support import new_workspace
from tests.understanding.conftest import Clock, says, the_conversation
from understanding import context
from understanding.schema import SchemaSpec
from understanding.templates import FRONT_DESK_SCHEMA


async def shop(runtime: Runtime, name: str) -> tuple[str, str, str]:
    """A workspace whose phone field names no region of its own: (workspace, assistant, owner token)."""
    new = await new_workspace(runtime.db, name=name, approval_policy="approve_all")
    async with runtime.db.session() as s:
        spec = SchemaSpec.model_validate(FRONT_DESK_SCHEMA)
        await context.save_schema(s, workspace_id=new.workspace.id, spec=spec)
    return new.workspace.id, new.assistant.id, new.token


async def read_phone(runtime: Runtime, ws: str) -> object:
    conv = await the_conversation(runtime, ws)
    async with runtime.db.reader() as s:
        return (await context.read_context(s, conv.id)).get("phone")


async def test_a_gb_workspace_reads_a_national_number_and_another_does_not(
    client: httpx.AsyncClient, runtime: Runtime, clock: Clock
) -> None:
    assert runtime.settings.understanding_phone_region is None
    gb, gb_assistant, gb_token = await shop(runtime, "London Salon")
    other, other_assistant, other_token = await shop(runtime, "Elsewhere Salon")
    r = await client.patch(f"{API}/workspaces/{gb}", json={"phone_region": "gb"}, headers=bearer(gb_token))
    assert r.status_code == 200 and r.json()["phone_region"] == "GB"
    r = await client.patch(f"{API}/workspaces/{gb}", json={"phone_region": "XX"}, headers=bearer(gb_token))
    assert r.status_code == 422 and "'XX' is not a phone region" in r.text
    r = await client.patch(f"{API}/workspaces/{gb}", json={"phone_region": "ES"}, headers=bearer(other_token))
    assert r.status_code == 404  # not theirs
    assert (await client.get(f"{API}/workspaces/{gb}", headers=bearer(gb_token))).json()["phone_region"] == "GB"

    await says(runtime, gb, gb_assistant, "please call me on 07700 900123")
    await says(runtime, other, other_assistant, "please call me on 07700 900123")
    assert await read_phone(runtime, gb) == "+447700900123"
    assert await read_phone(runtime, other) is None

    # Staff typing the national number: accepted where the region says how to read it, refused elsewhere.
    for ws, token, status in ((gb, gb_token, 200), (other, other_token, 422)):
        conv = await the_conversation(runtime, ws)
        url = f"{API}/context/workspaces/{ws}/conversations/{conv.id}"
        r = await client.patch(url, json={"fields": {"phone": "07700 900456"}}, headers=bearer(token))
        assert r.status_code == status, r.text
    assert await read_phone(runtime, gb) == "+447700900456"

    r = await client.patch(f"{API}/workspaces/{gb}", json={"phone_region": None}, headers=bearer(gb_token))
    assert r.status_code == 200 and r.json()["phone_region"] is None  # back to the server's setting
