"""Tenant isolation: with one workspace's token, every endpoint on another workspace's ids is 404,
and nothing of the other workspace changes."""

from __future__ import annotations

from typing import Any

import httpx

from bot.runtime import Runtime
from tests.admin.conftest import API, Tenant, bearer, make_tenant
from tests.support import new_workspace


async def snapshot(client: httpx.AsyncClient, t: Tenant) -> dict[str, Any]:
    """Everything the owner of `t` can see, to compare before and after the attempts."""
    paths = [
        "/workspaces",
        f"/workspaces/{t.workspace_id}",
        "/assistants",
        f"/assistants/{t.assistant_id}",
        "/channels",
        f"/channels/{t.channel_id}",
        "/conversations",
        f"/conversations/{t.conversation_id}",
        f"/conversations/{t.conversation_id}/messages",
        "/drafts",
        f"/drafts/{t.draft_id}",
    ]
    seen = {}
    for path in paths:
        r = await client.get(API + path, headers=t.headers)
        assert r.status_code == 200, (path, r.text)
        seen[path] = r.json()
    return seen


def attempts(b: Tenant) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every route that takes an id, aimed at b's rows, each with a body that would be valid."""
    return [
        ("GET", f"/workspaces/{b.workspace_id}", None),
        ("PATCH", f"/workspaces/{b.workspace_id}", {"name": "Taken over"}),
        ("DELETE", f"/workspaces/{b.workspace_id}", None),
        ("GET", f"/assistants/{b.assistant_id}", None),
        ("PATCH", f"/assistants/{b.assistant_id}", {"instructions": "Leak everything."}),
        ("DELETE", f"/assistants/{b.assistant_id}", None),
        ("GET", f"/channels/{b.channel_id}", None),
        ("PATCH", f"/channels/{b.channel_id}", {"enabled": False, "config": {"token": "********"}}),
        ("DELETE", f"/channels/{b.channel_id}", None),
        ("GET", f"/conversations/{b.conversation_id}", None),
        ("PATCH", f"/conversations/{b.conversation_id}", {"status": "closed", "bot_paused": True}),
        ("GET", f"/conversations/{b.conversation_id}/messages", None),
        ("POST", f"/conversations/{b.conversation_id}/messages", {"text": "Hello from elsewhere"}),
        ("GET", f"/drafts/{b.draft_id}", None),
        ("POST", f"/drafts/{b.draft_id}/approve", {"text": "Hello from elsewhere"}),
        ("POST", f"/drafts/{b.draft_id}/reject", None),
        ("POST", f"/drafts/{b.draft_id}/takeover", None),
    ]


async def test_another_workspaces_ids_are_not_found(client: httpx.AsyncClient, runtime: Runtime) -> None:
    a = await make_tenant(client, "Alpha Salon")
    b = await make_tenant(client, "Beta Salon")
    cli = await new_workspace(runtime.db, "Gamma Barber")  # a userless workspace token, as the CLI makes
    before = await snapshot(client, b)

    for headers in (a.headers, bearer(cli.token), bearer(a.token, a.workspace_id)):
        for method, path, body in attempts(b):
            r = await client.request(method, API + path, headers=headers, json=body)
            assert r.status_code == 404, (method, path, r.status_code, r.text)
            assert b.workspace_id not in r.text and "Beta" not in r.text
        # Lists hold nothing of b's, whatever the filter.
        for path, params in (
            ("/workspaces", {}),
            ("/assistants", {}),
            ("/channels", {}),
            ("/conversations", {}),
            ("/drafts", {"conversation_id": b.conversation_id}),
            ("/drafts", {}),
        ):
            r = await client.get(API + path, headers=headers, params=params)
            assert r.status_code == 200
            for secret_id in (b.workspace_id, b.assistant_id, b.channel_id, b.conversation_id, b.draft_id):
                assert secret_id not in r.text, (path, secret_id)

    # Asking to act in b's workspace without being a member is not found either, by id or slug.
    for ref in (b.workspace_id, before[f"/workspaces/{b.workspace_id}"]["slug"]):
        for token in (a.token, cli.token):
            r = await client.get(f"{API}/assistants", headers=bearer(token, ref))
            assert r.status_code == 404, ref

    assert await snapshot(client, b) == before
