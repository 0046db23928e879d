"""The web admin's sign-in in a browser that may reach nothing but this machine: an owner registers,
signs out and in and lands in the inbox; wrong passwords lock an account with the same answers as an
unknown email; staff meet the 403 page. Every page passes axe-core; login, register and inbox
are saved as screenshots at a laptop's and a phone's width (docs/screenshots/)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select, update

from admin.auth.models import LoginThrottle
from core.db import Database
from core.messages import utcnow
from core.models import Assistant, Membership, User, Workspace
from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots

PASSWORD = "correct horse battery staple"


def _register(page: Page, url: str, email: str, business: str, name: str = "Bella") -> None:
    page.goto(f"{url}/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Business name").fill(business)
    page.get_by_label("Password").fill(PASSWORD)
    _press(page, "Create account")
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()


def _press(page: Page, button: str) -> None:
    """Click a button that sends its form, and wait until the next page has loaded with its files."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def _sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    _press(page, "Sign in")


def _fits_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.set_viewport_size({"width": 1280, "height": 800})


def test_an_owner_registers_signs_in_and_lands_in_the_inbox(live_server: LiveServer, page: Page) -> None:
    url, email = live_server.url, f"bella-{uuid.uuid4().hex[:6]}@example.com"
    page.goto(url)
    expect(page).to_have_url(f"{url}/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page)
    save_screenshots(page, "admin-login")
    with page.expect_navigation():
        page.get_by_role("link", name="Create an account for your business").click()
    assert_accessible(page)
    save_screenshots(page, "admin-register")

    _register(page, url, email, "Bella's Salon")
    expect(page.get_by_text("Bella's Salon", exact=True)).to_be_visible()  # the workspace, in the header
    expect(page.get_by_role("link", name="Inbox")).to_have_attribute("aria-current", "page")
    _press(page, "Sign out")
    expect(page).to_have_url(f"{url}/login")

    slug = live_server.run(lambda db: _add_sam_and_customers(db, email))
    for text in ("Hi! Do you have a free slot on Saturday?", "How much is a haircut?"):
        r = httpx.post(f"{url}/api/v1/chat", json={"agent": slug, "message": text}, timeout=30)
        assert r.status_code == 200, r.text

    page.goto(f"{url}/team")  # asked for while signed out: back there after signing in
    _sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Team")).to_be_visible()
    expect(page.get_by_text("(you)")).to_be_visible()
    page.get_by_text("Set a new password").click()
    expect(page.get_by_label("New password for Sam")).to_be_visible()
    assert_accessible(page)  # its screenshots are tests/browser/test_admin_team.py's
    _fits_a_phone(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Inbox").click()
    with page.expect_navigation():
        page.get_by_role("navigation", name="Views").get_by_role("link", name="All").click()
    expect(page.locator("a.row")).to_have_count(2)  # the two customers'
    expect(page.locator("a.row").first).to_contain_text("Web chat")
    assert_accessible(page)
    save_screenshots(page, "admin-inbox")
    _fits_a_phone(page)
    page.get_by_role("link", name="Skip to the content").focus()
    expect(page.get_by_role("link", name="Skip to the content")).to_be_visible()


async def _add_sam_and_customers(db: Database, owner_email: str) -> str:
    """Sam joins the owner's workspace as staff; the answer is its assistant's slug, for the chat."""
    async with db.session() as s:
        workspace = (
            await s.execute(select(Workspace.id).join(Membership).join(User).where(User.email == owner_email))
        ).scalar_one()
        sam = User(email=f"sam-{uuid.uuid4().hex[:6]}@example.com", name="Sam", password_hash=None)
        s.add(sam)
        await s.flush()
        s.add(Membership(workspace_id=workspace, user_id=sam.id, role="agent"))
        slug = (await s.execute(select(Assistant.slug).where(Assistant.workspace_id == workspace))).scalar_one()
    return str(slug)


def test_ten_wrong_passwords_lock_the_account_and_an_unknown_email_gets_the_same_answers(
    live_server: LiveServer, page: Page
) -> None:
    url, email = live_server.url, f"owner-{uuid.uuid4().hex[:6]}@example.com"
    _register(page, url, email, "Locked Salon")
    _press(page, "Sign out")

    async def let_short_waits_pass(db: Database) -> None:
        """The clock moves past each short slow-down wait (not past a lock), as a patient guesser's would."""
        now = utcnow()
        async with db.session() as s:
            await s.execute(
                update(LoginThrottle)
                .where(LoginThrottle.locked_until < now + timedelta(minutes=1))
                .values(locked_until=now - timedelta(seconds=1))
            )

    def answers(who: str) -> list[str]:
        seen = []
        for i in range(10):
            _sign_in(page, who, f"wrong guess number {i}")
            seen.append(page.get_by_role("alert").inner_text())
            live_server.run(let_short_waits_pass)
        _sign_in(page, who, PASSWORD)
        seen.append(page.get_by_role("alert").inner_text())
        return seen

    known = answers(email)
    assert known[0] == "Wrong email or password."
    assert known[-1] == "Too many sign-in attempts. Try again in 15 minutes."  # the right password too
    assert_accessible(page)
    assert answers(f"nobody-{email}") == known
    live_server.run(forget_every_attempt)  # this machine's address is not left slowed down for the next tests


async def forget_every_attempt(db: Database) -> None:
    """The clock moves past every window and lock."""
    async with db.session() as s:
        await s.execute(delete(LoginThrottle))


def test_staff_get_the_403_page_on_owner_pages_and_anyone_the_404_page(live_server: LiveServer, page: Page) -> None:
    url = live_server.url
    owner_email, staff_email = (f"{who}-{uuid.uuid4().hex[:6]}@example.com" for who in ("owner", "staff"))
    _register(page, url, owner_email, "Owner's Salon")
    _press(page, "Sign out")
    _register(page, url, staff_email, "Staff's Own", name="Sam")

    async def make_staff(db: Database) -> str:
        async with db.session() as s:
            workspace = (
                await s.execute(select(Workspace.id).join(Membership).join(User).where(User.email == owner_email))
            ).scalar_one()
            staff = (await s.execute(select(User.id).where(User.email == staff_email))).scalar_one()
            s.add(Membership(workspace_id=workspace, user_id=staff, role="agent"))
        return str(workspace)

    owners = live_server.run(make_staff)
    page.reload()
    page.get_by_label("Workspace").select_option(label="Owner's Salon")
    _press(page, "Switch")
    expect(page.get_by_label("Workspace")).to_have_value(owners)
    expect(page.get_by_role("link", name="Team")).to_have_count(0)
    response = page.goto(f"{url}/team")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert_accessible(page)
    _fits_a_phone(page)

    response = page.goto(f"{url}/no/such/page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page)
