"""The Slack staff console end to end: a web chat customer's draft gets a card in the staff channel
(the real bolt app and slack_sdk client against a fake Slack Web API on loopback), and what staff do
on the card reaches the customer: Approve, Edit, Reject, Take over with thread replies, Hand back."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from channels.slack import cards
from tests.channels.slack_support import add_staff, click, connect, post_form, post_json, staff_message, submit
from tests.conftest import make_settings
from tests.core.test_pipeline import answer
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.fakes.server import serve
from tests.fakes.slack_server import STAFF_CHANNEL, FakeSlack, fake_slack
from tests.support import new_workspace

ANN, STRANGER = "UANN1", "USTRANGER1"
DRAFT = "We are open 9 to 6, Tuesday to Saturday."


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with fake_slack() as f:
        yield f


@pytest.fixture
def llm() -> Iterator[str]:
    fake = FakeOpenAI(default=Step(content=answer(DRAFT)))
    with serve(fake.app) as url:
        yield f"{url}/v1"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, chat_wait_seconds=0.3)


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app with its background loops: worker, outbox and the staff job runner."""
    app = create_app(runtime)
    await runtime.start(worker=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=30) as c:
        yield c


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


class Customer:
    """A web chat customer."""

    def __init__(self, client: httpx.AsyncClient, agent: str) -> None:
        self.client, self.agent, self.session = client, agent, str(uuid.uuid4())

    async def say(self, text: str) -> None:
        r = await self.client.post(
            "/api/v1/chat", json={"agent": self.agent, "message": text, "session_id": self.session}
        )
        assert r.status_code == 200, r.text

    async def received(self) -> list[str]:
        r = await self.client.get(f"/api/v1/chat/{self.session}/messages")
        return [m["text"] for m in r.json()["messages"] if m["role"] != "customer"]


def card_buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}


def card_text(call: dict[str, Any]) -> str:
    return json.dumps(call["blocks"], ensure_ascii=False)


async def setup(runtime: Runtime, fake: FakeSlack, llm: str) -> tuple[str, str, str]:
    new = await new_workspace(runtime.db, model_settings={"base_url": llm})
    conn = await connect(runtime, new.workspace.id, fake)
    await add_staff(runtime, new.workspace.id, fake, ANN, "ann@bella.example")
    return new.workspace.id, new.assistant.slug, conn.id


async def card_list(fake: FakeSlack) -> list[dict[str, Any]]:
    return [c for c in fake.of("chat.postMessage") if c.get("blocks") and not c["_failed"]]


async def card_for(fake: FakeSlack, count: int = 1) -> dict[str, Any]:
    async def posted() -> list[dict[str, Any]]:
        cards_ = [c for c in fake.of("chat.postMessage") if c.get("blocks") and not c["_failed"]]
        return cards_ if len(cards_) >= count else []

    return (await eventually(posted))[count - 1]


async def test_approve_on_the_card_reaches_the_web_chat_customer_once(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack, llm: str
) -> None:
    _ws, agent, conn = await setup(runtime, fake, llm)
    customer = Customer(client, agent)
    await customer.say("When are you open?")

    card = await card_for(fake)
    assert card["channel"] == STAFF_CHANNEL and "thread_ts" not in card  # the conversation's parent message
    shown = card_text(card)
    assert "When are you open?" in shown and DRAFT in shown and "Web chat" in shown
    assert "sentiment: " in shown and "Confidence 0.90" in shown  # what understanding read; the draft's confidence
    buttons = card_buttons(card["blocks"])
    assert set(buttons) == {cards.APPROVE, cards.EDIT, cards.REJECT, cards.TAKE_OVER}
    assert await customer.received() == []  # nothing goes out before staff approve

    r = await post_form(client, conn, click(cards.APPROVE, buttons[cards.APPROVE], user=ANN, message_ts=card["_ts"]))
    assert r.status_code == 200
    assert await eventually(lambda: _has(customer, DRAFT))

    # The card is updated in place: who approved, and what was sent; no buttons any more.
    update = (await eventually(lambda: _async(fake.of("chat.update"))))[-1]
    assert update["ts"] == card["_ts"] and "Approved by <@UANN1>" in card_text(update) and DRAFT in card_text(update)
    assert card_buttons(update["blocks"]) == {cards.SAVE_ANSWER: buttons[cards.APPROVE]}  # nothing else to do

    # A double click: the customer still has one copy, and the clicker a polite notice.
    await post_form(client, conn, click(cards.APPROVE, buttons[cards.APPROVE], user=ANN, message_ts=card["_ts"]))
    notice = (await eventually(lambda: _async(fake.of("chat.postEphemeral"))))[-1]
    assert notice["user"] == ANN and "Already approved" in notice["text"] and "Nothing more was sent" in notice["text"]
    await asyncio.sleep(0.5)
    assert (await customer.received()).count(DRAFT) == 1


async def test_edit_opens_the_draft_in_a_modal_and_sends_the_edit(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack, llm: str
) -> None:
    _ws, agent, conn = await setup(runtime, fake, llm)
    customer = Customer(client, agent)
    await customer.say("When are you open?")
    card = await card_for(fake)
    draft_id = card_buttons(card["blocks"])[cards.EDIT]

    assert (await post_form(client, conn, click(cards.EDIT, draft_id, user=ANN))).status_code == 200
    opened = (await eventually(lambda: _async(fake.of("views.open"))))[-1]
    view = opened["view"]
    assert view["blocks"][0]["element"]["initial_value"] == DRAFT  # prefilled with the draft

    edited = "We are open 9 to 6, Tuesday to Saturday, and until 8 on Thursdays."
    r = await post_form(client, conn, submit(view, user=ANN, values={"reply": edited}))
    assert r.status_code == 200 and r.content in (b"", b"null", b"{}")  # the modal closes
    assert await eventually(lambda: _has(customer, edited))
    assert DRAFT not in await customer.received()
    update = (await eventually(lambda: _async(fake.of("chat.update"))))[-1]
    assert "Edited and sent by <@UANN1>" in card_text(update)

    # Submitting the same modal again keeps it open with the reason, and sends nothing more.
    again = await post_form(client, conn, submit(view, user=ANN, values={"reply": "Another answer"}))
    assert again.json()["response_action"] == "errors" and "already answered" in again.json()["errors"]["reply"].lower()
    await asyncio.sleep(0.3)
    assert "Another answer" not in await customer.received()


async def test_reject_with_a_reason_sends_nothing(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack, llm: str
) -> None:
    _ws, agent, conn = await setup(runtime, fake, llm)
    customer = Customer(client, agent)
    await customer.say("When are you open?")
    card = await card_for(fake)
    await post_form(client, conn, click(cards.REJECT, card_buttons(card["blocks"])[cards.REJECT], user=ANN))
    view = (await eventually(lambda: _async(fake.of("views.open"))))[-1]["view"]
    r = await post_form(client, conn, submit(view, user=ANN, values={"reason": "We moved the hours"}))
    assert r.status_code == 200
    update = (await eventually(lambda: _async(fake.of("chat.update"))))[-1]
    assert "Rejected by <@UANN1>" in card_text(update) and "We moved the hours" in card_text(update)
    assert await customer.received() == []


async def test_take_over_then_thread_replies_reach_the_customer_and_remarks_do_not(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack, llm: str
) -> None:
    _ws, agent, conn = await setup(runtime, fake, llm)
    customer = Customer(client, agent)
    await customer.say("Can I bring my dog?")
    card = await card_for(fake)
    parent = card["_ts"]

    # Before take-over, a thread reply is an internal remark: it never reaches the customer.
    remark = staff_message("hmm, do we allow dogs?", user=ANN, thread_ts=parent, ts="1700000100.000001", event_id="Ev1")
    assert (await post_json(client, conn, remark)).status_code == 200
    # ...unless it starts with the marker.
    marked = staff_message("!reply Let me check.", user=ANN, thread_ts=parent, ts="1700000100.000002", event_id="Ev2")
    await post_json(client, conn, marked)
    assert await eventually(lambda: _has(customer, "Let me check."))
    assert "hmm, do we allow dogs?" not in await customer.received()

    await post_form(client, conn, click(cards.TAKE_OVER, card_buttons(card["blocks"])[cards.TAKE_OVER], user=ANN))

    async def taken_over() -> list[dict[str, Any]]:
        return [u for u in fake.of("chat.update") if "took over" in card_text(u)]

    update = (await eventually(taken_over))[-1]
    assert cards.HAND_BACK in card_buttons(update["blocks"])
    notices = await eventually(lambda: _async([c for c in fake.of("chat.postMessage") if c.get("thread_ts") == parent]))
    assert any("took over" in n["text"] for n in notices)

    # While taken over, the assistant is silent and what the customer writes appears in the thread.
    await customer.say("Great, is 5pm OK?")
    said = await eventually(
        lambda: _async([c for c in fake.of("chat.postMessage") if "is 5pm OK?" in c.get("text", "")])
    )
    assert said[0]["thread_ts"] == parent and len(await card_list(fake)) == 1

    reply = staff_message("Yes, dogs are welcome!", user=ANN, thread_ts=parent, ts="1700000100.000003", event_id="Ev3")
    await post_json(client, conn, reply)
    assert await eventually(lambda: _has(customer, "Yes, dogs are welcome!"))

    # Slack retries the same event: sent once.
    await post_json(client, conn, reply, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    await asyncio.sleep(0.5)
    assert (await customer.received()).count("Yes, dogs are welcome!") == 1

    # Hand back: thread replies are internal again.
    await post_form(client, conn, click(cards.HAND_BACK, card_buttons(update["blocks"])[cards.HAND_BACK], user=ANN))
    await eventually(
        lambda: _async([n for n in fake.of("chat.postMessage") if "handed the conversation back" in n.get("text", "")])
    )
    after = staff_message("note to self: dogs OK", user=ANN, thread_ts=parent, ts="1700000100.000004", event_id="Ev4")
    await post_json(client, conn, after)
    await asyncio.sleep(0.5)
    assert "note to self: dogs OK" not in await customer.received()


async def test_an_unknown_slack_user_cannot_approve(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack, llm: str
) -> None:
    _ws, agent, conn = await setup(runtime, fake, llm)
    fake.add_user(STRANGER, "someone@elsewhere.example")
    customer = Customer(client, agent)
    await customer.say("When are you open?")
    card = await card_for(fake)
    await post_form(client, conn, click(cards.APPROVE, card_buttons(card["blocks"])[cards.APPROVE], user=STRANGER))
    notice = (await eventually(lambda: _async(fake.of("chat.postEphemeral"))))[-1]
    assert notice["user"] == STRANGER and "not linked" in notice["text"]
    await asyncio.sleep(0.5)
    assert await customer.received() == []
    assert fake.of("chat.update") == []


async def _has(customer: Customer, text: str) -> bool:
    return text in await customer.received()


async def _async(value: Any) -> Any:
    return value


async def test_the_frontdesk_slash_command(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack, llm: str
) -> None:
    _ws, agent, conn = await setup(runtime, fake, llm)
    customer = Customer(client, agent)
    await customer.say("When are you open?")
    card = await card_for(fake)
    conversation = card_text(card).split("conversation `")[1][:8]

    async def command(text: str, user: str = ANN) -> str:
        form = {"token": "verification_token", "team_id": "T111", "team_domain": "bella", "channel_id": STAFF_CHANNEL,
                "channel_name": "frontdesk-staff", "user_id": user, "user_name": user, "command": "/frontdesk",
                "text": text, "response_url": "https://hooks.slack.com/commands/T111/1/x",
                "trigger_id": "1.2.3"}  # fmt: skip
        r = await post_form(client, conn, urlencode(form))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["response_type"] == "ephemeral"  # only the caller sees it
        return str(body["text"])

    assert "/frontdesk pause" in await command("help")
    assert "*1* draft(s) waiting" in await command("status")
    assert "not linked" in await command("status", user=STRANGER)
    assert "taken over" in await command(f"pause {conversation}")
    assert f"`{conversation}`" in (await command("status")).split("Taken over")[1]
    # While paused, a thread reply reaches the customer.
    reply = staff_message("Open till 6!", user=ANN, thread_ts=card["_ts"], ts="1700000200.000001", event_id="Ev9")
    await post_json(client, conn, reply)
    assert await eventually(lambda: _has(customer, "Open till 6!"))
    assert "back with the assistant" in await command(f"resume {conversation}")
    assert "Taken over" not in await command("status")
    assert "No conversation" in await command("pause ffffffff")


async def test_a_reply_written_in_slack_saved_as_an_answer_answers_the_next_customer(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack
) -> None:
    """No LLM: the assistant cannot answer, staff write the reply from the card and save it; the next
    customer asking the same gets it at once, with no card."""
    new = await new_workspace(runtime.db, approval_policy="autopilot")
    conn = (await connect(runtime, new.workspace.id, fake)).id
    await add_staff(runtime, new.workspace.id, fake, ANN, "ann@bella.example")
    first = Customer(client, new.assistant.slug)
    await first.say("Is there parking nearby?")
    card = await card_for(fake)
    assert "No draft" in card_text(card) and cards.APPROVE not in card_buttons(card["blocks"])
    await post_form(client, conn, click(cards.EDIT, card_buttons(card["blocks"])[cards.EDIT], user=ANN))
    view = (await eventually(lambda: _async(fake.of("views.open"))))[-1]["view"]
    assert "initial_value" not in view["blocks"][0]["element"]  # nothing to prefill: staff write it
    words = "Yes! Free parking behind the salon, entrance on Mill Lane."
    await post_form(client, conn, submit(view, user=ANN, values={"reply": words}))
    assert await eventually(lambda: _has(first, words))

    update = (await eventually(lambda: _async(fake.of("chat.update"))))[-1]
    await post_form(client, conn, click(cards.SAVE_ANSWER, card_buttons(update["blocks"])[cards.SAVE_ANSWER], user=ANN))
    saved = await eventually(
        lambda: _async([u for u in fake.of("chat.update") if "Saved as an answer" in card_text(u)])
    )
    assert cards.SAVE_ANSWER not in card_buttons(saved[-1]["blocks"])

    second = Customer(client, new.assistant.slug)
    await second.say("is there parking nearby?")

    async def answered() -> bool:
        return any(words in m for m in await second.received())  # quoted from the saved answer, with its source

    assert await eventually(answered)
    await asyncio.sleep(0.5)
    assert len(await card_list(fake)) == 1  # answered by the assistant: no card for staff
