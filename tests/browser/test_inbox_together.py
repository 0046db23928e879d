"""The staff inbox with two staff members at once, from the keyboard, with media, and page by page,
in a browser that may reach nothing but this machine:

- two staff on one conversation: the one who writes is shown to the other as "… is replying" (not
  to themselves), without a reload; when the first approves, the second's page says the draft was
  answered meanwhile, keeps what they typed, and their own Approve gets "already sent": the
  customer has the reply once;
- j/k move through the list, Enter opens, r goes to the reply box (where keys are letters), a approves;
- a picture, a voice note and a document sent on the web chat are shown (inline, playable with its
  transcript, a download link) and their links answer with the file, as the right type;
- more conversations than a page: the list offers the older ones, and back.
"""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from admin.auth.service import add_owner
from core.db import Database
from core.models import Assistant
from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.browser.test_inbox_journeys import PASSWORD, QUESTION, _customer_writes, _register, _salon
from tests.hostile_files import real_docx
from tests.media.support import voice_note

DRAFT_WORDS = "whenever a stylist is free"  # the demo FAQ's answer to QUESTION
ALREADY_SENT = "This draft was already sent; it was not sent again."
ANSWERED_MEANWHILE = "Someone else sent or rejected this draft meanwhile, so it will not be sent again."


@pytest.fixture
def colleague(browser: Browser) -> Iterator[Page]:
    """A second staff member, in a browser of their own."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    context.close()
    assert not problems, problems


def _add_colleague(live_server: LiveServer, workspace_id: str, name: str) -> str:
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"

    async def work(db: Database) -> None:
        assert await add_owner(db, workspace_id=workspace_id, email=email, name=name, password=PASSWORD)

    live_server.run(work)
    return email


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()


def _assistant_slug(live_server: LiveServer, workspace_id: str) -> str:
    async def work(db: Database) -> str:
        async with db.reader() as s:
            found = await s.execute(select(Assistant.slug).where(Assistant.workspace_id == workspace_id))
            return str(found.scalars().first())

    return live_server.run(work)


def test_two_staff_see_who_is_replying_and_the_second_approve_sends_nothing(
    live_server: LiveServer, page: Page, colleague: Page, customer: Page
) -> None:
    url = live_server.url
    salon = _salon(live_server, _register(page, url, "Shared Salon"))
    _sign_in(colleague, url, _add_colleague(live_server, salon.workspace_id, "Ana"))
    _customer_writes(customer, url, salon, QUESTION)
    page.locator("a.row", has_text=QUESTION).click()
    expect(page.locator(".draft-text")).to_contain_text(DRAFT_WORDS)
    colleague.goto(page.url)
    expect(colleague.locator(".draft-text")).to_contain_text(DRAFT_WORDS)
    for staff in (page, colleague):
        staff.wait_for_load_state("domcontentloaded")  # the page's script listens from here on

    colleague.get_by_label("Reply to").press_sequentially("Let me check with")
    replying = page.locator("#replying")
    expect(replying).to_have_text("Ana is replying…")  # no reload: the live feed brought it
    expect(replying).to_have_attribute("aria-live", "polite")
    expect(colleague.locator("#replying")).to_have_text("")  # never oneself
    assert_accessible(page)
    colleague.get_by_label("Reply to").press_sequentially(" the stylist")  # still writing
    expect(replying).to_have_text("Ana is replying…")
    save_screenshots(page, "conversation-replying")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label("Reply to").fill("We can fit you in at")  # Bella writes too, and Ana sees it
    expect(colleague.locator("#replying")).to_have_text("Bella is replying…")
    colleague.get_by_role("button", name="Approve and send").click()
    expect(colleague.get_by_role("status")).to_have_text("Sent to the customer.")

    # Bella's page: Ana stopped writing, the draft was answered meanwhile; what Bella typed stays.
    expect(replying).to_have_text("")
    expect(page.locator(".stale-draft")).to_have_text(ANSWERED_MEANWHILE)
    expect(page.get_by_label("Reply to")).to_have_value("We can fit you in at")
    page.get_by_role("button", name="Approve and send").click()  # the page she has is stale
    expect(page.locator(".form-error")).to_have_text(ALREADY_SENT)
    expect(page.get_by_role("heading", name="Draft waiting for you")).to_have_count(0)

    expect(customer.locator(".msg", has_text=DRAFT_WORDS)).to_have_count(1, timeout=20_000)
    customer.reload()  # the history, read again: still once
    expect(customer.locator(".msg", has_text=DRAFT_WORDS)).to_have_count(1, timeout=20_000)
    expect(page.locator(".msg-customer", has_text=QUESTION)).to_have_count(1)


def test_the_inbox_from_the_keyboard(live_server: LiveServer, page: Page) -> None:
    url = live_server.url
    salon = _salon(live_server, _register(page, url, "Keyboard Salon"))
    slug = _assistant_slug(live_server, salon.workspace_id)
    sessions = [str(uuid.uuid4()) for _ in range(3)]
    for n, session in enumerate(sessions):  # the oldest first: the list shows it last
        said = {"agent": slug, "message": f"{QUESTION} ({n})", "session_id": session}
        assert httpx.post(f"{url}/api/v1/chat", json=said, timeout=30).status_code == 200
    rows = page.locator("a.row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(f"{QUESTION} (2)")
    page.wait_for_load_state("domcontentloaded")
    page.keyboard.press("j")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(2)).to_be_focused()
    page.keyboard.press("j")  # the last stays the last
    page.keyboard.press("k")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator(".msg-customer .text")).to_have_text(f"{QUESTION} (0)")
    page.wait_for_load_state("domcontentloaded")  # the page's script listens from here on
    page.keyboard.press("k")  # the list carries on from the open conversation
    expect(rows.nth(1)).to_be_focused()

    page.keyboard.press("r")
    reply = page.get_by_label("Reply to")
    expect(reply).to_be_focused()
    page.keyboard.press("a")  # a letter in the reply box, not an approval
    expect(reply).to_have_value("a")
    expect(page.get_by_role("heading", name="Draft waiting for you")).to_be_visible()
    reply.fill("")
    reply.blur()
    page.keyboard.press("a")
    expect(page.get_by_role("status")).to_have_text("Sent to the customer.")

    history = httpx.get(f"{url}/api/v1/chat/{sessions[0]}/messages", timeout=30).json()["messages"]
    assert [m["role"] for m in history].count("customer") == 1
    expect(page.locator(".msg-staff, .msg-assistant", has_text=DRAFT_WORDS)).to_have_count(1)
    others = [httpx.get(f"{url}/api/v1/chat/{s}/messages", timeout=30).json()["messages"] for s in sessions[1:]]
    assert all(DRAFT_WORDS not in m["text"] for chat in others for m in chat)  # only the open one's


def _png() -> bytes:
    """A real 8x8 PNG (red), as a phone would send a picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_picture_a_voice_note_and_a_document_are_shown_and_load(live_server: LiveServer, page: Page) -> None:
    url = live_server.url
    salon = _salon(live_server, _register(page, url, "Media Salon"))
    slug = _assistant_slug(live_server, salon.workspace_id)
    session = str(uuid.uuid4())
    files = [
        ("nails.png", _png(), "image/png", "image"),
        ("recording.ogg", voice_note(), "audio/ogg; codecs=opus", "voice"),
        ("price-list.docx", real_docx("Gel nails: 35 euros"), "application/octet-stream", "document"),
    ]
    for name, data, content_type, kind in files:  # what the chat page's upload sends
        r = httpx.post(
            f"{url}/api/v1/chat",
            data={"agent": slug, "session_id": session, "kind": kind},
            files={"file": (name, data, content_type)},
            headers={"X-Frontdesk-Chat": "1"},
            timeout=60,
        )
        assert r.status_code == 200, r.text
    page.get_by_role("navigation", name="Views").get_by_role("link", name="All").click()
    page.locator("a.row").first.click()

    picture = page.locator(".media-image img")
    expect(picture).to_be_visible()
    assert picture.evaluate("(img) => img.complete && img.naturalWidth") == 8  # it loaded, inline
    voice = page.locator(".media-voice audio")
    expect(voice).to_have_attribute("controls", "")
    expect(voice).to_have_attribute("aria-label", "Voice note, 11 seconds")
    expect(page.locator(".media-voice .transcript")).to_contain_text("ask not what your country can do for you")
    download = page.locator("#messages").get_by_role("link", name="price-list.docx")
    expect(download).to_have_attribute("download", "price-list.docx")

    expected = {
        picture.get_attribute("src"): "image/png",
        voice.get_attribute("src"): "audio/ogg",
        download.get_attribute("href"): "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
    for link, content_type in expected.items():
        assert link and link.startswith("/media/"), link
        answer = page.request.get(f"{url}{link}")  # as the signed-in staff member's browser asks
        assert (answer.status, answer.headers["content-type"]) == (200, content_type), link
    assert page.request.get(f"{url}{download.get_attribute('href')}").body() == files[2][1]
    assert_accessible(page)


def test_more_conversations_than_a_page(live_server: LiveServer, page: Page) -> None:
    url = live_server.url
    salon = _salon(live_server, _register(page, url, "Busy Salon"))
    slug = _assistant_slug(live_server, salon.workspace_id)
    for n in range(27):  # a page is 25
        said = {"agent": slug, "message": f"Question number {n}", "session_id": str(uuid.uuid4())}
        assert httpx.post(f"{url}/api/v1/chat", json=said, timeout=30).status_code == 200
    page.goto(f"{url}/inbox?view=all")
    rows = page.locator("a.row")
    expect(rows).to_have_count(25)
    first_page = {row.get_attribute("href") for row in rows.all()}
    pages = page.get_by_role("navigation", name="Pages of conversations")
    expect(pages.get_by_role("link", name="Newer")).to_have_count(0)

    pages.get_by_role("link", name="Older").click()
    expect(page).to_have_url(f"{url}/inbox?view=all&offset=25")
    expect(rows).to_have_count(2)
    second_page = {row.get_attribute("href") for row in rows.all()}
    assert len(first_page | second_page) == 27  # every conversation once, on one page or the other
    expect(pages.get_by_role("link", name="Older")).to_have_count(0)
    assert_accessible(page)

    rows.nth(1).click()  # the oldest conversations are on the second page
    expect(page.locator(".msg-customer .text")).to_have_text(re.compile(r"^Question number [01]$"))
    expect(page.locator("a.back")).to_have_attribute("href", "/inbox?view=all&offset=25")
    pages.get_by_role("link", name="Newer").click()
    expect(rows).to_have_count(25)
    assert {row.get_attribute("href").split("?")[0] for row in rows.all()} == {h.split("?")[0] for h in first_page}
