"""An owner in the browser installs the front-desk template, adds a field, sees the workflow drawn
and checks the intents: every page passes axe-core and fits a phone; screenshots in docs/screenshots/."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.browser.test_admin_signin import _fits_a_phone, _press, _register


def test_an_owner_sets_up_the_conversation_context(live_server: LiveServer, page: Page) -> None:
    url = live_server.url
    _register(page, url, f"bella-{uuid.uuid4().hex[:6]}@example.com", "Bella's Salon")
    with page.expect_navigation():
        page.get_by_role("link", name="Context").click()
    expect(page.get_by_role("heading", name="Conversation context", level=1)).to_be_visible()
    assert_accessible(page)
    _press(page, "Install the front-desk template")
    expect(page.get_by_text("The front-desk template is installed.")).to_be_visible()

    page.get_by_text("Add a field").click()
    page.locator("#new-name").fill("loyalty_code")
    page.locator("#new-label").fill("Loyalty card")
    page.locator("#new-pattern").fill("[A-Z")
    _press(page, "Add field")
    expect(page.locator("#new-pattern-help")).to_contain_text("not a valid regular expression")
    assert_accessible(page)
    page.locator("#new-pattern").fill("[A-Z]{3}-[0-9]{4}")
    _press(page, "Add field")
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.locator(".context-fields")).to_contain_text("Loyalty card")
    assert_accessible(page)
    save_screenshots(page, "admin-context")
    _fits_a_phone(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Status workflow").click()
    expect(page.locator("figure.workflow svg")).to_be_visible()
    expect(page.locator(".status.initial")).to_contain_text("new")
    page.get_by_text("Add a priority rule").click()
    page.get_by_label("These fields are known").fill("shoe_size")
    _press(page, "Add priority rule")
    expect(page.locator("#rule-fields_set-help")).to_contain_text("shoe_size")
    assert_accessible(page)
    page.get_by_label("These fields are known").fill("")
    page.get_by_label("The intent is one of").fill("cancel_booking")
    page.get_by_role("checkbox", name="negative").check()
    page.get_by_label("Then the priority is at least").select_option("urgent")
    _press(page, "Add priority rule")
    expect(page.get_by_role("status")).to_have_text("Priority rule added.")
    expect(page.locator("ul.priority-rules")).to_contain_text(
        "When the intent is cancel_booking and the sentiment is negative: urgent"
    )
    assert_accessible(page)
    save_screenshots(page, "admin-workflow")
    _fits_a_phone(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Intents").click()
    _press(page, "Check the intents")
    expect(page.get_by_text("No two intents are too alike")).to_be_visible()
    assert_accessible(page)
    _fits_a_phone(page)
