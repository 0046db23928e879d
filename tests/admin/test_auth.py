"""Accounts and tokens: register, log in and out, profile, and every way a token is refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from bot.runtime import Runtime
from core.crypto import token_hash
from core.messages import utcnow
from core.models import ApiToken, User, Workspace
from tests.admin.conftest import API, PASSWORD, bearer, register
from tests.support import new_workspace

OTHER_PASSWORD = "velvet kettles argue softly"


async def test_register_login_profile_logout(client: httpx.AsyncClient, runtime: Runtime) -> None:
    session = await register(client, email="Bella@Example.com", workspace_name="Bella's Salon")
    assert session["user"]["email"] == "bella@example.com"
    assert session["workspace"]["slug"] == "bellas-salon" and session["role"] == "owner"
    assert "password" not in str(session) and "hash" not in str(session)

    profile = await client.get(f"{API}/auth/profile", headers=bearer(session["token"]))
    assert profile.status_code == 200
    assert profile.json()["user"]["id"] == session["user"]["id"]
    assert profile.json()["workspace"]["id"] == session["workspace"]["id"] and profile.json()["role"] == "owner"

    # The email is taken: the same answer as ever, but its token opens nothing (test below).
    r = await client.post(
        f"{API}/auth/register",
        json={"email": "BELLA@example.com", "password": OTHER_PASSWORD, "name": "Another", "workspace_name": "Other"},
    )
    assert r.status_code == 201
    assert (await client.get(f"{API}/auth/profile", headers=bearer(r.json()["token"]))).status_code == 401

    login = await client.post(f"{API}/auth/login", json={"email": " bella@EXAMPLE.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    assert token != session["token"] and login.json()["workspace"]["id"] == session["workspace"]["id"]

    assert (await client.post(f"{API}/auth/logout", headers=bearer(token))).status_code == 204
    r = await client.get(f"{API}/auth/profile", headers=bearer(token))
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    # The other session is untouched by this logout.
    assert (await client.get(f"{API}/auth/profile", headers=bearer(session["token"]))).status_code == 200

    async with runtime.db.reader() as s:
        user = (await s.execute(select(User).where(User.email == "bella@example.com"))).scalar_one()
        assert user.password_hash is not None and user.password_hash.startswith("$argon2")
        tokens = (await s.execute(select(ApiToken).where(ApiToken.user_id == user.id))).scalars().all()
    # Only hashes are stored, and only the session tokens handed out exist (no unseen owner token).
    assert {t.token_hash for t in tokens} == {token_hash(session["token"]), token_hash(token)}
    assert all(t.kind == "session" and t.expires_at is not None for t in tokens)


def shape(value: Any) -> Any:
    """A JSON answer with every value replaced by its type: what a client parsing it relies on."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__


async def test_registration_does_not_tell_whether_an_email_has_an_account(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await register(client, email="bella@example.com", workspace_name="Bella's Salon")

    async def attempt(email: str, password: str, workspace_name: str = "Bella's Salon") -> httpx.Response:
        body = {"email": email, "password": password, "name": "Nia", "workspace_name": workspace_name}
        return await client.post(f"{API}/auth/register", json=body)

    async def counts() -> list[int]:
        async with runtime.db.reader() as s:
            return [
                (await s.execute(select(func.count()).select_from(m))).scalar_one() for m in (User, Workspace, ApiToken)
            ]

    free = await attempt("nia@example.com", OTHER_PASSWORD)
    before = await counts()
    taken = await attempt(" BELLA@example.com", OTHER_PASSWORD)
    assert free.status_code == taken.status_code == 201
    assert shape(free.json()) == shape(taken.json())
    # Down to the values a new account would have had: its name, the next free slug, the owner role.
    assert taken.json()["user"]["email"] == "bella@example.com" and taken.json()["user"]["name"] == "Nia"
    assert (
        free.json()["workspace"]["slug"] == "bellas-salon-2" and taken.json()["workspace"]["slug"] == "bellas-salon-3"
    )
    assert taken.json()["role"] == "owner" and taken.json()["workspace"]["role"] == "owner"
    assert taken.json()["user"]["id"] != owner["user"]["id"]
    # Nothing was created, and the token opens nothing.
    assert await counts() == before
    assert (await client.get(f"{API}/auth/profile", headers=bearer(taken.json()["token"]))).status_code == 401

    # With the account's own password (a retried registration): that account's session, nothing new.
    again = await attempt("bella@example.com", PASSWORD, workspace_name="Something Else")
    assert again.status_code == 201
    assert again.json()["user"]["id"] == owner["user"]["id"]
    assert again.json()["workspace"]["id"] == owner["workspace"]["id"]
    assert (await client.get(f"{API}/auth/profile", headers=bearer(again.json()["token"]))).status_code == 200
    assert (await counts())[:2] == before[:2]


async def test_wrong_password_and_unknown_email_look_the_same(client: httpx.AsyncClient) -> None:
    await register(client, email="owner@example.com")
    wrong = await client.post(f"{API}/auth/login", json={"email": "owner@example.com", "password": "not it!!!!!"})
    unknown = await client.post(f"{API}/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "wrong email or password"}


async def test_bad_input_is_refused_with_422(client: httpx.AsyncClient) -> None:
    good = {"email": "a@example.com", "password": PASSWORD, "name": "A", "workspace_name": "W"}
    for change in (
        {"password": "short"},
        {"email": "not-an-email"},
        {"workspace_name": "  "},
        {"name": "x" * 201},
        {"password": "x" * 300},
        {"role": "owner"},
    ):
        r = await client.post(f"{API}/auth/register", json={**good, **change})
        assert r.status_code == 422, (change, r.text)
    assert (await client.post(f"{API}/auth/login", json={"email": "a@example.com"})).status_code == 422


async def test_refused_tokens(client: httpx.AsyncClient, runtime: Runtime) -> None:
    session = await register(client)
    revoked = (
        await client.post(f"{API}/auth/login", json={"email": session["user"]["email"], "password": PASSWORD})
    ).json()["token"]
    await client.post(f"{API}/auth/logout", headers=bearer(revoked))
    expired = (
        await client.post(f"{API}/auth/login", json={"email": session["user"]["email"], "password": PASSWORD})
    ).json()["token"]
    async with runtime.db.session() as s:
        await s.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == token_hash(expired))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    cases: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer fd_garbage"},
        {"Authorization": f"Basic {session['token']}"},
        {"Authorization": "Bearer " + "x" * 5000},
        bearer(revoked),
        bearer(expired),
    ]
    for headers in cases:
        r = await client.get(f"{API}/auth/profile", headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
    # The same refusal on any resource, not just the profile.
    assert (await client.get(f"{API}/conversations", headers=bearer(expired))).status_code == 401


async def test_workspace_header_and_login_choose_the_workspace(client: httpx.AsyncClient) -> None:
    owner = await register(client, workspace_name="First")
    stranger = await register(client, workspace_name="Stranger's")
    r = await client.post(f"{API}/workspaces", headers=bearer(owner["token"]), json={"name": "Second"})
    assert r.status_code == 201, r.text
    second = r.json()["workspace"]

    for ref in (second["id"], second["slug"]):
        r = await client.get(f"{API}/auth/profile", headers=bearer(owner["token"], ref))
        assert r.status_code == 200 and r.json()["workspace"]["id"] == second["id"]
    for ref in (stranger["workspace"]["id"], stranger["workspace"]["slug"], "no-such-workspace"):
        r = await client.get(f"{API}/assistants", headers=bearer(owner["token"], ref))
        assert r.status_code == 404, ref

    login = await client.post(
        f"{API}/auth/login", json={"email": owner["user"]["email"], "password": PASSWORD, "workspace": second["slug"]}
    )
    assert login.status_code == 200 and login.json()["workspace"]["id"] == second["id"]
    first = await client.post(f"{API}/auth/login", json={"email": owner["user"]["email"], "password": PASSWORD})
    assert first.json()["workspace"]["id"] == owner["workspace"]["id"]
    r = await client.post(
        f"{API}/auth/login",
        json={"email": owner["user"]["email"], "password": PASSWORD, "workspace": stranger["workspace"]["slug"]},
    )
    assert r.status_code == 404


async def test_cli_token_acts_as_owner_of_its_workspace_only(client: httpx.AsyncClient, runtime: Runtime) -> None:
    cli = await new_workspace(runtime.db, "Corner Barber")
    other = await register(client)
    headers = bearer(cli.token)
    profile = (await client.get(f"{API}/auth/profile", headers=headers)).json()
    assert profile["user"] is None and profile["role"] == "owner"
    assert profile["workspace"]["id"] == cli.workspace.id
    assert [w["id"] for w in (await client.get(f"{API}/workspaces", headers=headers)).json()] == [cli.workspace.id]
    assert (await client.get(f"{API}/auth/profile", headers=bearer(cli.token, cli.workspace.slug))).status_code == 200
    r = await client.get(f"{API}/auth/profile", headers=bearer(cli.token, other["workspace"]["id"]))
    assert r.status_code == 404
    assert (await client.post(f"{API}/workspaces", headers=headers, json={"name": "More"})).status_code == 403


async def test_last_used_is_recorded(client: httpx.AsyncClient, runtime: Runtime) -> None:
    session = await register(client)
    assert (await client.get(f"{API}/auth/profile", headers=bearer(session["token"]))).status_code == 200
    async with runtime.db.reader() as s:
        row = (
            await s.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(session["token"])))
        ).scalar_one()
    assert row.last_used_at is not None and utcnow() - row.last_used_at < timedelta(minutes=1)


async def test_easily_guessed_passwords_are_refused_with_the_reason(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = {"email": "bella@example.com", "name": "Bella", "workspace_name": "Bella's Salon"}
    for password, why in (
        ("password1234", "This is a very common password."),
        ("qwertyuiop12", "similar to a commonly used password"),
        ("bellassalon2024", "made from your email, name or workspace name"),
        ("bella@example.com", "made from your email, name or workspace name"),
        ("aaaaaaaaaaaaaa", 'Repeats like "aaa" are easy to guess.'),
    ):
        r = await client.post(f"{API}/auth/register", json={**account, "password": password})
        assert r.status_code == 422, (password, r.text)
        [error] = r.json()["detail"]
        assert error["loc"] == ["body", "password"] and error["type"] == "weak_password"
        assert why in error["msg"] and "passphrase of four or more unrelated words" in error["msg"], error["msg"]
    async with runtime.db.reader() as s:
        assert (await s.execute(select(User))).first() is None
    assert (await client.post(f"{API}/auth/register", json={**account, "password": PASSWORD})).status_code == 201


async def test_change_password_checks_both_and_signs_out_other_sessions(client: httpx.AsyncClient) -> None:
    session = await register(client, email="bella@example.com")
    here = bearer(session["token"])
    elsewhere = (
        await client.post(f"{API}/auth/login", json={"email": "bella@example.com", "password": PASSWORD})
    ).json()
    new = "lantern quietly orbits marmalade"

    async def change(current: str, new_password: str) -> httpx.Response:
        body = {"current_password": current, "new_password": new_password}
        return await client.post(f"{API}/auth/password", headers=here, json=body)

    r = await change(PASSWORD, "password1234")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "new_password"]
    assert "very common password" in r.json()["detail"][0]["msg"]
    r = await change("not my password", new)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "current_password"]
    assert (await change(PASSWORD, new)).status_code == 204

    login = {"email": "bella@example.com"}
    assert (await client.post(f"{API}/auth/login", json={**login, "password": PASSWORD})).status_code == 401
    assert (await client.post(f"{API}/auth/login", json={**login, "password": new})).status_code == 200
    # Signed out everywhere else (a stolen session too), still signed in here.
    assert (await client.get(f"{API}/auth/profile", headers=bearer(elsewhere["token"]))).status_code == 401
    assert (await client.get(f"{API}/auth/profile", headers=here)).status_code == 200


async def test_simultaneous_registrations_with_one_business_name_all_get_working_accounts(
    web: httpx.AsyncClient,
) -> None:
    async def one(i: int) -> httpx.Response:
        body = {"email": f"owner{i}@example.com", "password": PASSWORD, "name": "", "workspace_name": "Same Name"}
        return await web.post(f"{API}/auth/register", json=body)

    slugs = []
    for r in await asyncio.gather(*(one(i) for i in range(6))):
        assert r.status_code == 201, r.text
        profile = await web.get(f"{API}/auth/profile", headers=bearer(r.json()["token"]))
        assert profile.status_code == 200  # a taken slug is retried, not mistaken for a taken email
        slugs.append(profile.json()["workspace"]["slug"])
    assert sorted(slugs) == ["same-name", *(f"same-name-{n}" for n in range(2, 7))]
