"""The rule editor in a browser: the owner builds a rule (a keyword condition nested in `any`, a reply
sent without approval) with the editor's htmx buttons, sees a problem beside its field, tests it on
a sample message (matched, with the trace), saves it; a customer on the chat page then gets the
rule's reply. The list, the editor and the editor with errors pass axe-core, fit a phone and are
saved as screenshots (docs/screenshots/admin-rules-*)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.db import Database
from core.models import Membership, User, Workspace
from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.browser.test_admin_signin import _fits_a_phone, _press, _register

REPLY = "Free parking behind the salon."


def _slug(live_server: LiveServer, email: str) -> str:
    async def work(db: Database) -> str:
        async with db.reader() as s:
            found = await s.execute(
                select(Workspace.slug)
                .join(Membership)
                .join(User, User.id == Membership.user_id)
                .where(User.email == email)
            )
            return str(found.scalar_one())

    return live_server.run(work)


def test_an_owner_builds_tests_and_saves_a_rule_and_a_customer_gets_its_reply(
    live_server: LiveServer, page: Page, customer: Page
) -> None:
    url, email = live_server.url, f"bella-{uuid.uuid4().hex[:6]}@example.com"
    _register(page, url, email, f"Bella's Salon {uuid.uuid4().hex[:4]}")
    page.get_by_role("link", name="Rules", exact=True).click()
    expect(page.get_by_role("heading", name="Rules", level=1)).to_be_visible()
    expect(page.get_by_text("No rules yet.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="New rule").click()
    expect(page.get_by_role("heading", name="New rule", level=1)).to_be_visible()

    page.get_by_label("Name", exact=True).fill("parking")
    page.get_by_role("button", name="Add group", exact=True).click()  # htmx: an `any` group with a condition
    expect(page.locator("#c-0-kind")).to_have_value("any")
    page.locator("#c-0-0-value").fill("parking")
    page.get_by_role("button", name="Add condition to this group").click()
    expect(page.locator("#c-0-1-value")).to_be_visible()
    expect(page.locator("#c-0-0-value")).to_have_value("parking")  # what was typed survives the swap
    page.locator("#c-0-1-value").fill("car park")
    page.locator("#a-0-template").fill(REPLY)
    page.get_by_role("button", name="Add action", exact=True).click()
    expect(page.locator("#a-1-type")).to_be_visible()
    page.locator("#a-1-type").select_option("send_automatically")
    expect(page.locator("#a-1-template")).to_have_count(0)  # the server rendered the new action's settings

    # A yes/no variable offers only its own tests; then back to the words.
    page.locator("#c-0-1-variable").select_option("time.within_business_hours")
    expect(page.locator("#c-0-1-operator")).to_have_value("is_true")
    expect(page.locator("#c-0-1-value")).to_have_count(0)
    page.locator("#c-0-1-variable").select_option("message.text")
    expect(page.locator("#c-0-1-operator")).to_have_value("equals")
    # A wrong pattern is refused beside its field, with what was typed kept.
    page.locator("#c-0-1-operator").select_option("matches_regex")
    expect(page.get_by_label("Pattern")).to_be_visible()
    page.get_by_label("Pattern").fill("car (park")
    _press(page, "Save rule")
    expect(page.locator("#c-0-1-value-help")).to_contain_text("is not a valid pattern")
    expect(page.locator("#c-0-1-value")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#c-0-0-value")).to_have_value("parking")
    expect(page.get_by_role("alert")).to_contain_text("1 problem, shown beside its field")
    assert_accessible(page)
    _fits_a_phone(page)
    save_screenshots(page, "admin-rules-editor-errors")
    page.locator("#c-0-1-operator").select_option("contains_any")
    expect(page.get_by_label("Values").nth(1)).to_be_visible()
    page.locator("#c-0-1-value").fill("car park")

    page.get_by_label("A customer writes").fill("is there parking?")
    _press(page, "Test")
    expect(page.get_by_role("status")).to_contain_text("Matched.")
    expect(page.locator("ul.trace li.held", has_text="message.text contains any parking").first).to_be_visible()
    expect(page.locator(".test-result")).to_contain_text(f"would reply: {REPLY}")
    assert_accessible(page)
    _fits_a_phone(page)
    save_screenshots(page, "admin-rules-editor")

    _press(page, "Save rule")
    expect(page.get_by_role("status")).to_have_text("Saved parking.")
    expect(page.locator("ol.rules-list")).to_contain_text("A customer writes")
    assert_accessible(page)
    _fits_a_phone(page)
    save_screenshots(page, "admin-rules")

    customer.goto(f"{url}/chat/{_slug(live_server, email)}")
    customer.get_by_role("textbox", name="Message").fill("where can I park? parking?")
    customer.keyboard.press("Enter")
    expect(customer.locator(".msg", has_text=REPLY)).to_have_count(1, timeout=20_000)
