"""The staff inbox in a browser that may reach nothing but this machine, with a customer on the
chat page in a second browser: a new conversation appears in the open inbox without a reload; an
edited draft reaches the customer once; take over, reply, hand back and the assistant answers
again; a rejection keeps its reason and runs the owner's draft_rejected rule; another workspace
gets the 404 page. The list and the conversation pass axe-core and are saved as screenshots."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from core.crypto import SecretBox
from core.db import Database
from core.models import Assistant, Membership, User, Workspace
from kb.demo import seed_demo_faq
from kb.embedders import Embedders
from rules import service as rules_service
from staff.models import AuditEntry
from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.conftest import make_settings

PASSWORD = "correct horse battery staple"
QUESTION = "Do you take walk-ins?"


@dataclass(frozen=True)
class Salon:
    workspace_id: str
    slug: str  # the chat page's


def _register(page: Page, url: str, business: str) -> str:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(f"{url}/register")
    page.get_by_label("Your name").fill("Bella")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Business name").fill(business)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    return email


def _salon(live_server: LiveServer, email: str, *, policy: str = "approve_all") -> Salon:
    """The owner's workspace, with the demo FAQ in its knowledge base (so the assistant drafts
    answers from it without an LLM) and the approval policy asked for."""

    async def work(db: Database) -> Salon:
        async with db.session() as s:
            user_id = (await s.execute(select(User.id).where(User.email == email))).scalar_one()
            workspace = (
                await s.execute(select(Workspace).join(Membership).where(Membership.user_id == user_id))
            ).scalar_one()
            await s.execute(
                update(Assistant).where(Assistant.workspace_id == workspace.id).values(approval_policy=policy)
            )
        embedders = Embedders(db, SecretBox(make_settings(live_server.db_url, live_server_dir()).key))  # type: ignore[arg-type]
        try:
            await seed_demo_faq(db, workspace_id=workspace.id, embedders=embedders)
        finally:
            await embedders.aclose()
        return Salon(workspace.id, workspace.slug)

    return live_server.run(work)


def live_server_dir() -> object:
    from pathlib import Path

    return Path("/nonexistent")  # only the key is read from these settings


def _customer_writes(customer: Page, url: str, salon: Salon, text: str) -> None:
    if not customer.url.startswith(f"{url}/chat/"):
        customer.goto(f"{url}/chat/{salon.slug}")
    customer.get_by_role("textbox", name="Message").fill(text)
    customer.keyboard.press("Enter")


def test_a_new_conversation_appears_live_and_the_edited_draft_reaches_the_customer_once(
    live_server: LiveServer, page: Page, customer: Page
) -> None:
    url = live_server.url
    salon = _salon(live_server, _register(page, url, "Bella's Salon"))
    expect(page.get_by_role("heading", name="No conversations yet")).to_be_visible()

    _customer_writes(customer, url, salon, QUESTION)
    row = page.locator("a.row", has_text=QUESTION)
    expect(row).to_be_visible(timeout=20_000)  # no reload: the live feed brought it
    expect(page).to_have_title("(1) Inbox · frontdesk")
    assert_accessible(page)
    save_screenshots(page, "inbox")
    page.set_viewport_size({"width": 1280, "height": 800})

    row.click()
    expect(page.get_by_role("heading", name="Draft waiting for you")).to_be_visible()
    expect(page.locator(".draft-text")).to_contain_text("whenever a stylist is free")
    assert_accessible(page)
    save_screenshots(page, "conversation")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # the phone's width, last
    page.set_viewport_size({"width": 1280, "height": 800})

    page.keyboard.press("e")  # the edit box, from the keyboard
    expect(page.get_by_label("Answer to send")).to_be_focused()
    page.get_by_label("Answer to send").fill("Yes! Just drop by, weekday mornings are quietest.")
    page.get_by_role("button", name="Send this answer").click()
    expect(page.get_by_role("status")).to_have_text("Sent to the customer.")
    expect(page.get_by_role("heading", name="Draft waiting for you")).to_have_count(0)

    said = customer.locator(".msg.staff", has_text="Just drop by")
    expect(said).to_have_count(1, timeout=20_000)
    expect(page.locator(".msg-staff", has_text="Just drop by")).to_have_count(1)
    customer.reload()  # the history, read again: still once
    expect(customer.locator(".msg.staff", has_text="Just drop by")).to_have_count(1, timeout=20_000)


def test_take_over_reply_and_hand_back_then_the_assistant_answers_again(
    live_server: LiveServer, page: Page, customer: Page
) -> None:
    url = live_server.url
    salon = _salon(live_server, _register(page, url, "Auto Salon"), policy="auto")
    _customer_writes(customer, url, salon, "Can I talk to a person?")
    page.get_by_role("navigation", name="Views").get_by_role("link", name="All").click()
    expect(page.locator("a.row")).to_have_count(1, timeout=20_000)  # its preview: the holding reply, soon
    page.locator("a.row").click()
    expect(page.locator(".msg-customer", has_text="Can I talk to a person?")).to_be_visible()

    page.get_by_role("button", name="Take over").click()
    expect(page.get_by_text("Staff answering: the assistant is quiet")).to_be_visible()
    page.get_by_label("Reply to").fill("Hi, this is Bella. How can I help?")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_have_text("Your reply is on its way.")
    expect(customer.locator(".msg.staff", has_text="this is Bella")).to_have_count(1, timeout=20_000)

    page.get_by_role("button", name="Hand back to the assistant").click()
    expect(page.get_by_role("status")).to_contain_text("Handed back")
    _customer_writes(customer, url, salon, QUESTION)
    expect(customer.locator(".msg.assistant", has_text="whenever a stylist is free")).to_be_visible(timeout=20_000)
    expect(page.locator(".msg-assistant", has_text="whenever a stylist is free")).to_be_visible(timeout=20_000)  # live


def test_a_rejection_keeps_its_reason_and_runs_the_owners_rule(
    live_server: LiveServer, page: Page, customer: Page
) -> None:
    url = live_server.url
    salon = _salon(live_server, _register(page, url, "Rule Salon"))

    async def tag_rejections(db: Database) -> None:
        key = make_settings(live_server.db_url, live_server_dir()).key  # type: ignore[arg-type]
        async with db.session() as s:
            rule = {
                "name": "rejected drafts are tagged",
                "trigger": {"type": "draft_rejected"},
                "actions": [{"type": "add_tags", "tags": ["draft-rejected"]}],
            }
            await rules_service.save(s, workspace_id=salon.workspace_id, data=rule, box=SecretBox(key))

    live_server.run(tag_rejections)
    _customer_writes(customer, url, salon, QUESTION)
    page.locator("a.row", has_text=QUESTION).click()
    page.get_by_text("Reject", exact=True).click()
    page.get_by_label("Why (kept in the audit log)").fill("We stop walk-ins in December")
    page.get_by_role("button", name="Reject: send nothing").click()
    expect(page.get_by_role("status")).to_have_text("Draft rejected: nothing was sent.")
    expect(page.locator("ul.tags")).to_contain_text("draft-rejected")

    async def rejections(db: Database) -> list[object]:
        async with db.reader() as s:
            found = await s.execute(
                select(AuditEntry.face, AuditEntry.after).where(
                    AuditEntry.workspace_id == salon.workspace_id, AuditEntry.action == "draft.reject"
                )
            )
            return [tuple(r) for r in found]

    assert live_server.run(rejections) == [("web", {"state": "rejected", "reason": "We stop walk-ins in December"})]
    expect(customer.locator(".msg.assistant")).to_have_count(0)

    # Another workspace's owner: the 404 page, and their form changes nothing.
    conversation_url = page.url.split("?")[0]
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{url}/login")
    page.wait_for_load_state("load")
    _register(page, url, "Someone Else's Salon")
    response = page.goto(conversation_url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    token = page.locator("input[name=csrf_token]").first.input_value()
    posted = page.request.post(f"{conversation_url}/tags", form={"csrf_token": token, "add": "hijacked"})
    assert posted.status == 404
    page.goto(f"{url}/inbox?view=all")
    expect(page.get_by_role("heading", name="No conversations yet")).to_be_visible()
    page.wait_for_load_state("load")
