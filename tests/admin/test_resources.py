"""CRUD on workspaces and assistants, with secrets sealed at rest.

Channel connections: tests/channels/test_connections_api.py."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from bot.runtime import Runtime
from core.assistants import LLMProvider
from core.models import Assistant, Membership
from tests.admin.conftest import API, bearer, register


async def add_staff(client: httpx.AsyncClient, runtime: Runtime, workspace_id: str) -> dict[str, str]:
    """A second user, made staff of the workspace; returns headers that act there."""
    staff = await register(client, workspace_name="Staff's own")
    async with runtime.db.session() as s:
        s.add(Membership(workspace_id=workspace_id, user_id=staff["user"]["id"], role="agent"))
    return bearer(staff["token"], workspace_id)


async def test_workspaces_crud_and_roles(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await register(client, workspace_name="Bella's Salon")
    headers = bearer(owner["token"])
    r = await client.post(
        f"{API}/workspaces",
        headers=headers,
        json={"name": "Bella's Spa", "slug": "bella-spa", "timezone": "Europe/Berlin"},
    )
    assert r.status_code == 201, r.text
    spa, spa_token = r.json()["workspace"], r.json()["token"]
    assert spa["slug"] == "bella-spa" and spa["timezone"] == "Europe/Berlin" and spa["role"] == "owner"
    assert (await client.get(f"{API}/auth/profile", headers=bearer(spa_token))).json()["workspace"]["id"] == spa["id"]
    # The new workspace comes with its default assistant.
    assert len((await client.get(f"{API}/assistants", headers=bearer(spa_token))).json()) == 1

    listed = (await client.get(f"{API}/workspaces", headers=headers)).json()
    assert [w["id"] for w in listed] == [owner["workspace"]["id"], spa["id"]]
    assert (
        await client.post(f"{API}/workspaces", headers=headers, json={"name": "X", "slug": "bella-spa"})
    ).status_code == 409
    for bad in (
        {"name": ""},
        {"name": "X", "timezone": "Mars/Olympus"},
        {"name": "X", "slug": "Not A Slug"},
        {"name": "X", "slug": "123e4567-e89b-12d3-a456-426614174000"},
    ):
        assert (await client.post(f"{API}/workspaces", headers=headers, json=bad)).status_code == 422, bad

    r = await client.patch(f"{API}/workspaces/{spa['id']}", headers=headers, json={"name": "The Spa"})
    assert r.status_code == 200 and r.json()["name"] == "The Spa" and r.json()["slug"] == "bella-spa"
    r = await client.patch(f"{API}/workspaces/{spa['id']}", headers=headers, json={"slug": owner["workspace"]["slug"]})
    assert r.status_code == 409
    assert (
        await client.patch(f"{API}/workspaces/{spa['id']}", headers=headers, json={"name": None})
    ).status_code == 422
    assert (await client.get(f"{API}/workspaces/{spa['id']}", headers=headers)).json()["name"] == "The Spa"

    staff = await add_staff(client, runtime, owner["workspace"]["id"])
    ws = owner["workspace"]["id"]
    assert (await client.get(f"{API}/workspaces/{ws}", headers=staff)).json()["role"] == "agent"
    assert (await client.patch(f"{API}/workspaces/{ws}", headers=staff, json={"name": "Mine"})).status_code == 403
    assert (await client.delete(f"{API}/workspaces/{ws}", headers=staff)).status_code == 403
    assert (await client.post(f"{API}/assistants", headers=staff, json={"name": "Nope"})).status_code == 403

    assert (await client.delete(f"{API}/workspaces/{spa['id']}", headers=headers)).status_code == 204
    assert (await client.get(f"{API}/workspaces/{spa['id']}", headers=headers)).status_code == 404
    assert (await client.get(f"{API}/auth/profile", headers=bearer(spa_token))).status_code == 401
    assert (await client.get(f"{API}/workspaces/{ws}", headers=headers)).json()["name"] == "Bella's Salon"


async def test_assistants_crud_with_sealed_keys(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await register(client)
    headers = bearer(owner["token"])
    [default] = (await client.get(f"{API}/assistants", headers=headers)).json()
    r = await client.post(
        f"{API}/assistants",
        headers=headers,
        json={
            "name": "Night desk",
            "slug": "night-desk",
            "approval_policy": "autopilot",
            "confidence_threshold": 0.9,
            "holding_reply": "Back in the morning!",
            "model_settings": {"base_url": "https://llm.example.com/v1", "model": "m", "api_key": "sk-live-123"},
        },
    )
    assert r.status_code == 201, r.text
    night = r.json()
    assert night["slug"] == "night-desk" and night["approval_policy"] == "autopilot"
    assert night["model_settings"]["api_key"] == "********" and "sk-live-123" not in r.text

    async def stored() -> Assistant:
        async with runtime.db.reader() as s:
            return (await s.execute(select(Assistant).where(Assistant.id == night["id"]))).scalar_one()

    row = await stored()
    assert row.model_settings["api_key"] != "sk-live-123" and "sk-live-123" not in str(row.model_settings)
    provider = LLMProvider(runtime.box)
    assert provider.settings_for(row).api_key == "sk-live-123"

    # The redacted value sent back keeps the key; a new value replaces it.
    r = await client.patch(
        f"{API}/assistants/{night['id']}",
        headers=headers,
        json={"name": "Night owl", "model_settings": {**night["model_settings"], "model": "m2"}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Night owl" and r.json()["model_settings"]["model"] == "m2"
    assert provider.settings_for(await stored()).api_key == "sk-live-123"
    await client.patch(
        f"{API}/assistants/{night['id']}",
        headers=headers,
        json={"model_settings": {"base_url": "https://llm.example.com/v1", "api_key": "sk-new"}},
    )
    assert provider.settings_for(await stored()).api_key == "sk-new"

    other = await register(client)
    other_slug = (await client.get(f"{API}/assistants", headers=bearer(other["token"]))).json()[0]["slug"]
    bad: list[dict[str, Any]] = [
        {"name": "X", "approval_policy": "yolo"},
        {"name": "X", "confidence_threshold": 1.5},
        {"name": "X", "slug": "123e4567-e89b-12d3-a456-426614174000"},
        {"name": "X", "instructions": "x" * 20_001},
        {"name": "X", "model_settings": {"base_url": "file:///etc/passwd"}},
        {"name": "X", "model_settings": {"api_key": "********"}},
        {"name": "X", "model_settings": {"api_key": "enc:v1:stolen"}},
    ]
    for body in bad:
        assert (await client.post(f"{API}/assistants", headers=headers, json=body)).status_code == 422, body
    for slug in ("night-desk", other_slug):
        assert (
            await client.post(f"{API}/assistants", headers=headers, json={"name": "X", "slug": slug})
        ).status_code == 409
    assert (
        await client.patch(f"{API}/assistants/{night['id']}", headers=headers, json={"slug": other_slug})
    ).status_code == 409

    assert (await client.delete(f"{API}/assistants/{default['id']}", headers=headers)).status_code == 204
    assert (await client.get(f"{API}/assistants/{default['id']}", headers=headers)).status_code == 404
    r = await client.delete(f"{API}/assistants/{night['id']}", headers=headers)
    assert r.status_code == 409 and "at least one" in r.json()["detail"]
    assert [a["id"] for a in (await client.get(f"{API}/assistants", headers=headers)).json()] == [night["id"]]


async def test_unstorable_input_is_refused_not_a_500(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    headers = bearer(owner["token"]) | {"content-type": "application/json"}
    cases: list[tuple[str, str, bytes | None]] = [
        ("POST", "/assistants", b'{"name": "a\\u0000b"}'),
        ("POST", "/assistants", b'{"name": "x", "confidence_threshold": NaN}'),
        ("POST", "/channels", b'{"kind": "sms", "config": {"n": 1e999}}'),
        ("POST", "/auth/login", b'{"email": "a\\u0000@example.com", "password": "p"}'),
        ("GET", "/assistants/%00", None),
        ("GET", "/conversations?channel=%00", None),
    ]
    for method, path, body in cases:
        r = await client.request(method, API + path, headers=headers, content=body)
        assert r.status_code == 422, (path, body, r.status_code, r.text)
    r = await client.post(f"{API}/assistants", headers=headers, content=b'{"name": ')
    assert r.status_code == 422


async def test_openapi_documents_the_admin(client: httpx.AsyncClient) -> None:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in (
        "/api/v1/auth/login",
        "/api/v1/workspaces/{workspace_id}",
        "/api/v1/channels/{connection_id}",
        "/api/v1/conversations/{conversation_id}/messages",
        "/api/v1/drafts/{draft_id}/takeover",
    ):
        assert path in paths, path
    assert "HTTPBearer" in r.json()["components"]["securitySchemes"]
    assert (await client.get("/docs")).status_code == 200
