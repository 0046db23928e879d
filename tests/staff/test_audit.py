"""The audit log through the API: owners read their workspace's staff actions, newest first and
filtered; staff are refused; another workspace's entries never appear."""

from __future__ import annotations

from typing import Any

import httpx

from bot.runtime import Runtime
from core.models import Membership
from core.workspaces import issue_token
from tests.admin.conftest import API, Tenant, bearer, make_tenant, register


async def audit(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    r = await client.get(f"{API}/audit", headers=headers, params=params)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    assert r.json()["total"] == len(items) or params.get("limit")
    return items


async def colleague_of(client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant) -> tuple[str, dict[str, str]]:
    """A staff member of the tenant's workspace: their user id and headers acting there."""
    colleague = await register(client, workspace_name="Colleague's own")
    async with runtime.db.session() as s:
        s.add(Membership(workspace_id=tenant.workspace_id, user_id=colleague["user"]["id"], role="agent"))
    return colleague["user"]["id"], bearer(colleague["token"], tenant.workspace_id)


async def test_owners_read_the_audit_log_newest_first_and_filtered(client: httpx.AsyncClient, runtime: Runtime) -> None:
    a = await make_tenant(client, "Alpha Salon")
    b = await make_tenant(client, "Beta Salon")
    colleague_id, colleague = await colleague_of(client, runtime, a)

    r = await client.post(f"{API}/drafts/{a.draft_id}/reject", headers=colleague, json={"reason": "Wrong hours"})
    assert r.status_code == 200, r.text
    url = f"{API}/conversations/{a.conversation_id}"
    assert (await client.patch(url, headers=a.headers, json={"status": "closed"})).status_code == 200
    assert (await client.patch(url, headers=a.headers, json={"tags": ["vip"], "priority": "high"})).status_code == 200
    assert (await client.patch(url, headers=a.headers, json={"status": "closed"})).status_code == 200  # no change
    assert (await client.post(f"{API}/drafts/{b.draft_id}/reject", headers=b.headers)).status_code == 200

    entries = await audit(client, a.headers)
    assert [e["action"] for e in entries] == [
        "conversation.tags",
        "conversation.priority",
        "conversation.status",
        "draft.reject",
    ]
    rejected = entries[-1]
    assert rejected["face"] == "api" and rejected["actor_user_id"] == colleague_id and rejected["actor_label"] == ""
    assert (rejected["object_type"], rejected["object_id"]) == ("draft", a.draft_id)
    assert rejected["before"] == {"state": "pending"}
    assert rejected["after"] == {"state": "rejected", "reason": "Wrong hours"}
    status = next(e for e in entries if e["action"] == "conversation.status")
    assert (status["object_type"], status["object_id"]) == ("conversation", a.conversation_id)
    assert (status["before"], status["after"], status["actor_user_id"]) == (
        {"status": "waiting"},
        {"status": "closed"},
        a.user_id,
    )

    assert [e["action"] for e in await audit(client, a.headers, user_id=colleague_id)] == ["draft.reject"]
    assert [e["action"] for e in await audit(client, a.headers, action="conversation.status")] == [
        "conversation.status"
    ]
    assert [e["object_id"] for e in await audit(client, a.headers, object_type="draft")] == [a.draft_id]
    by_object = await audit(client, a.headers, object_type="conversation", object_id=a.conversation_id)
    assert len(by_object) == 3 and {e["object_id"] for e in by_object} == {a.conversation_id}
    page = (await client.get(f"{API}/audit", headers=a.headers, params={"limit": 1, "offset": 3})).json()
    assert page["total"] == 4 and [e["action"] for e in page["items"]] == ["draft.reject"]

    # Another workspace's entries never appear, whatever the filter names.
    assert await audit(client, a.headers, object_id=b.draft_id) == []
    assert await audit(client, a.headers, user_id=b.user_id) == []
    assert [e["object_id"] for e in await audit(client, b.headers)] == [b.draft_id]

    # Staff act, and are audited, but only owners read the log; a workspace API token acts as its owner.
    r = await client.get(f"{API}/audit", headers=colleague)
    assert r.status_code == 403
    async with runtime.db.session() as s:
        token = await issue_token(s, workspace_id=a.workspace_id, user_id=None, name="script")
    assert len(await audit(client, bearer(token))) == 4
    assert (await client.get(f"{API}/audit")).status_code == 401


async def test_an_api_tokens_action_is_audited_with_its_label(client: httpx.AsyncClient, runtime: Runtime) -> None:
    t = await make_tenant(client, "Bella's Salon")
    async with runtime.db.session() as s:
        token = await issue_token(s, workspace_id=t.workspace_id, user_id=None, name="script")
    r = await client.post(f"{API}/drafts/{t.draft_id}/takeover", headers=bearer(token))
    assert r.status_code == 200, r.text
    [entry] = await audit(client, t.headers)
    assert entry["action"] == "draft.take_over" and entry["actor_user_id"] is None
    assert entry["actor_label"].startswith("api token ") and len(entry["actor_label"]) == len("api token ") + 8
    assert entry["before"] == {"state": "pending", "bot_paused": False, "assigned_user_id": None}
    assert entry["after"] == {"state": "taken_over", "bot_paused": True, "assigned_user_id": None}
