"""Sessions and API tokens: owners list and revoke those of their workspace, staff their own, and a
revoked token is refused on the very next request."""

from __future__ import annotations

import httpx

from bot.runtime import Runtime
from core.models import Membership
from core.workspaces import issue_token
from tests.admin.conftest import API, PASSWORD, bearer, make_tenant, register


async def test_owners_list_and_revoke_sessions_and_api_tokens(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await register(client)
    workspace_id, email = owner["workspace"]["id"], owner["user"]["email"]
    laptop = bearer(owner["token"])
    phone_token = (await client.post(f"{API}/auth/login", json={"email": email, "password": PASSWORD})).json()["token"]
    async with runtime.db.session() as s:  # how `frontdesk workspace create` makes one
        api_token = await issue_token(s, workspace_id=workspace_id, user_id=None, name="zapier")
    colleague = await register(client, workspace_name="Colleague's own")
    async with runtime.db.session() as s:
        s.add(Membership(workspace_id=workspace_id, user_id=colleague["user"]["id"], role="agent"))
    login = {"email": colleague["user"]["email"], "password": PASSWORD, "workspace": workspace_id}
    staff_token = (await client.post(f"{API}/auth/login", json=login)).json()["token"]
    stranger = await register(client, workspace_name="Elsewhere")

    r = await client.get(f"{API}/tokens", headers=laptop)
    assert r.status_code == 200, r.text
    listed = r.json()["items"]
    assert r.json()["total"] == 4
    by_prefix = {t["prefix"]: t for t in listed}
    assert set(by_prefix) == {t[:10] for t in (owner["token"], phone_token, api_token, staff_token)}
    mine = by_prefix[owner["token"][:10]]
    assert mine["current"] is True and mine["kind"] == "session" and mine["user_email"] == email
    assert by_prefix[api_token[:10]] | {"created_at": None} == {
        "id": by_prefix[api_token[:10]]["id"],
        "kind": "api",
        "name": "zapier",
        "scope": "full",
        "prefix": api_token[:10],
        "user_id": None,
        "user_email": None,
        "created_at": None,
        "last_used_at": None,
        "expires_at": None,
        "current": False,
    }
    assert by_prefix[staff_token[:10]]["user_email"] == colleague["user"]["email"]
    # Never a token's secret, nor its hash.
    for secret in (owner["token"], phone_token, api_token, staff_token):
        assert secret not in r.text and secret[10:20] not in r.text
    assert "hash" not in r.text

    # Staff see only their own session here; another workspace's owner sees none of these.
    as_staff = bearer(staff_token, workspace_id)
    assert [t["prefix"] for t in (await client.get(f"{API}/tokens", headers=as_staff)).json()["items"]] == [
        staff_token[:10]
    ]
    assert all(
        t["prefix"] != owner["token"][:10]
        for t in (await client.get(f"{API}/tokens", headers=bearer(stranger["token"]))).json()["items"]
    )
    phone_id, api_id = by_prefix[phone_token[:10]]["id"], by_prefix[api_token[:10]]["id"]
    assert (await client.delete(f"{API}/tokens/{phone_id}", headers=as_staff)).status_code == 404
    assert (await client.delete(f"{API}/tokens/{phone_id}", headers=bearer(stranger["token"]))).status_code == 404
    assert (await client.get(f"{API}/auth/profile", headers=bearer(phone_token))).status_code == 200

    # Revoked: refused on the very next request.
    assert (await client.get(f"{API}/conversations", headers=bearer(api_token))).status_code == 200
    for token_id in (phone_id, api_id):
        assert (await client.delete(f"{API}/tokens/{token_id}", headers=laptop)).status_code == 204
    assert (await client.get(f"{API}/auth/profile", headers=bearer(phone_token))).status_code == 401
    assert (await client.get(f"{API}/conversations", headers=bearer(api_token))).status_code == 401
    assert (await client.delete(f"{API}/tokens/{phone_id}", headers=laptop)).status_code == 404
    remaining = {t["prefix"] for t in (await client.get(f"{API}/tokens", headers=laptop)).json()["items"]}
    assert remaining == {owner["token"][:10], staff_token[:10]}

    # Staff may sign their own session out from here too.
    staff_id = by_prefix[staff_token[:10]]["id"]
    assert (await client.delete(f"{API}/tokens/{staff_id}", headers=as_staff)).status_code == 204
    assert (await client.get(f"{API}/auth/profile", headers=as_staff)).status_code == 401


async def test_owners_make_scoped_api_tokens_shown_once(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await register(client)
    laptop = bearer(owner["token"])
    tenant = await make_tenant(client, "Elsewhere")  # another workspace, with a conversation

    made = {}
    for scope in ("full", "inbox", "read"):
        r = await client.post(f"{API}/tokens", headers=laptop, json={"name": f"{scope} script", "scope": scope})
        assert r.status_code == 201, r.text
        assert r.json()["scope"] == scope and r.json()["kind"] == "api" and r.json()["token"].startswith("fd_")
        made[scope] = r.json()
    listed = (await client.get(f"{API}/tokens", headers=laptop)).json()
    assert {t["name"]: t["scope"] for t in listed["items"] if t["kind"] == "api"} == {
        "full script": "full",
        "inbox script": "inbox",
        "read script": "read",
    }
    for scope in made:  # shown once: the list never carries it
        assert made[scope]["token"] not in str(listed)

    full, inbox, read = (bearer(made[k]["token"]) for k in ("full", "inbox", "read"))
    # read: everything an owner may look at, nothing changed.
    assert (await client.get(f"{API}/conversations", headers=read)).status_code == 200
    assert (await client.get(f"{API}/audit", headers=read)).status_code == 200
    r = await client.post(f"{API}/tokens", headers=read, json={"name": "escalate"})
    assert r.status_code == 403 and "only read" in r.json()["detail"]
    assert (await client.delete(f"{API}/tokens/{made['full']['id']}", headers=read)).status_code == 403
    # inbox: conversations yes, the owner's settings and the tokens no.
    assert (await client.get(f"{API}/conversations", headers=inbox)).status_code == 200
    assert (await client.get(f"{API}/audit", headers=inbox)).status_code == 403
    assert (await client.get(f"{API}/tokens", headers=inbox)).status_code == 403
    assert (await client.post(f"{API}/tokens", headers=inbox, json={"name": "x"})).status_code == 403
    # full: acts as the owner, in its own workspace only.
    assert (await client.post(f"{API}/tokens", headers=full, json={"name": "made by a script"})).status_code == 201
    assert (await client.get(f"{API}/conversations/{tenant.conversation_id}", headers=full)).status_code == 404

    # Bad input: a clear 422, never a token.
    for body in ({"name": ""}, {"name": "x", "scope": "admin"}, {"name": "x" * 201}, {"name": "x", "extra": 1}):
        assert (await client.post(f"{API}/tokens", headers=laptop, json=body)).status_code == 422, body
    # Staff may not make one.
    colleague = await register(client, workspace_name="Colleague's own")
    async with runtime.db.session() as s:
        s.add(Membership(workspace_id=owner["workspace"]["id"], user_id=colleague["user"]["id"], role="agent"))
    as_staff = bearer(colleague["token"], owner["workspace"]["id"])
    assert (await client.post(f"{API}/tokens", headers=as_staff, json={"name": "mine"})).status_code == 403
