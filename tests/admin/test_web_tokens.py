"""/tokens and /audit in the web admin: an owner makes a scoped API token (shown once) that works on
the API at once and is refused after they revoke it; staff see and end only their own sign-ins; the
audit log shows who did what, filtered, to owners only."""

from __future__ import annotations

import re

import httpx

from bot.runtime import Runtime
from tests.admin.conftest import API, PASSWORD, bearer, make_tenant
from tests.admin.test_web_team import _add_staff, _workspace_of
from tests.admin.web_pages import Visitor, error_text

MADE = re.compile(r'id="made-token-value" type="text" value="(fd_[^"]+)"')


async def test_an_owner_makes_a_read_token_on_the_page_and_revokes_it(web: httpx.AsyncClient) -> None:
    owner = Visitor(web)
    await owner.register()
    page = await web.get("/tokens")
    assert page.status_code == 200 and "(this browser)" in page.text and "None yet." in page.text

    r = await owner.submit("/tokens", "/tokens", {"name": "weekly report", "scope": "read"})
    assert r.status_code == 200, r.text
    found = MADE.search(r.text)
    assert found, r.text
    token = found.group(1)
    assert "shown this once" in r.text
    # It works on the API at once, for reading only.
    assert (await web.get(f"{API}/conversations", headers=bearer(token))).status_code == 200
    refused = await web.post(f"{API}/tokens", headers=bearer(token), json={"name": "more"})
    assert refused.status_code == 403
    # Shown once: the list afterwards names it, never shows it.
    listed = await web.get("/tokens")
    assert "weekly report" in listed.text and token not in listed.text and token[:10] in listed.text

    for bad in ({"name": "", "scope": "read"}, {"name": "x", "scope": "admin"}, {"name": "x" * 300, "scope": "full"}):
        r = await owner.submit("/tokens", "/tokens", bad)
        assert r.status_code == 422 and "Give it a name" in error_text(r), bad

    revoke = r'name="token_id" value="([^"]+)">\s*<button[^>]*aria-label="Revoke weekly report"'
    token_id = re.search(revoke, listed.text)
    assert token_id, listed.text
    r = await owner.submit("/tokens", "/tokens/revoke", {"token_id": token_id.group(1)})
    assert r.status_code == 200 and "Revoked" in r.text and "weekly report" not in r.text
    assert (await web.get(f"{API}/conversations", headers=bearer(token))).status_code == 401
    again = await owner.submit("/tokens", "/tokens/revoke", {"token_id": token_id.group(1)})
    assert again.status_code == 404 and "not here" in error_text(again)


async def test_staff_see_their_own_sign_ins_and_no_audit_log(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    workspace_id = await _workspace_of(web, owner)  # also an API session of the owner's
    sam = await _add_staff(web, runtime, workspace_id)
    await owner.sign_out()
    staff = Visitor(web, email=sam["email"])
    assert (await staff.sign_in()).status_code == 303

    page = await web.get("/tokens")
    assert page.status_code == 200
    assert sam["email"] in page.text and owner.email not in page.text and "Make an API token" not in page.text
    r = await staff.submit("/tokens", "/tokens", {"name": "mine", "scope": "full"})
    assert r.status_code == 403 and "Only the workspace's owners and admins" in error_text(r)
    assert (await web.get("/audit")).status_code == 403
    assert 'href="/audit"' not in page.text

    # Signed in on another device too (the API's login in this workspace): they sign it out from here.
    login = {"email": sam["email"], "password": PASSWORD, "workspace": workspace_id}
    phone = (await web.post(f"{API}/auth/login", json=login)).json()["token"]
    page = await web.get("/tokens")
    sessions = re.findall(r'name="token_id" value="([^"]+)">\s*<button[^>]*aria-label="Sign out', page.text)
    assert len(sessions) == 2, page.text
    this_browser = re.search(r'\(this browser\).*?name="token_id" value="([^"]+)"', page.text, re.S)
    assert this_browser
    (elsewhere,) = [i for i in sessions if i != this_browser.group(1)]
    r = await staff.submit("/tokens", "/tokens/revoke", {"token_id": elsewhere})
    assert r.status_code == 200 and "Revoked" in r.text
    assert (await web.get(f"{API}/auth/profile", headers=bearer(phone))).status_code == 401
    r = await staff.submit("/tokens", "/tokens/revoke", {"token_id": this_browser.group(1)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert (await web.get("/tokens")).status_code in (303, 307)  # signed out: asked to sign in


async def test_the_audit_log_shows_who_did_what_filtered(client: httpx.AsyncClient) -> None:
    web = client  # with the worker running: the customer's message becomes a conversation
    tenant = await make_tenant(web, "Bella's Salon")  # the owner by the API, with a customer's conversation
    h, conversation_id = tenant.headers, tenant.conversation_id
    email = (await web.get(f"{API}/auth/profile", headers=h)).json()["user"]["email"]
    owner = Visitor(web, email=email)
    assert (await owner.sign_in()).status_code == 303  # and in the browser
    assert (await web.patch(f"{API}/conversations/{conversation_id}", headers=h, json={"priority": "high"})).is_success

    page = await web.get("/audit")
    assert page.status_code == 200
    assert "Bella</strong> changed the priority" in page.text
    assert f'href="/inbox/{conversation_id}"' in page.text and "API" in page.text
    assert "normal</del> → <ins>high" in page.text
    filtered = await web.get("/audit", params={"action": "draft.reject"})
    assert filtered.status_code == 200 and "Nothing matches." in filtered.text
    assert (await web.get("/audit", params={"offset": "-1"})).status_code in (400, 422)
    # Another workspace's owner sees none of it.
    other = Visitor(web)
    await owner.sign_out()
    await other.register(workspace_name="Elsewhere")
    theirs = await web.get("/audit")
    assert theirs.status_code == 200 and conversation_id not in theirs.text and "Nothing yet" in theirs.text
