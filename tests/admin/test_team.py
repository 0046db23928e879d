"""The team through the API, on both databases: what each role may do, the last owner, invitations
(accepted, reused, withdrawn, expired, unknown; only their hash stored), and removing a member."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
from click.testing import CliRunner
from sqlalchemy import select, update

from admin.team import service as team
from admin.team.models import Invitation
from bot.cli import main
from bot.runtime import Runtime
from core.crypto import token_hash
from core.db import Database
from core.messages import utcnow
from core.models import User
from tests.admin.conftest import API, PASSWORD, bearer, register

NEW_PASSWORD = "violet lantern harbour quilt"


def _email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


async def _joined(web: httpx.AsyncClient, owner: dict[str, Any], role: str) -> dict[str, str]:
    """Someone invited with `role` who accepts the link: their session in the owner's workspace."""
    email = _email(role)
    r = await web.post(f"{API}/members", headers=bearer(owner["token"]), json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    token = r.json()["url"].rsplit("/", 1)[-1]
    r = await web.post(f"{API}/auth/invitations/{token}/accept", json={"name": role.title(), "password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    return {"email": email, "id": r.json()["session"]["user"]["id"], "token": r.json()["session"]["token"]}


async def test_what_agents_admins_and_owners_may_do(web: httpx.AsyncClient) -> None:
    owner = await register(web)
    me, ws = bearer(owner["token"]), owner["workspace"]["id"]
    agent, admin = await _joined(web, owner, "agent"), await _joined(web, owner, "admin")
    as_agent, as_admin = bearer(agent["token"]), bearer(admin["token"])

    # An agent: the inbox, and nothing of the configuration or the team.
    assert (await web.get(f"{API}/conversations", headers=as_agent)).status_code == 200
    assert (await web.get(f"{API}/auth/profile", headers=as_agent)).json()["role"] == "agent"
    for method, path, body in (
        ("GET", "/members", None),
        ("POST", "/members", {"email": _email("x"), "role": "agent"}),
        ("PATCH", f"/members/{agent['id']}", {"role": "admin"}),
        ("DELETE", f"/members/{admin['id']}", None),
        ("GET", "/invitations", None),
        ("POST", "/assistants", {"name": "Mine"}),
        ("GET", "/audit", None),
        ("PUT", f"/context/workspaces/{ws}/business-hours", {"timezone": "Europe/Madrid"}),
    ):
        r = await web.request(method, f"{API}{path}", headers=as_agent, json=body)
        assert r.status_code == 403, (method, path, r.text)

    # An admin: the configuration, and the team's admins and agents, but not its owners, its slug or deleting it.
    assert (await web.post(f"{API}/assistants", headers=as_admin, json={"name": "Night desk"})).status_code == 201
    assert (await web.get(f"{API}/audit", headers=as_admin)).status_code == 200
    hours = {"timezone": "Europe/Madrid"}
    assert (await web.put(f"{API}/context/workspaces/{ws}/business-hours", headers=as_admin, json=hours)).is_success
    # the business's settings, as on the Business and Getting started pages; the slug stays the owners'
    sites = {"name": "Bella's Salon & Spa", "chat_origins": ["https://bellas.example"]}
    r = await web.patch(f"{API}/workspaces/{ws}", headers=as_admin, json=sites)
    assert r.status_code == 200 and r.json()["chat_origins"] == ["https://bellas.example"]
    r = await web.patch(f"{API}/members/{agent['id']}", headers=as_admin, json={"role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin"
    r = await web.patch(f"{API}/members/{agent['id']}", headers=as_admin, json={"role": "agent"})
    assert r.status_code == 200
    refused = (
        ("POST", "/members", {"email": _email("boss"), "role": "owner"}),
        ("PATCH", f"/members/{agent['id']}", {"role": "owner"}),
        ("PATCH", f"/members/{owner['user']['id']}", {"role": "agent"}),
        ("DELETE", f"/members/{owner['user']['id']}", None),
        ("PATCH", f"/workspaces/{ws}", {"slug": "mine-now"}),
        ("PATCH", f"/workspaces/{ws}", {"name": "Mine now", "slug": "mine-now"}),
        ("DELETE", f"/workspaces/{ws}", None),
    )
    for method, path, body in refused:
        r = await web.request(method, f"{API}{path}", headers=as_admin, json=body)
        assert r.status_code == 403, (method, path, r.text)
    roles = {m["email"]: m["role"] for m in (await web.get(f"{API}/members", headers=me)).json()}
    assert roles == {owner["user"]["email"]: "owner", agent["email"]: "agent", admin["email"]: "admin"}

    # The owner: the last owner cannot go; once there is another, they can.
    for r in (
        await web.patch(f"{API}/members/{owner['user']['id']}", headers=me, json={"role": "admin"}),
        await web.delete(f"{API}/members/{owner['user']['id']}", headers=me),
    ):
        assert r.status_code == 409 and "at least one owner" in r.json()["detail"]
    assert (await web.patch(f"{API}/members/{admin['id']}", headers=me, json={"role": "owner"})).status_code == 200
    assert (await web.patch(f"{API}/members/{owner['user']['id']}", headers=me, json={"role": "agent"})).is_success
    assert (await web.get(f"{API}/members", headers=me)).status_code == 403  # an agent now
    assert (await web.patch(f"{API}/workspaces/{ws}", headers=as_admin, json={"name": "Renamed"})).status_code == 200


async def test_an_invitation_opens_once_and_only_its_hash_is_kept(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await register(web)
    me, email = bearer(owner["token"]), _email("robin")
    r = await web.post(f"{API}/members", headers=me, json={"email": email.upper(), "role": "agent", "name": "Robin"})
    assert r.status_code == 201 and r.json()["member"] is None
    url, invitation = r.json()["url"], r.json()["invitation"]
    token = url.rsplit("/", 1)[-1]
    assert url == f"{runtime.settings.public_url.rstrip('/')}/invite/{token}" and invitation["email"] == email
    async with runtime.db.reader() as s:
        row = await s.get(Invitation, invitation["id"])
    assert row is not None and row.token_hash == token_hash(token)
    assert token not in str({c.name: getattr(row, c.name) for c in Invitation.__table__.columns})
    listed = (await web.get(f"{API}/invitations", headers=me)).json()
    assert [i["id"] for i in listed] == [invitation["id"]] and "token" not in str(listed)

    accept = f"{API}/auth/invitations/{token}/accept"
    r = await web.post(accept, json={"name": "Robin", "password": "password1234"})
    assert r.status_code == 422 and "too easy to guess" in r.text  # register's strength check
    r = await web.post(accept, json={"name": "Robin", "password": NEW_PASSWORD})
    assert r.status_code == 200 and r.json()["role"] == "agent"
    profile = (await web.get(f"{API}/auth/profile", headers=bearer(r.json()["session"]["token"]))).json()
    assert profile["user"]["email"] == email and profile["workspace"]["id"] == owner["workspace"]["id"]
    r = await web.post(accept, json={"name": "Mallory", "password": NEW_PASSWORD + " again"})
    assert r.status_code == 410 and "already used" in r.json()["detail"]
    assert (await web.get(f"{API}/invitations", headers=me)).json() == []
    r = await web.post(f"{API}/auth/invitations/fdi_{'x' * 43}/accept", json={"password": NEW_PASSWORD})
    assert r.status_code == 404
    r = await web.post(f"{API}/auth/invitations/{'x' * 5000}/accept", json={"password": NEW_PASSWORD})
    assert r.status_code == 404


async def test_withdrawn_replaced_and_expired_invitations_open_nothing(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await register(web)
    me = bearer(owner["token"])

    async def invite(email: str) -> tuple[str, str]:
        r = await web.post(f"{API}/members", headers=me, json={"email": email, "role": "admin"})
        assert r.status_code == 201, r.text
        return r.json()["invitation"]["id"], r.json()["url"].rsplit("/", 1)[-1]

    async def accept(token: str) -> httpx.Response:
        return await web.post(f"{API}/auth/invitations/{token}/accept", json={"password": NEW_PASSWORD})

    withdrawn_id, withdrawn = await invite(_email("kim"))
    assert (await web.delete(f"{API}/invitations/{withdrawn_id}", headers=me)).status_code == 204
    r = await accept(withdrawn)
    assert r.status_code == 410 and "withdrawn" in r.json()["detail"]

    again = _email("lee")
    _first_id, first = await invite(again)
    _second_id, second = await invite(again)  # inviting again replaces the first link
    assert (await accept(first)).status_code == 410

    expired_id, expired = await invite(_email("ash"))
    async with runtime.db.session() as s:
        await s.execute(
            update(Invitation).where(Invitation.id == expired_id).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = await accept(expired)
    assert r.status_code == 410 and "expired" in r.json()["detail"]
    assert (await accept(second)).status_code == 200
    assert (await web.delete(f"{API}/invitations/{_second_id}", headers=me)).status_code == 409  # already joined


async def test_someone_with_an_account_is_added_at_once_and_removing_them_signs_them_out(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, sam = await register(web), await register(web, workspace_name="Sam's own")
    me = bearer(owner["token"])
    r = await web.post(f"{API}/members", headers=me, json={"email": sam["user"]["email"], "role": "agent"})
    assert r.status_code == 201 and r.json()["member"]["role"] == "agent" and r.json()["url"] is None
    r = await web.post(f"{API}/members", headers=me, json={"email": sam["user"]["email"], "role": "admin"})
    assert r.status_code == 409
    login = {"email": sam["user"]["email"], "password": PASSWORD, "workspace": owner["workspace"]["id"]}
    there = (await web.post(f"{API}/auth/login", json=login)).json()["token"]
    assert (await web.get(f"{API}/conversations", headers=bearer(there))).status_code == 200

    assert (await web.delete(f"{API}/members/{sam['user']['id']}", headers=me)).status_code == 204
    assert (await web.get(f"{API}/conversations", headers=bearer(there))).status_code == 401
    assert (await web.get(f"{API}/auth/profile", headers=bearer(sam["token"]))).status_code == 200  # their own stays
    async with runtime.db.reader() as s:
        assert (await s.execute(select(User.id).where(User.id == sam["user"]["id"]))).first() is not None
    assert (await web.delete(f"{API}/members/{sam['user']['id']}", headers=me)).status_code == 404


def test_the_operator_manages_a_team_from_the_cli(cli: CliRunner, db_url: str) -> None:
    slug = f"cli-salon-{uuid.uuid4().hex[:6]}"
    r = cli.invoke(main, ["workspace", "create", "CLI Salon", "--slug", slug])
    assert r.exit_code == 0, r.output
    owner = _email("owner")
    r = cli.invoke(main, ["user", "invite", owner, "--workspace", slug, "--role", "owner", "--json"])
    assert r.exit_code == 0, r.output
    link = json.loads(r.output)
    assert link["added"] is False and "/invite/fdi_" in link["url"]
    r = cli.invoke(main, ["user", "list", "--workspace", slug, "--json"])
    assert [i["email"] for i in json.loads(r.output)["invitations"]] == [owner]

    async def accept(db: Database) -> None:
        token = link["url"].rsplit("/", 1)[-1]
        await team.accept(db, token=token, name="Olive", password=NEW_PASSWORD, address="192.0.2.7")

    async def on_db() -> None:
        db = Database(db_url)
        try:
            await accept(db)
        finally:
            await db.dispose()

    asyncio.run(on_db())
    r = cli.invoke(main, ["user", "role", owner.upper(), "agent", "--workspace", slug])
    assert r.exit_code != 0 and "at least one owner" in r.output  # the only owner: the operator cannot either
    r = cli.invoke(main, ["user", "remove", "nobody@example.com", "--workspace", slug])
    assert r.exit_code != 0 and "nobody with the email" in r.output
    r = cli.invoke(main, ["user", "list", "--workspace", slug, "--json"])
    assert [(m["email"], m["role"]) for m in json.loads(r.output)["members"]] == [(owner, "owner")]
