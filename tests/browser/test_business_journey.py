"""The owner's Business page and Getting started checklist in a browser: the owner sets the week's
hours with a break and a holiday, reloads and sees them; a span that closes before it opens is
refused beside its day; the checklist then ticks "hours". On Getting started the owner lists their
website: the chat then shows in a frame on that site (a page served from another loopback port,
with the code copied from the page) and nowhere else. Both pages pass axe-core, fit a phone and are
saved as screenshots (docs/screenshots/admin-business-*, admin-getting-started-*)."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
    expect(page.get_by_label("A frame (plain HTML, no script)")).to_have_value(
        re.compile(r'^<iframe src="http://127\.0\.0\.1:\d+/chat/bellas-salon" title="Chat with us" .*></iframe>$')
    )
    assert_accessible(page)
    _fits_a_phone(page)


@contextmanager
def business_site(pages: dict[str, str]) -> Iterator[str]:
    """The business's own website: a tiny server on another loopback port, serving `pages` (path → HTML)."""

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _site_page(snippet: str) -> str:
    return f"<!doctype html><html lang=en><title>Bella's Salon</title><h1>Welcome to Bella's</h1>{snippet}</html>"


def test_an_owner_lets_their_website_show_the_chat(live_server: LiveServer, page: Page, customer: Page) -> None:
    _register(page, live_server.url, f"bella-{uuid.uuid4().hex[:6]}@example.com", "Bella's Salon")
    page.get_by_role("link", name="Getting started").click()
    # The code names the server by FRONTDESK_PUBLIC_URL, which the test server leaves at its default.
    public = re.compile(r"http://127\.0\.0\.1:8000")
    frame_code = public.sub(live_server.url, page.get_by_label("A frame (plain HTML, no script)").input_value())
    script_label = "Or a script that puts the frame in its place"
    script_code = public.sub(live_server.url, page.get_by_label(script_label).input_value())
    assert live_server.url in frame_code and live_server.url in script_code
    with (
        business_site({"/": _site_page(script_code), "/frame": _site_page(frame_code)}) as ours,
        business_site({"/": _site_page(frame_code)}) as elsewhere,
    ):
        sites = page.get_by_label("Websites that may show your chat")
        sites.fill(f"{ours}/book-now")
        _press(page, "Save websites")
        expect(page.locator("#chat_origins-help")).to_contain_text("without a path")
        expect(sites).to_have_attribute("aria-invalid", "true")
        assert_accessible(page)
        sites.fill(f"{ours}/\n")
        _press(page, "Save websites")
        expect(page.get_by_role("status").first).to_have_text("Saved: the websites that may show your chat.")
        expect(sites).to_have_value(ours)
        assert_accessible(page)
        _fits_a_phone(page)
        save_screenshots(page, "admin-getting-started")

        # A customer on the business's site: the script puts the chat in place, and it works.
        customer.goto(ours)
        chat = customer.frame_locator("iframe[title='Chat with us']")
        expect(chat.get_by_role("heading", name="Bella's Salon")).to_be_visible()
        chat.get_by_role("textbox", name="Message").fill("Are you open on Sunday?")
        chat.get_by_role("button", name="Send", exact=True).click()
        expect(chat.locator(".msg.customer")).to_have_text("Are you open on Sunday?")
        expect(chat.locator(".msg.system")).to_be_visible(timeout=20_000)
        customer.goto(f"{ours}/frame")
        expect(customer.frame_locator("iframe").get_by_role("heading", name="Bella's Salon")).to_be_visible()

        # Another site pasting the same code gets no chat: the browser refuses to show it in the frame.
        customer.goto(elsewhere)
        expect(customer.get_by_role("heading", name="Welcome to Bella's")).to_be_visible()
        frame = customer.locator("iframe").element_handle().content_frame()  # type: ignore[union-attr]
        assert frame is not None
        for _ in range(100):  # Chromium puts its error page in the frame once the chat page's policy refuses it
            if frame.url.startswith("chrome-error://"):
                break
            customer.wait_for_timeout(100)
        assert frame.url.startswith("chrome-error://"), f"the chat showed on a site the owner did not list: {frame.url}"
        assert frame.locator("#text").count() == 0
