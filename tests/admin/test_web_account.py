"""/account: everyone changes their own password (the API's rules: current password, strength, other
sessions signed out, this one kept) and makes another workspace, landing in it; owners change the
workspace's slug and delete it (typing its name), then land in another workspace or the sign-in page.
Agents get the API's 403 for what only owners may do."""

from __future__ import annotations

import re

import httpx

from bot.runtime import Runtime
from tests.admin.conftest import API, PASSWORD, bearer, register
from tests.admin.test_web_team import _add_staff, _workspace_of
from tests.admin.web_pages import Visitor

NEW_PASSWORD = "violet tractor marmalade"


def beside(page: httpx.Response, field: str) -> str:
    """The error shown beside a field (its aria-describedby help)."""
    found = re.search(rf'<small id="{field}-help" class="field-error">([^<]*)<', page.text)
    assert found, page.text
    return found.group(1).replace("&#39;", "'")


async def test_changing_my_password_signs_out_my_other_sessions_only(web: httpx.AsyncClient) -> None:
    me = Visitor(web)
    await me.register()
    page = await web.get("/account")
    assert page.status_code == 200
    assert me.email in page.text and "Owner" in page.text and "Bella&#39;s Salon" in page.text
    assert 'href="/account"' in (await web.get("/inbox")).text  # the header's link
    phone = (await web.post(f"{API}/auth/login", json={"email": me.email, "password": PASSWORD})).json()["token"]

    r = await me.submit(
        "/account", "/account/password", {"current_password": "not it at all", "new_password": NEW_PASSWORD}
    )
    assert r.status_code == 422 and beside(r, "current_password") == "That is not your current password."
    r = await me.submit("/account", "/account/password", {"current_password": PASSWORD, "new_password": "short"})
    assert r.status_code == 422 and "10 to 256" in beside(r, "new_password")
    r = await me.submit("/account", "/account/password", {"current_password": PASSWORD, "new_password": "password1234"})
    assert r.status_code == 422 and "guess" in beside(r, "new_password")
    assert (await web.get(f"{API}/auth/profile", headers=bearer(phone))).status_code == 200  # nothing changed yet

    r = await me.submit("/account", "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/account?done=password"
    done = await web.get(r.headers["location"])
    assert done.status_code == 200 and "Password changed" in done.text  # this browser is still signed in
    assert (await web.get(f"{API}/auth/profile", headers=bearer(phone))).status_code == 401
    old = {"email": me.email, "password": PASSWORD}
    assert (await web.post(f"{API}/auth/login", json=old)).status_code == 401
    assert (await web.post(f"{API}/auth/login", json={**old, "password": NEW_PASSWORD})).status_code == 200


async def test_an_agent_changes_their_password_but_not_the_workspace(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    workspace_id = await _workspace_of(web, owner)
    sam = await _add_staff(web, runtime, workspace_id)
    await owner.sign_out()
    agent = Visitor(web, email=sam["email"])
    assert (await agent.sign_in()).status_code == 303

    page = await web.get("/account")
    assert page.status_code == 200 and "Agent" in page.text
    assert 'action="/account/workspace/slug"' not in page.text and "Only its owners" in page.text
    r = await agent.submit("/account", "/account/workspace/slug", {"slug": "taken-by-sam"})
    assert r.status_code == 403 and "Only the workspace&#39;s owners" in r.text
    r = await agent.submit("/account", "/account/workspace/delete", {"confirm": "Bella's Salon"})
    assert r.status_code == 403
    assert (await web.get("/account")).status_code == 200  # the workspace is still there
    r = await agent.submit(
        "/account", "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert r.status_code == 303


async def test_making_another_workspace_lands_in_it(web: httpx.AsyncClient) -> None:
    me = Visitor(web)
    await me.register()
    other = await register(web, workspace_name="Taken Name")
    taken = other["workspace"]["slug"]

    form = {"name": "Bella's Barbers", "slug": "", "timezone": "Mars/Olympus"}
    r = await me.submit("/account", "/account/workspaces", form)
    assert r.status_code == 422 and "time zone" in beside(r, "new-workspace-timezone")
    assert 'value="Bella&#39;s Barbers"' in r.text  # what was typed stays
    r = await me.submit("/account", "/account/workspaces", {**form, "timezone": "Europe/Madrid", "slug": "Not A Slug"})
    assert r.status_code == 422 and "Lowercase" in beside(r, "new-workspace-slug")
    r = await me.submit("/account", "/account/workspaces", {**form, "timezone": "Europe/Madrid", "slug": taken})
    assert r.status_code == 409 and "taken" in beside(r, "new-workspace-slug")

    r = await me.submit(
        "/account", "/account/workspaces", {**form, "timezone": "Europe/Madrid", "slug": "bella-barbers"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/getting-started"
    page = await web.get("/account")
    assert "This workspace: Bella&#39;s Barbers" in page.text
    assert page.text.count('<span class="role">Owner</span>') == 2  # both workspaces, owner of each
    api = (await web.post(f"{API}/auth/login", json={"email": me.email, "password": PASSWORD})).json()["token"]
    mine = (await web.get(f"{API}/workspaces", headers=bearer(api))).json()
    made = next(w for w in mine if w["slug"] == "bella-barbers")
    assert made["timezone"] == "Europe/Madrid" and made["role"] == "owner"
    tokens = await web.get("/tokens")
    assert tokens.text.count("(this browser)") == 1


async def test_an_owner_changes_the_slug_and_deletes_workspaces(web: httpx.AsyncClient) -> None:
    me = Visitor(web)
    await me.register(workspace_name="First Salon")
    r = await me.submit("/account", "/account/workspaces", {"name": "Second Salon", "slug": "", "timezone": "UTC"})
    assert r.status_code == 303
    other = await register(web, workspace_name="Someone Else")

    r = await me.submit("/account", "/account/workspace/slug", {"slug": "-bad-"})
    assert r.status_code == 422 and "Lowercase" in beside(r, "workspace-slug")
    r = await me.submit("/account", "/account/workspace/slug", {"slug": other["workspace"]["slug"]})
    assert r.status_code == 409 and "taken" in beside(r, "workspace-slug")
    r = await me.submit("/account", "/account/workspace/slug", {"slug": "second-salon-madrid"})
    assert r.status_code == 303
    page = await web.get(r.headers["location"])
    assert "new address" in page.text and 'value="second-salon-madrid"' in page.text
    assert (await web.get("/chat/second-salon-madrid")).status_code == 200

    r = await me.submit("/account", "/account/workspace/delete", {"confirm": "second salon"})
    assert r.status_code == 422 and "exactly" in beside(r, "delete-confirm")
    r = await me.submit("/account", "/account/workspace/delete", {"confirm": "Second Salon"})
    assert r.status_code == 303 and r.headers["location"] == "/inbox"
    page = await web.get("/account")
    assert "This workspace: First Salon" in page.text and "Second Salon" not in page.text
    assert (await web.get("/chat/second-salon-madrid")).status_code == 404

    r = await me.submit("/account", "/account/workspace/delete", {"confirm": "First Salon"})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert (await web.get("/account")).headers["location"].startswith("/login")
    answer = await web.post(f"{API}/auth/login", json={"email": me.email, "password": PASSWORD})
    assert answer.status_code == 403  # an account in no workspace
    assert (
        await web.get(f"{API}/workspaces/{other['workspace']['id']}", headers=bearer(other["token"]))
    ).status_code == 200
