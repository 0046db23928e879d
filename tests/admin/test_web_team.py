"""/team and resetting a staff member's password: from the owner's page and from the server's CLI,
through the one service function (admin.auth.service.reset_password), which signs them out everywhere."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from click.testing import CliRunner
from sqlalchemy import select

from admin.auth import service as auth
from admin.team import service as team_service
from bot.cli import main
from bot.runtime import Runtime
from core.db import Database
from core.models import Membership, User
from core.workspaces import token_owner
from tests.admin.conftest import API, PASSWORD, bearer, register
from tests.admin.web_pages import Visitor, error_text

NEW_PASSWORD = "violet lantern harbour quilt"
T = TypeVar("T")


async def _add_staff(
    web: httpx.AsyncClient, runtime: Runtime, workspace_id: str, *, name: str = "Sam"
) -> dict[str, str]:
    """A person with an account of their own (and its API session), made staff of the workspace."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com"
    r = await web.post(
        f"{API}/auth/register",
        json={"email": email, "password": PASSWORD, "name": name, "workspace_name": f"{name}'s own"},
    )
    session = r.json()
    async with runtime.db.session() as s:
        # Their registration made them a workspace of their own; only this one is theirs now.
        await s.execute(Membership.__table__.delete().where(Membership.user_id == session["user"]["id"]))
        s.add(Membership(workspace_id=workspace_id, user_id=session["user"]["id"], role="agent"))
    return {"email": email, "id": session["user"]["id"], "token": session["token"]}


async def _workspace_of(web: httpx.AsyncClient, owner: Visitor) -> str:
    """The owner's workspace id (the API's registration with their email and password: a session there)."""
    return str((await register(web, email=owner.email))["workspace"]["id"])


async def _signs_in(web: httpx.AsyncClient, email: str, password: str) -> bool:
    return (await web.post(f"{API}/auth/login", json={"email": email, "password": password})).status_code == 200


async def test_an_owner_sees_the_team_and_resets_a_staff_members_password(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = Visitor(web)
    await owner.register()
    workspace_id = await _workspace_of(web, owner)
    sam = await _add_staff(web, runtime, workspace_id)
    team = await web.get("/team")
    assert team.status_code == 200
    assert "Bella</strong> (you)" in team.text and sam["email"] in team.text and "Agent" in team.text
    assert team.text.count('action="/team/password"') == 1  # the agent only: an owner keeps their own

    r = await owner.submit("/team", "/team/password", {"user_id": sam["id"], "new_password": "password1234"})
    assert r.status_code == 422 and "too easy to guess" in error_text(r)
    assert await _signs_in(web, sam["email"], PASSWORD)  # nothing changed

    r = await owner.submit("/team", "/team/password", {"user_id": sam["id"], "new_password": NEW_PASSWORD})
    assert r.status_code == 200 and "Sam&#39;s password is changed" in r.text
    assert (await web.get(f"{API}/auth/profile", headers=bearer(sam["token"]))).status_code == 401  # signed out
    assert not await _signs_in(web, sam["email"], PASSWORD)
    assert await _signs_in(web, sam["email"], NEW_PASSWORD)


async def test_an_owner_cannot_reset_an_owner_or_someone_of_another_workspace(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = Visitor(web)
    await owner.register()
    workspace_id = await _workspace_of(web, owner)
    stranger = await register(web, workspace_name="Elsewhere")
    shared = await _add_staff(web, runtime, workspace_id, name="Kim")
    async with runtime.db.session() as s:  # Kim also works elsewhere: this owner does not speak for that
        s.add(Membership(workspace_id=stranger["workspace"]["id"], user_id=shared["id"], role="agent"))
        me = (await s.execute(select(User.id).where(User.email == owner.email))).scalar_one()
    for user_id, said in (
        (stranger["user"]["id"], "no such person in this workspace"),
        (me, "an owner changes their own password"),
        (shared["id"], "they belong to other workspaces too"),
        ("not-an-id", "no such person in this workspace"),
    ):
        r = await owner.submit("/team", "/team/password", {"user_id": user_id, "new_password": NEW_PASSWORD})
        assert r.status_code == 422 and said in error_text(r), user_id
    assert await _signs_in(web, stranger["user"]["email"], PASSWORD)
    assert await _signs_in(web, shared["email"], PASSWORD)


def test_the_operator_resets_a_password_from_the_cli(cli: CliRunner, db_url: str) -> None:
    """A sync test: the CLI runs its own event loop."""

    async def on_db(work: Callable[[Database], Awaitable[T]]) -> T:
        db = Database(db_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    async def signs_in(password: str) -> bool:
        try:
            await on_db(lambda db: auth.check_login(db, email=email, password=password, address="192.0.2.1"))
        except auth.BadCredentials:
            return False
        return True

    async def token_works() -> bool:
        async def check(db: Database) -> bool:
            async with db.reader() as s:
                return await token_owner(s, session_token) is not None

        return await on_db(check)

    email = f"sam-{uuid.uuid4().hex[:6]}@example.com"
    _user, _workspace, _role, session_token = asyncio.run(
        on_db(
            lambda db: auth.register(
                db, email=email, password=PASSWORD, name="Sam", workspace_name="Sam's", address="192.0.2.1"
            )
        )
    )
    r = cli.invoke(main, ["user", "reset-password", email.upper()], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert r.output.count("New password") == 1 and "Again" in r.output and NEW_PASSWORD not in r.output
    assert f"Password changed for {email}" in r.output
    assert not asyncio.run(token_works())  # signed out everywhere
    assert asyncio.run(signs_in(NEW_PASSWORD)) and not asyncio.run(signs_in(PASSWORD))

    r = cli.invoke(main, ["user", "reset-password", email, "--password-stdin"], input=f"{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert asyncio.run(signs_in(PASSWORD))
    r = cli.invoke(main, ["user", "reset-password", email, "--password-stdin"], input="password1234\n")
    assert r.exit_code == 1 and "too easy to guess" in r.output
    r = cli.invoke(main, ["user", "reset-password", "nobody@example.com", "--password-stdin"], input=f"{PASSWORD}\n")
    assert r.exit_code == 1 and "nobody has the email" in r.output


async def test_the_team_page_adds_changes_removes_and_withdraws(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    workspace_id = await _workspace_of(web, owner)
    sam = await _add_staff(web, runtime, workspace_id)
    r = await owner.submit("/team", "/team/role", {"user_id": sam["id"], "role": "admin"})
    assert r.status_code == 200 and "Sam is now an admin." in r.text
    robin = f"robin-{uuid.uuid4().hex[:6]}@example.com"
    r = await owner.submit("/team", "/team/invite", {"email": robin, "name": "Robin", "role": "agent"})
    assert r.status_code == 200 and "/invite/fdi_" in r.text
    link = r.text.split('id="invite-url" type="text" value="', 1)[1].split('"', 1)[0]
    path = link.removeprefix(runtime.settings.public_url.rstrip("/"))
    invite = await web.get(path)
    assert invite.status_code == 200 and "Join Bella&#39;s Salon" in invite.text and robin in invite.text
    async with runtime.db.reader() as s:
        [invitation_id] = [i.id for i in await team_service.pending(s, workspace_id=workspace_id)]
    r = await owner.submit("/team", "/team/revoke", {"invitation_id": invitation_id})
    assert r.status_code == 200 and f"The invitation to {robin} is withdrawn" in r.text
    gone = await web.get(path, headers={"Accept": "text/html"})
    assert gone.status_code == 410 and "withdrawn" in gone.text
    assert (await web.get("/invite/fdi_nothing", headers={"Accept": "text/html"})).status_code == 404
    r = await owner.submit("/team", "/team/remove", {"user_id": sam["id"]})
    assert r.status_code == 200 and "Sam is no longer in" in r.text
    assert (await web.get(f"{API}/auth/profile", headers=bearer(sam["token"]))).status_code == 401
    r = await owner.submit("/team", "/team/invite", {"email": "not an address"})
    assert r.status_code == 422 and "Enter their email address" in error_text(r)
