"""The customer's chat page (channels/web) in a browser that may reach nothing but this machine:
it loads, takes a message, shows the reply, and passes axe-core at a laptop's and a phone's width."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from core.assistants import DEFAULT_HOLDING_REPLY
from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.support import new_workspace


def test_the_chat_page_takes_a_message_and_shows_the_reply(live_server: LiveServer, page: Page) -> None:
    new = live_server.run(lambda db: new_workspace(db, "Bella's Salon"))
    page.goto(f"{live_server.url}/chat/{new.workspace.slug}")
    expect(page.get_by_role("heading", name="Bella's Salon")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("textbox", name="Message").fill("Are you open on Sunday?")
    page.keyboard.press("Enter")
    log = page.locator("#log")
    expect(log.locator(".msg.customer")).to_have_text("Are you open on Sunday?")
    # No LLM is set up: the worker hands the conversation to the team and says so.
    expect(log.locator(".msg.system")).to_contain_text(DEFAULT_HOLDING_REPLY, timeout=20_000)
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    assert_accessible(page)

    save_screenshots(page, "chat")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert_accessible(page)
