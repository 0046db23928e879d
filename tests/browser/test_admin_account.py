"""In the browser: an owner opens their account from the header and changes their password (a wrong
current password is named beside its field), then sets the knowledge base's answer threshold and
reindexes a document, watching its job become ready. Every page passes axe-core and fits a phone;
screenshots admin-account-* in docs/screenshots/."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.browser.test_admin_signin import PASSWORD, _fits_a_phone, _press, _register, _sign_in

NEW_PASSWORD = "violet tractor marmalade"
FAQ = "question,answer\nHow much is a haircut?,A haircut is thirty dollars.\n"


def test_an_owner_changes_password_threshold_and_reindexes(live_server: LiveServer, page: Page, tmp_path: Path) -> None:
    url, email = live_server.url, f"bella-{uuid.uuid4().hex[:6]}@example.com"
    _register(page, url, email, "Bella's Salon")
    with page.expect_navigation():
        page.get_by_role("link", name="your account").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    _press(page, "Change password")
    expect(page.locator("#current_password-help")).to_have_text("That is not your current password.")
    expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    save_screenshots(page, "admin-account-refused")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    _press(page, "Change password")
    expect(page.get_by_role("status")).to_contain_text("Password changed")
    page.get_by_text("Delete this workspace…").click()
    assert_accessible(page)
    save_screenshots(page, "admin-account")
    _fits_a_phone(page)

    _press(page, "Sign out")
    _sign_in(page, email, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()

    page.goto(f"{url}/knowledge/embedding")
    expect(page.get_by_role("heading", name="Embedding model")).to_be_visible()
    page.get_by_label("Answer threshold").fill("2")
    _press(page, "Save")
    expect(page.locator("#answer_threshold-help")).to_contain_text("from 0 to 1")
    page.get_by_label("Answer threshold").fill("0.5")
    _press(page, "Save")
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.get_by_label("Answer threshold")).to_have_value("0.5")
    assert_accessible(page)
    save_screenshots(page, "admin-account-embedding")
    _fits_a_phone(page)

    page.goto(f"{url}/knowledge")
    page.get_by_text("Make a collection").click()
    page.get_by_label("Name").fill("Prices")
    _press(page, "Make collection")
    sheet = tmp_path / "prices.csv"
    sheet.write_text(FAQ)
    page.get_by_label("Choose files", exact=True).set_input_files(str(sheet))
    row = page.locator("[data-uploads] > li").filter(has_text="prices.csv")
    expect(row.locator(".job-words")).to_have_text("Ready", timeout=30_000)
    with page.expect_navigation():
        row.get_by_role("link", name="1 passage").click()
    _press(page, "Reindex")
    expect(page.locator(".reindexing .job-words")).to_have_text("Ready", timeout=30_000)
    expect(page.get_by_text("thirty dollars")).to_be_visible()
    assert_accessible(page)
    save_screenshots(page, "admin-account-reindex")
    _fits_a_phone(page)
