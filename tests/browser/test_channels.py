"""An owner in the browser connects a Telegram bot against the fake Bot API: the Test button says
plainly that a wrong token is wrong, the right one is recognised and connected, and the bot shows in
the list with its health; it is renamed on its change form, where a wrong new token is refused. Each
page passes axe-core and fits a phone; screenshots in docs/screenshots/."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.browser.test_admin_signin import _fits_a_phone, _press, _register
from tests.fakes.telegram_server import TOKEN, USERNAME, fake_telegram

WRONG = "7000000001:AAWrongTokenWrongTokenWrongToken_xyz"


def test_an_owner_connects_a_telegram_bot(live_server: LiveServer, page: Page) -> None:
    url = live_server.url
    _register(page, url, f"bella-{uuid.uuid4().hex[:6]}@example.com", "Bella's Salon")
    with page.expect_navigation():
        page.get_by_role("link", name="Channels").click()
    expect(page.get_by_role("heading", name="Channels", level=1)).to_be_visible()
    expect(page.get_by_text("No channel yet.")).to_be_visible()
    assert_accessible(page)

    with fake_telegram() as fake:
        with page.expect_navigation():
            page.get_by_role("link", name="Telegram bot").click()
        expect(page.get_by_role("heading", name="Connect: Telegram bot", level=1)).to_be_visible()
        page.get_by_label("Bot token").fill(WRONG)
        page.get_by_text("Advanced").click()
        page.get_by_label("Bot API server (optional)").fill(fake.url)
        page.get_by_role("button", name="Test").click()  # htmx: the result alone, the form as typed
        result = page.locator("#test-result")
        expect(result).to_contain_text(
            "Telegram says this token is not valid (401 Unauthorized): copy it again from @BotFather"
        )
        expect(page.get_by_label("Bot token")).to_have_value(WRONG)
        assert_accessible(page)
        save_screenshots(page, "admin-channels-new")
        _fits_a_phone(page)

        page.get_by_label("Bot token").fill(TOKEN)
        page.get_by_role("button", name="Test").click()
        expect(result).to_contain_text(f"Telegram knows this bot: @{USERNAME} (Bella's Salon).")
        _press(page, "Connect")
        expect(page.get_by_text(f"Connected @{USERNAME}.")).to_be_visible()
        connection = page.locator("ul.connections > li").first
        expect(connection).to_contain_text(f"@{USERNAME}")
        expect(connection).to_contain_text("Active")
        expect(connection).to_contain_text("Polling: this server fetches them from Telegram")
        expect(connection).to_contain_text("None yet")
        assert_accessible(page)

        _press(page, f"Test @{USERNAME}")
        expect(page.get_by_text(f"@{USERNAME}: it works.")).to_be_visible()
        expect(connection).to_contain_text("Passed just now")
        assert_accessible(page)
        save_screenshots(page, "admin-channels")
        _fits_a_phone(page)

        # Change it: Test asks about the stored token; a wrong new one is refused beside its field;
        # renamed with the token kept.
        with page.expect_navigation():
            page.get_by_role("button", name=f"Change @{USERNAME}").click()
        expect(page.get_by_role("heading", name=f"Change: @{USERNAME}", level=1)).to_be_visible()
        expect(page.get_by_text("•••• set. Leave empty to keep it")).to_be_visible()
        expect(page.get_by_label("Bot token")).to_have_value("")
        page.get_by_label("Name").fill("Front desk")
        page.get_by_role("button", name="Test").click()
        expect(page.locator("#test-result")).to_contain_text(f"Telegram knows this bot: @{USERNAME}")
        assert_accessible(page)
        save_screenshots(page, "admin-channels-change")
        _fits_a_phone(page)
        page.get_by_label("Bot token").fill(WRONG)
        _press(page, "Save")
        expect(page.locator("#token-help")).to_contain_text("Telegram says this token is not valid")
        expect(page.get_by_label("Name")).to_have_value("Front desk")
        assert_accessible(page)
        _press(page, "Save")  # the token field empty again: the stored one is kept
        expect(page.get_by_text("Saved the changes to Front desk.")).to_be_visible()
        expect(connection).to_contain_text("Front desk")
        expect(connection).to_contain_text("Passed")  # same credentials: its last test still holds

        _press(page, "Pause Front desk")
        expect(connection).to_contain_text("Paused")
        page.get_by_text("Remove…").click()
        _press(page, "Remove Front desk")
        expect(page.get_by_text("Removed. Its conversations stay in the inbox.")).to_be_visible()
        expect(page.get_by_text("No channel yet.")).to_be_visible()
