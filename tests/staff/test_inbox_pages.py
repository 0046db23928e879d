"""The staff's inbox pages over HTTP, as a browser without scripts sends them: the list and a
conversation, every action as a POST form with its token, a second approve that sends nothing, a
refused context value shown beside its field, and nothing of another workspace's reachable."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from bot.runtime import Runtime
from core.models import Assistant, Conversation, Draft, Membership, Message, User
from staff.models import AuditEntry
from tests.admin.conftest import customer_says, wait_for
from tests.admin.web_pages import Visitor, csrf_of


async def _owner_with_a_customer(client: httpx.AsyncClient, runtime: Runtime, business: str) -> tuple[Visitor, str]:
    """An owner signed in, and a customer who asked a question the assistant could not answer
    (no LLM here): the conversation, with an empty draft waiting for staff."""
    owner = Visitor(client)
    await owner.register(business)
    async with runtime.db.reader() as s:
        user = (await s.execute(select(User).where(User.email == owner.email))).scalar_one()
        workspace_id = (await s.execute(select(Membership.workspace_id).where(Membership.user_id == user.id))).scalar()
        slug = (await s.execute(select(Assistant.slug).where(Assistant.workspace_id == workspace_id))).scalar_one()
    await customer_says(client, slug, "Do you have parking?")

    async def drafted() -> bool:
        async with runtime.db.reader() as s:
            return (
                await s.execute(select(Draft.conversation_id).where(Draft.workspace_id == workspace_id))
            ).first() is not None

    await wait_for(drafted)
    async with runtime.db.reader() as s:
        conversation_id = (
            await s.execute(select(Conversation.id).where(Conversation.workspace_id == workspace_id))
        ).scalar_one()
    return owner, conversation_id


async def _draft(runtime: Runtime, conversation_id: str) -> Draft:
    async with runtime.db.reader() as s:
        return (await s.execute(select(Draft).where(Draft.conversation_id == conversation_id))).scalar_one()


async def _staff_messages(runtime: Runtime, conversation_id: str) -> list[str]:
    async with runtime.db.reader() as s:
        found = await s.execute(
            select(Message.text)
            .where(Message.conversation_id == conversation_id, Message.author.in_(("staff", "assistant")))
            .order_by(Message.created_at)
        )
        return list(found.scalars())


async def test_a_draft_is_edited_and_sent_once_from_the_conversation_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, cid = await _owner_with_a_customer(client, runtime, "Bella's Salon")
    inbox = await client.get("/inbox")
    assert inbox.status_code == 200 and f'href="/inbox/{cid}?view=waiting"' in inbox.text
    assert "<title>(1) Inbox · frontdesk</title>" in inbox.text
    page = await client.get(f"/inbox/{cid}")
    assert page.status_code == 200
    assert "Do you have parking?" in page.text and "Draft waiting for you" in page.text
    draft = await _draft(runtime, cid)

    form = {"draft_id": draft.id, "text": "Yes, behind the salon.", "csrf_token": csrf_of(page)}
    sent = await client.post(f"/inbox/{cid}/approve?view=waiting", data=form)
    assert (sent.status_code, sent.headers["location"]) == (303, f"/inbox/{cid}?view=waiting&done=approved")
    shown = await client.get(sent.headers["location"])
    assert "Sent to the customer." in shown.text and "Draft waiting for you" not in shown.text

    again = await client.post(f"/inbox/{cid}/approve", data=form)
    assert again.status_code == 409 and "already sent; it was not sent again" in again.text
    assert await _staff_messages(runtime, cid) == ["Yes, behind the salon."]  # once
    async with runtime.db.reader() as s:
        entry = (await s.execute(select(AuditEntry).where(AuditEntry.action == "draft.approve"))).scalar_one()
    assert (entry.face, entry.after["final_text"]) == ("web", "Yes, behind the salon.")


async def test_every_action_needs_the_pages_token(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, cid = await _owner_with_a_customer(client, runtime, "Bella's Salon")
    draft = await _draft(runtime, cid)
    for action, data in (
        ("approve", {"draft_id": draft.id, "text": "Hi"}),
        ("reject", {"draft_id": draft.id}),
        ("takeover", {}),
        ("reply", {"text": "Hi"}),
        ("triage", {"status": "closed"}),
    ):
        r = await client.post(f"/inbox/{cid}/{action}", data=data)
        assert r.status_code == 403 and "This form could not be sent" in r.text
        r = await client.post(f"/inbox/{cid}/{action}", data={**data, "csrf_token": "forged"})
        assert r.status_code == 403
    assert (await _draft(runtime, cid)).state == "pending"
    assert await _staff_messages(runtime, cid) == []


async def test_another_workspace_cannot_see_or_act_on_a_conversation(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    theirs, cid = await _owner_with_a_customer(client, runtime, "Bella's Salon")
    draft = await _draft(runtime, cid)
    await theirs.sign_out()
    stranger = Visitor(client)
    await stranger.register("Someone Else's Salon")
    token = csrf_of(await client.get("/inbox"))
    assert cid not in (await client.get("/inbox?view=all")).text
    assert (await client.get(f"/inbox/{cid}", headers={"Accept": "text/html"})).status_code == 404
    for action, data in (
        ("approve", {"draft_id": draft.id, "text": "Hi"}),
        ("reject", {"draft_id": draft.id, "reason": "no"}),
        ("takeover", {"draft_id": draft.id}),
        ("handback", {}),
        ("reply", {"text": "Hi"}),
        ("triage", {"status": "closed"}),
        ("tags", {"add": "vip"}),
        ("context", {"field.email": "a@example.com"}),
    ):
        r = await client.post(f"/inbox/{cid}/{action}", data={**data, "csrf_token": token})
        assert r.status_code == 404, (action, r.status_code)
    assert (await _draft(runtime, cid)).state == "pending"
    async with runtime.db.reader() as s:
        conversation = await s.get(Conversation, cid)
        entries = (await s.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
    assert conversation is not None and (conversation.status, conversation.tags, conversation.bot_paused) == (
        "waiting",
        [],
        False,
    )
    assert entries == 0 and await _staff_messages(runtime, cid) == []


async def test_staff_take_over_reply_triage_and_hand_back(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, cid = await _owner_with_a_customer(client, runtime, "Bella's Salon")
    draft = await _draft(runtime, cid)
    token = csrf_of(await client.get(f"/inbox/{cid}"))

    async def post(action: str, **data: str) -> httpx.Response:
        return await client.post(f"/inbox/{cid}/{action}?view=all", data={**data, "csrf_token": token})

    assert (await post("takeover", draft_id=draft.id)).status_code == 303
    assert (await _draft(runtime, cid)).state == "taken_over"
    page = await client.get(f"/inbox/{cid}")
    assert "Staff answering: the assistant is quiet" in page.text and "Hand back to the assistant" in page.text

    empty = await post("reply", text="   ")
    assert empty.status_code == 422 and "Write the reply first." in empty.text
    key = "one-click"
    for _ in range(2):  # a double submit of the same form sends once
        assert (await post("reply", text="I'll check for you.", key=key)).status_code == 303
    assert await _staff_messages(runtime, cid) == ["I'll check for you."]

    assert (await post("triage", status="closed", priority="urgent", assignee="")).status_code == 303
    assert (await post("tags", add="  vip   guest ")).status_code == 303
    assert (await post("tags", add="parking")).status_code == 303
    assert (await post("tags", remove="vip guest")).status_code == 303
    bad = await post("triage", priority="whenever")
    assert bad.status_code == 422 and "Priority must be one of" in bad.text
    assert (await post("handback")).status_code == 303
    async with runtime.db.reader() as s:
        conversation = await s.get(Conversation, cid)
    assert conversation is not None
    assert (conversation.status, conversation.priority, conversation.tags) == ("closed", "urgent", ["parking"])
    assert (conversation.bot_paused, conversation.assigned_user_id) == (False, None)

    listed = await client.get("/inbox?view=all&priority=urgent&tag=parking&q=parking")
    assert f"/inbox/{cid}" in listed.text
    assert f"/inbox/{cid}" not in (await client.get("/inbox?view=all&priority=low")).text
    for query in ("view=nobody", "offset=-1", "status=lost", "q=" + "x" * 201):
        assert (await client.get(f"/inbox?{query}")).status_code == 400


async def test_rejecting_keeps_the_reason_and_a_bad_context_value_is_shown_beside_its_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from understanding import context
    from understanding.schema import SchemaSpec
    from understanding.templates import FRONT_DESK_SCHEMA

    _, cid = await _owner_with_a_customer(client, runtime, "Bella's Salon")
    async with runtime.db.session() as s:
        conversation = await s.get(Conversation, cid)
        assert conversation is not None
        await context.save_schema(
            s, workspace_id=conversation.workspace_id, spec=SchemaSpec.model_validate(FRONT_DESK_SCHEMA)
        )
    draft = await _draft(runtime, cid)
    page = await client.get(f"/inbox/{cid}")
    token = csrf_of(page)
    assert 'name="field.party_size"' in page.text
    r = await client.post(
        f"/inbox/{cid}/reject", data={"draft_id": draft.id, "reason": "we never promise", "csrf_token": token}
    )
    assert r.status_code == 303 and (await _draft(runtime, cid)).state == "rejected"
    r = await client.post(f"/inbox/{cid}/approve", data={"draft_id": draft.id, "text": "x", "csrf_token": token})
    assert r.status_code == 409 and "Draft is rejected." in r.text

    r = await client.post(
        f"/inbox/{cid}/context",
        data={"field.party_size": "900", "field.email": "ana@example.com", "csrf_token": token},
    )
    assert r.status_code == 422
    assert re.search(r'id="ctx-party_size-help" class="field-error">[^<]*at most 50', r.text)
    assert 'value="900"' in r.text  # what was typed stays in the field
    r = await client.post(
        f"/inbox/{cid}/context", data={"field.party_size": "4", "field.email": "", "csrf_token": token}
    )
    assert r.status_code == 303
    r = await client.post(f"/inbox/{cid}/status", data={"status": "booked", "csrf_token": token})
    assert r.status_code == 303
    r = await client.post(f"/inbox/{cid}/status", data={"status": "new", "csrf_token": token})
    assert r.status_code == 409
    async with runtime.db.reader() as s:
        reasons = (await s.execute(select(AuditEntry.after).where(AuditEntry.action == "draft.reject"))).scalars().all()
        values = await context.read_context(s, cid)
    assert [a["reason"] for a in reasons if a] == ["we never promise"]
    assert values["party_size"] == 4 and values["status"] == "booked"
    page = await client.get(f"/inbox/{cid}")
    assert "Move to:" in page.text and "party size" in page.text  # the history
