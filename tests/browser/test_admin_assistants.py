"""An owner in the browser sets up the assistant: instructions and the autopilot threshold; a model
endpoint on a fake OpenAI-compatible server (a wrong key is refused with a clear error and nothing is
saved; the right key is saved and never shown again); then tries "are you open on Sunday?" and sees
each stage's result. axe-core and a phone's width on each page; screenshots in docs/screenshots/."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.admin.assistant_setup import DRAFT, KEY
from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.browser.test_admin_signin import _fits_a_phone, _press, _register
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve


def test_an_owner_sets_up_the_assistant_and_tries_a_message(live_server: LiveServer, page: Page) -> None:
    url = live_server.url
    _register(page, url, f"bella-{uuid.uuid4().hex[:6]}@example.com", "Bella's Salon")
    with page.expect_navigation():
        page.get_by_role("link", name="Assistants").click()
    with page.expect_navigation():
        page.locator("ul.people a").first.click()

    page.get_by_label("Instructions").fill("Warm and brief. Never quote prices on chat.")
    page.get_by_role("radio", name="Autopilot").check()
    page.get_by_label("Autopilot confidence threshold (0 to 1)").fill("0.85")
    with page.expect_navigation():
        page.locator("#basics-section").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_role("radio", name="Autopilot")).to_be_checked()
    expect(page.get_by_label("Autopilot confidence threshold (0 to 1)")).to_have_value("0.85")

    fake = FakeOpenAI()
    fake.chat_key = KEY
    with serve(fake.app) as llm:
        page.get_by_label("Base URL", exact=True).fill(f"{llm}/v1")
        page.get_by_role("textbox", name="Model", exact=True).fill("salon-small")
        page.get_by_label("API key", exact=True).fill("sk-wrong")
        with page.expect_navigation():
            page.locator("#model-section").get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("alert")).to_have_text("Not saved: the endpoint did not answer as it should.")
        expect(page.locator("ul.checks")).to_contain_text("the API key was refused (HTTP 401)")
        expect(page.get_by_role("button", name="Save without checking")).to_be_visible()

        page.goto(page.url.split("/model")[0])  # nothing was saved: the page shows no endpoint
        expect(page.get_by_label("Base URL", exact=True)).to_have_value("")
        page.get_by_label("Base URL", exact=True).fill(f"{llm}/v1")
        page.get_by_role("textbox", name="Model", exact=True).fill("salon-small")
        page.get_by_label("API key", exact=True).fill(KEY)
        with page.expect_navigation():
            page.locator("#model-section").get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("Checked and saved.")
        expect(page.get_by_text("•••• set. Leave empty to keep it.").first).to_be_visible()
        assert KEY not in page.content()
        assert_accessible(page)
        save_screenshots(page, "admin-assistant")
        _fits_a_phone(page)

        fake.reply_json(DRAFT)
        page.get_by_label("Sample message").fill("are you open on Sunday?")
        page.get_by_label("Channel").select_option("whatsapp")
        _press(page, "Try it")
        stages = page.locator("ol.stages")
        for stage in ("Understanding", "Rules", "Sources", "Draft", "Decision"):
            expect(stages.get_by_role("heading", name=stage)).to_be_visible()
        expect(stages).to_contain_text(DRAFT["reply"])
        expect(stages).to_contain_text("No rule fired.")
        expect(stages).to_contain_text("Waits for approval")
        expect(page.get_by_text("A dry run: nothing was stored, sent or queued.")).to_be_visible()
        assert KEY not in page.content()
        assert_accessible(page)
        save_screenshots(page, "admin-try-it")
        _fits_a_phone(page)
