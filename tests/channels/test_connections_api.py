"""/api/v1/channels: CRUD on channel connections, with secrets sealed at rest."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from click.testing import CliRunner
from sqlalchemy import select

from bot.runtime import Runtime
from core.models import ChannelConnection
from tests.admin.conftest import API, bearer, register
from tests.cli_support import run_json
from tests.fakes.telegram_server import TOKEN, fake_telegram


async def test_channel_connections_crud_with_sealed_secrets(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await register(client)
    headers = bearer(owner["token"])
    [assistant] = (await client.get(f"{API}/assistants", headers=headers)).json()
    r = await client.post(
        f"{API}/channels",
        headers=headers,
        json={
            "kind": "slack",
            "account": "T0BELLA",
            "config": {"bot_token": "xoxb-123-ABC", "signing_secret": "w-s", "staff_channel": "C1"},
        },
    )
    assert r.status_code == 201, r.text
    conn = r.json()
    assert conn["name"] == "slack" and conn["assistant_id"] == assistant["id"] and conn["enabled"]
    assert conn["config"] == {"bot_token": "********", "signing_secret": "********", "staff_channel": "C1"}

    async def opened() -> dict[str, Any]:
        async with runtime.db.reader() as s:
            row = (await s.execute(select(ChannelConnection).where(ChannelConnection.id == conn["id"]))).scalar_one()
        assert row.config["bot_token"] != "xoxb-123-ABC" and "xoxb-123-ABC" not in str(row.config)
        return runtime.box.open(row.config)

    assert (await opened())["bot_token"] == "xoxb-123-ABC"
    r = await client.patch(
        f"{API}/channels/{conn['id']}",
        headers=headers,
        json={"name": "Bella bot", "enabled": False, "config": {**conn["config"], "bot_token": "xoxb-NEW"}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Bella bot" and r.json()["enabled"] is False
    assert r.json()["config"]["bot_token"] == "********"
    assert await opened() == {"bot_token": "xoxb-NEW", "signing_secret": "w-s", "staff_channel": "C1"}
    assert (await client.patch(f"{API}/channels/{conn['id']}", headers=headers, json={"assistant_id": None})).json()[
        "assistant_id"
    ] is None
    listed = (await client.get(f"{API}/channels", headers=headers)).json()
    assert [c["id"] for c in listed] == [conn["id"]] and "xoxb-NEW" not in str(listed)

    other = await register(client)
    other_assistant = (await client.get(f"{API}/assistants", headers=bearer(other["token"]))).json()[0]["id"]
    bad: list[dict[str, Any]] = [
        {"kind": "fax"},
        {"kind": "sms", "assistant_id": other_assistant},
        {"kind": "sms", "config": {"auth_token": 12345}},
        {"kind": "sms", "config": {"auth_token": "********"}},
        {"kind": "sms", "config": {"note": "enc:v1:abc"}},
        {"kind": "sms", "config": {"k": {"nested": 1}}},
        {"kind": "sms", "name": "x" * 201},
    ]
    for body in bad:
        assert (await client.post(f"{API}/channels", headers=headers, json=body)).status_code == 422, body
    r = await client.patch(f"{API}/channels/{conn['id']}", headers=headers, json={"assistant_id": other_assistant})
    assert r.status_code == 422
    # One receiving account, one connection: the inbox dedups on it across workspaces.
    r = await client.post(
        f"{API}/channels", headers=bearer(other["token"]), json={"kind": "slack", "account": "T0BELLA"}
    )
    assert r.status_code == 409

    assert (await client.delete(f"{API}/channels/{conn['id']}", headers=headers)).status_code == 204
    assert (await client.get(f"{API}/channels/{conn['id']}", headers=headers)).status_code == 404
    assert (await client.get(f"{API}/channels", headers=headers)).json() == []


async def test_a_bot_connected_from_the_cli_is_taken_for_the_api(cli: CliRunner, client: httpx.AsyncClient) -> None:
    """Both faces create connections through one service: one bot, one connection, whoever asks."""
    owner = await register(client)
    with fake_telegram() as fake:
        await asyncio.to_thread(run_json, cli, "workspace", "create", "Shop")
        added = await asyncio.to_thread(
            run_json, cli, "channel", "add", "telegram", "--workspace", "shop", "--token", TOKEN, "--api-base", fake.url
        )
        body = {"kind": "telegram", "config": {"token": TOKEN, "api_base": fake.url}}
        r = await client.post(f"{API}/channels", headers=bearer(owner["token"]), json=body)
    assert r.status_code == 409 and "already connected" in r.text
    assert added["config"]["mode"] == "polling" and added["name"].startswith("@")
