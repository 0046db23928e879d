"""The owner's Business page and Getting started checklist in a browser: the owner sets the week's
hours with a break and a holiday, reloads and sees them; a span that closes before it opens is
refused beside its day; the checklist then ticks "hours". Both pages pass axe-core, fit a phone and
are saved as screenshots (docs/screenshots/admin-business-*, admin-getting-started-*)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.browser.test_admin_signin import _fits_a_phone, _press, _register


def test_an_owner_sets_hours_with_a_break_and_a_holiday(live_server: LiveServer, page: Page) -> None:
    url = live_server.url
    _register(page, url, f"bella-{uuid.uuid4().hex[:6]}@example.com", "Bella's Salon")
    page.get_by_role("link", name="Getting started").click()
    expect(page.get_by_role("heading", name="Getting started", level=1)).to_be_visible()
    expect(page.locator("#step-hours .tick")).to_have_text("To do")

    page.get_by_role("link", name="Business settings").click()
    expect(page.get_by_role("heading", name="Business", level=1)).to_be_visible()
    page.get_by_label("Time zone", exact=True).select_option("Europe/Madrid")
    page.get_by_label("Phone numbers without a country code are from").select_option("GB")
    _press(page, "Save name and time zone")
    expect(page.get_by_role("status")).to_have_text("Saved: name and time zone.")

    tuesday = page.get_by_role("group", name="Tuesday")
    tuesday.get_by_role("switch", name="Open").check()
    tuesday.get_by_label("Opens", exact=True).fill("09:00")
    tuesday.get_by_label("Closes").fill("13:00")
    _press(page, "Save opening hours")
    tuesday = page.get_by_role("group", name="Tuesday")  # the saved day, with a slot for a break
    tuesday.get_by_label("Opens again").fill("14:00")
    tuesday.get_by_label("Closes").nth(1).fill("18:00")
    friday = page.get_by_role("group", name="Friday")
    friday.get_by_role("switch", name="Open").check()
    friday.get_by_label("Opens", exact=True).fill("18:00")
    friday.get_by_label("Closes").fill("09:00")
    _press(page, "Save opening hours")
    expect(page.locator("#fri-help")).to_have_text("Friday: 18:00-09:00 must open before it closes")
    expect(page.get_by_role("group", name="Friday").get_by_label("Opens", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    page.get_by_role("group", name="Friday").get_by_role("switch", name="Open").uncheck()
    _press(page, "Save opening hours")
    expect(page.get_by_text("Now: Tue 09:00-13:00, 14:00-18:00.")).to_be_visible()

    page.get_by_text("Add a holiday or closure").click()
    page.get_by_label("What it is (optional)").fill("Christmas")
    page.get_by_label("First day").fill("2026-12-24")
    page.get_by_label("Last day (optional)").fill("2026-12-26")
    _press(page, "Add closure")
    page.reload()
    expect(page.get_by_text("Now: Tue 09:00-13:00, 14:00-18:00.")).to_be_visible()
    expect(page.locator("ul.closures li")).to_contain_text("Christmas: 2026-12-24 to 2026-12-26, closed all day")
    expect(page.get_by_role("group", name="Tuesday").get_by_label("Opens again").first).to_have_value("14:00")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("Europe/Madrid")
    expect(page.get_by_label("Phone numbers without a country code are from")).to_have_value("GB")
    assert_accessible(page)
    _fits_a_phone(page)
    save_screenshots(page, "admin-business")

    page.get_by_role("link", name="Getting started").click()
    expect(page.locator("#step-hours .tick")).to_have_text("✓ Done")
    expect(page.get_by_text("1 of 5 done")).to_be_visible()
    # An iframe of the chat page at the server's public address (FRONTDESK_PUBLIC_URL), ready to paste.
    expect(page.get_by_label("Embed code")).to_have_value(
        re.compile(r'^<iframe src="http://127\.0\.0\.1:\d+/chat/bellas-salon" title="Chat with us" .*></iframe>$')
    )
    assert_accessible(page)
    _fits_a_phone(page)
    save_screenshots(page, "admin-getting-started")
