"""The README's "Start" walkthrough in a browser, as a newcomer follows it after `make run` (the same
demo, served the same way, at a Monday night when the salon is closed): ask the chat page "is there
parking?", sign in with the printed email and password, find the question waiting in the inbox, write
the answer in the draft's box, send it, and see it in the customer's chat, once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.test_readme import Demo
from tests.test_readme import demo as demo  # the fixture: `make run` on a free port

ANSWER = "Yes, there is free parking behind the salon."


@pytest.fixture
def customer(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


def test_the_readme_walkthrough_approves_a_draft_in_the_browser_at_any_hour(
    demo: Demo,
    page: Page,
    customer: Page,
) -> None:
    customer.goto(f"{demo.url}/chat/bellas-salon")  # 1. "Open the chat page and ask 'is there parking?'"
    customer.get_by_role("textbox", name="Message").fill("is there parking?")
    customer.keyboard.press("Enter")
    expect(customer.locator(".msg", has_text="get back to you")).to_have_count(1, timeout=60_000)  # the holding reply

    admin = demo.data["admin"]  # 2. "open http://127.0.0.1:8000/ and sign in with the printed email and password"
    page.goto(admin["url"])
    page.get_by_label("Email").fill(admin["email"])
    page.get_by_label("Password").fill(admin["password"])
    page.get_by_role("button", name="Sign in").click()
    views = page.get_by_role("navigation", name="Views")
    expect(views.get_by_role("link", name="Waiting 1 conversation")).to_have_attribute("aria-current", "page")
    row = page.locator("a.row", has_text="Web visitor")
    expect(row).to_have_count(1)
    row.click()
    expect(page.get_by_role("heading", name="Draft waiting for you")).to_be_visible()
    page.get_by_label("Answer to send").fill(ANSWER)
    page.get_by_role("button", name="Send this answer").click()
    expect(page.get_by_role("status")).to_have_text("Sent to the customer.")

    said = customer.locator(".msg.staff", has_text=ANSWER)  # 3. "The answer appears in the chat page, once."
    expect(said).to_have_count(1, timeout=30_000)
    customer.reload()
    expect(customer.locator(".msg.staff", has_text=ANSWER)).to_have_count(1, timeout=30_000)
