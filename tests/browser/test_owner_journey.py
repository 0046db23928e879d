"""Issue 17's owner journey, end to end in one browser and nothing done outside it: an owner registers
an empty workspace and, led by Getting started, sets the opening hours, configures an assistant,
uploads a PDF and watches its bar finish, finds its passage in the playground, builds a rule in the
editor (keywords nested in `any`, a reply), tests and saves it; a customer on the chat page (the link
Getting started gives) gets the rule's reply; the owner tries a Telegram bot whose token is wrong and
is told so plainly; invites an agent, who sets a password from the link and works as an agent. Every
page it passes is checked with axe-core."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_admin_signin import _press, _register
from tests.fakes.telegram_server import fake_telegram
from tests.kb.files import pdf

PARKING = "Free parking behind the salon, from the side street."
WRONG_TOKEN = "7000000001:AAWrongTokenWrongTokenWrongToken_xyz"
HANDBOOK = [
    ["Gift cards", "Gift cards can be bought at the front desk and are valid for twelve months."],
    ["Cancellations", "Please cancel at least twenty four hours before your appointment."],
]


def _open(page: Page, link: str, heading: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=link, exact=True).first.click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert_accessible(page)


def _step(page: Page, key: str) -> str:
    return page.locator(f"#step-{key} .tick").inner_text()


def _hours(page: Page) -> None:
    _open(page, "Business", "Business")
    page.get_by_label("Time zone", exact=True).select_option("Europe/London")
    _press(page, "Save name and time zone")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        group = page.get_by_role("group", name=day)
        group.get_by_role("switch", name="Open").check()
        group.get_by_label("Opens", exact=True).fill("09:00")
        group.get_by_label("Closes").fill("18:00")
    _press(page, "Save opening hours")
    expect(page.get_by_text("Now: Mon-Fri 09:00-18:00.", exact=False)).to_be_visible()


def _assistant(page: Page) -> None:
    _open(page, "Assistants", "Assistants")
    page.get_by_label("Name").fill("Front desk")
    _press(page, "Create")
    expect(page.get_by_role("heading", name="Front desk", level=1)).to_be_visible()
    page.get_by_label("Instructions").fill("Warm and brief. Never quote prices on chat.")
    with page.expect_navigation():
        page.locator("#basics-section").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    assert_accessible(page)


def _knowledge(page: Page, tmp_path: Path) -> None:
    _open(page, "Knowledge", "Knowledge base")
    page.get_by_text("Make a collection").click()
    page.get_by_label("Name").fill("Handbook")
    _press(page, "Make collection")
    handbook = tmp_path / "handbook.pdf"
    handbook.write_bytes(pdf(HANDBOOK))
    page.get_by_label("Choose files", exact=True).set_input_files([str(handbook)])
    row = page.locator("[data-uploads] > li").filter(has_text="handbook.pdf")
    expect(row.get_by_text("Uploaded 100%")).to_be_visible()
    expect(row.locator("progress").first).to_have_attribute("value", "100")
    expect(row.locator(".job-words")).to_have_text("Ready", timeout=30_000)
    assert_accessible(page)

    _open(page, "Knowledge", "Knowledge base")
    _open(page, "Search playground", "Search playground")
    page.get_by_label("A customer's question").fill("How long are gift cards valid?")
    _press(page, "Search")
    first = page.locator("li.hit").first
    expect(first).to_contain_text("valid for twelve months")
    expect(first.locator(".status")).to_have_text("Clears the threshold")
    assert_accessible(page)


def _rule(page: Page) -> None:
    _open(page, "Rules", "Rules")
    page.get_by_role("button", name="New rule").click()
    expect(page.get_by_role("heading", name="New rule", level=1)).to_be_visible()
    page.get_by_label("Name", exact=True).fill("parking")
    page.get_by_role("button", name="Add group", exact=True).click()  # an `any` group with one condition
    expect(page.locator("#c-0-kind")).to_have_value("any")
    page.locator("#c-0-0-value").fill("parking")
    page.get_by_role("button", name="Add condition to this group").click()
    expect(page.locator("#c-0-1-value")).to_be_visible()
    page.locator("#c-0-1-value").fill("car park")
    page.locator("#a-0-template").fill(PARKING)
    page.get_by_role("button", name="Add action", exact=True).click()
    expect(page.locator("#a-1-type")).to_be_visible()
    page.locator("#a-1-type").select_option("send_automatically")  # a new workspace approves every reply
    expect(page.locator("#a-1-template")).to_have_count(0)
    page.get_by_label("A customer writes").fill("is there a car park?")
    _press(page, "Test")
    expect(page.get_by_role("status")).to_contain_text("Matched.")
    expect(page.locator(".test-result")).to_contain_text(f"would reply: {PARKING}")
    assert_accessible(page)
    _press(page, "Save rule")
    expect(page.get_by_role("status")).to_have_text("Saved parking.")


def _telegram_with_a_wrong_token(page: Page) -> None:
    _open(page, "Channels", "Channels")
    with fake_telegram() as fake:
        with page.expect_navigation():
            page.get_by_role("link", name="Telegram bot").click()
        page.get_by_label("Bot token").fill(WRONG_TOKEN)
        page.get_by_text("Advanced").click()
        page.get_by_label("Bot API server (optional)").fill(fake.url)
        page.get_by_role("button", name="Test").click()
        expect(page.locator("#test-result")).to_contain_text(
            "Telegram says this token is not valid (401 Unauthorized): copy it again from @BotFather"
        )
        _press(page, "Connect")  # connecting tests it too: refused, nothing saved
        expect(page.get_by_text("Telegram says this token is not valid").first).to_be_visible()
        assert_accessible(page)
    _open(page, "Channels", "Channels")
    expect(page.get_by_text("No channel yet.")).to_be_visible()


def _invite_an_agent(page: Page, browser: Browser, url: str) -> None:
    _open(page, "Team", "Team")
    robin = f"robin-{uuid.uuid4().hex[:6]}@example.com"
    page.get_by_label("Email", exact=True).fill(robin)
    page.get_by_label("Name (optional)").fill("Robin")
    page.get_by_label("Role", exact=True).select_option(label="Agent")
    _press(page, "Add person")
    link = page.get_by_label("Invitation link").input_value()
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # Robin's own browser
    try:
        theirs = context.new_page()
        theirs.goto(url + urlsplit(link).path)
        theirs.get_by_label("Password").fill("robin's own long password")
        _press(theirs, "Join Bella's Salon")
        expect(theirs.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
        expect(theirs.get_by_role("link", name="Rules")).to_have_count(0)
        with theirs.expect_navigation():
            theirs.get_by_role("link", name=re.compile(r"^Robin\b.*your account")).click()
        expect(theirs.get_by_role("heading", name="Your account", level=1)).to_be_visible()
        assert_accessible(theirs)
        expect(theirs.locator("dl.facts")).to_contain_text("Agent")
        response = theirs.goto(f"{url}/rules")
        assert response is not None and response.status == 403
    finally:
        context.close()


def test_an_owner_sets_up_a_business_from_an_empty_workspace_in_the_browser(
    live_server: LiveServer, page: Page, customer: Page, browser: Browser, tmp_path: Path
) -> None:
    url = live_server.url
    _register(page, url, f"bella-{uuid.uuid4().hex[:6]}@example.com", "Bella's Salon")
    _open(page, "Getting started", "Getting started")
    for key in ("hours", "assistant", "knowledge", "channel", "staff"):
        assert _step(page, key) == "To do", key

    _hours(page)
    _assistant(page)
    _knowledge(page, tmp_path)
    _rule(page)

    _open(page, "Getting started", "Getting started")
    for key in ("hours", "assistant", "knowledge"):
        assert _step(page, key) == "✓ Done", key
    chat = page.get_by_role("link", name="chat page").get_attribute("href")
    assert chat is not None
    customer.goto(url + urlsplit(chat).path)  # the link names the server's public URL; this one is on loopback
    customer.get_by_role("textbox", name="Message").fill("hi! is there parking near you?")
    customer.keyboard.press("Enter")
    expect(customer.locator(".msg", has_text=PARKING)).to_have_count(1, timeout=20_000)

    _telegram_with_a_wrong_token(page)
    _invite_an_agent(page, browser, url)
    _open(page, "Getting started", "Getting started")
    assert _step(page, "staff") == "✓ Done"
    assert _step(page, "channel") == "To do"  # the wrong token connected nothing
