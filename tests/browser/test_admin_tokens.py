"""An owner in the browser makes an API token for a script, the script changes a conversation through
the API with it, and the audit log shows what the script did; then the owner revokes the token.
Both pages pass axe-core and fit a phone; screenshots in docs/screenshots/."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.browser.test_admin_signin import _fits_a_phone, _press, _register


def test_an_owner_makes_a_token_a_script_uses_it_and_the_audit_log_shows_it(
    live_server: LiveServer, page: Page
) -> None:
    url = live_server.url
    _register(page, url, f"bella-{uuid.uuid4().hex[:6]}@example.com", "Bella's Salon")
    with page.expect_navigation():
        page.get_by_role("link", name="Access").click()
    expect(page.get_by_text("(this browser)")).to_be_visible()

    page.get_by_text("Make an API token").click()
    page.get_by_label("What is it for?").fill("booking system")
    page.get_by_label("What it may do").select_option("full")
    _press(page, "Make token")
    token = page.get_by_label("Token (full)").input_value()
    assert token.startswith("fd_")
    assert_accessible(page)
    save_screenshots(page, "admin-tokens")
    _fits_a_phone(page)

    # The script: a customer writes, then the script raises the conversation's priority with the token.
    api = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    slug = api.get("/assistants").json()[0]["slug"]
    assert httpx.post(f"{url}/api/v1/chat", json={"agent": slug, "message": "Any slots Friday?"}, timeout=30).is_success
    conversation = api.get("/conversations", params={"view": "all"}).json()["items"][0]
    assert api.patch(f"/conversations/{conversation['id']}", json={"priority": "urgent"}).is_success

    with page.expect_navigation():
        page.get_by_role("link", name="Audit log").click()
    expect(page.locator("ol.audit").get_by_text("changed the priority")).to_be_visible()
    expect(page.locator("ol.audit ins").first).to_have_text("urgent")
    expect(page.locator("ol.audit strong").first).to_have_text("API token “booking system”")
    assert_accessible(page)
    save_screenshots(page, "admin-audit")
    _fits_a_phone(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Access").click()
    _press(page, "Revoke booking system")
    expect(page.get_by_role("status")).to_contain_text("Revoked")
    assert api.get("/conversations").status_code == 401
