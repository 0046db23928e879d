"""The inbox as staff read it through the API: the views, their counts, filters and search over
names and messages, and one conversation's whole page (messages with media, the waiting draft,
context with its workflow, intent and sentiment, history, the customer's other conversations)."""

from __future__ import annotations

from typing import Any

import httpx

from bot.runtime import Runtime
from core.messages import Attachment, AttachmentKind, ChannelKind, InboundMessage, Sender
from tests.admin.conftest import API, bearer, register
from tests.rules.conftest import Clock
from tests.understanding.conftest import DEMO

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def owner_of(web: httpx.AsyncClient, name: str = "Bella's Salon") -> tuple[dict[str, str], str, str, str]:
    """A registered owner: (headers, workspace id, user id, assistant id)."""
    session = await register(web, workspace_name=name)
    headers = bearer(session["token"])
    assistants = (await web.get(f"{API}/assistants", headers=headers)).json()
    return headers, session["workspace"]["id"], session["user"]["id"], assistants[0]["id"]


async def arrives(
    runtime: Runtime,
    ws: str,
    assistant: str,
    text: str,
    *,
    channel: ChannelKind = ChannelKind.web,
    sender: str = "ana",
    name: str = "Ana",
    thread: str | None = None,
    phone: str | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> None:
    """A customer's message, taken through the pipeline (no reply is sent: the test drives the outbox)."""
    thread = thread or sender
    await runtime.inbox.accept(
        InboundMessage(
            workspace_id=ws,
            channel=channel,
            account=assistant,
            external_id=f"{thread}-{text[:20]}",
            thread=thread,
            sender=Sender(id=sender, display_name=name, phone=phone),
            text=text,
            attachments=attachments,
        )
    )
    await runtime.worker().drain()


async def names(web: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    r = await web.get(f"{API}/conversations", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return [row["contact_name"] for row in r.json()["items"]]


async def test_views_counts_filters_and_search(web: httpx.AsyncClient, runtime: Runtime) -> None:
    headers, ws, user_id, assistant = await owner_of(web)
    await arrives(runtime, ws, assistant, "Are you open on Sunday?", sender="ana", name="Ana Lima")
    await arrives(
        runtime,
        ws,
        assistant,
        "My hairdryer broke, I want a refund",
        channel=ChannelKind.telegram,
        sender="ben",
        name="Ben",
    )
    await arrives(
        runtime,
        ws,
        assistant,
        "Can I book 100% colour on Friday?",
        channel=ChannelKind.whatsapp,
        sender="cleo",
        name="Cleo",
    )
    rows = {
        row["contact_name"]: row for row in (await web.get(f"{API}/conversations", headers=headers)).json()["items"]
    }
    assert list(rows) == ["Cleo", "Ben", "Ana Lima"]  # newest activity first
    ben = rows["Ben"]
    # No LLM here: each message left an empty draft for staff and the holding reply is the last message.
    assert ben["channel"] == "telegram" and ben["status"] == "waiting" and ben["draft_waiting"] is True
    assert ben["preview_direction"] == "out" and ben["preview"]
    assert ben["sentiment"] is not None

    async def patch(row: dict[str, Any], **changes: Any) -> None:
        r = await web.patch(f"{API}/conversations/{row['id']}", headers=headers, json=changes)
        assert r.status_code == 200, r.text

    await patch(ben, assigned_user_id=user_id, priority="high", tags=["refund", "vip"])
    await patch(rows["Cleo"], status="closed")

    assert await names(web, headers, view="waiting") == ["Ben", "Ana Lima"]
    assert await names(web, headers, view="mine") == ["Ben"]
    assert await names(web, headers, view="unassigned") == ["Cleo", "Ana Lima"]
    counts = await web.get(f"{API}/conversations/counts", headers=headers)
    assert counts.json() == {"waiting": 2, "mine": 1, "unassigned": 2, "all": 3}
    filtered = await web.get(f"{API}/conversations/counts", headers=headers, params={"channel": "web"})
    assert filtered.json() == {"waiting": 1, "mine": 0, "unassigned": 1, "all": 1}

    assert await names(web, headers, channel="telegram") == ["Ben"]
    assert await names(web, headers, tag="vip") == ["Ben"]
    assert await names(web, headers, tag="vi") == []
    assert await names(web, headers, priority="high") == ["Ben"]
    assert await names(web, headers, status="closed") == ["Cleo"]
    assert await names(web, headers, assignee=user_id) == ["Ben"]
    assert await names(web, headers, view="unassigned", channel="web") == ["Ana Lima"]
    if ben["intent"] is not None:
        assert "Ben" in await names(web, headers, intent=ben["intent"])
    assert await names(web, headers, intent="no-such-intent") == []

    assert await names(web, headers, q="HAIRDRYER") == ["Ben"]  # a customer's words, any case
    assert await names(web, headers, q="lima") == ["Ana Lima"]  # a contact's name
    assert await names(web, headers, q="100%") == ["Cleo"]  # % is a character, not a wildcard
    assert await names(web, headers, q="%") == ["Cleo"]
    assert await names(web, headers, q="nobody said this") == []

    page = (await web.get(f"{API}/conversations", headers=headers, params={"limit": 2, "offset": 2})).json()
    assert page["total"] == 3 and [r["contact_name"] for r in page["items"]] == ["Ana Lima"]

    other, other_ws, _, other_assistant = await owner_of(web, "Other Salon")
    await arrives(runtime, other_ws, other_assistant, "Hello from elsewhere", sender="zed", name="Zed")
    assert await names(web, other) == ["Zed"]
    assert (await web.get(f"{API}/conversations/counts", headers=headers)).json()["all"] == 3

    for bad in ({"view": "everything"}, {"priority": "meh"}, {"q": "x" * 201}, {"tag": "t" * 51}, {"limit": 0}):
        r = await web.get(f"{API}/conversations", headers=headers, params=bad)
        assert r.status_code == 422, (bad, r.text)


async def test_a_conversations_whole_page(web: httpx.AsyncClient, runtime: Runtime, clock: Clock) -> None:
    headers, ws, _, assistant = await owner_of(web)
    saved = await web.put(f"{API}/context/workspaces/{ws}/schema", json={"template": "front_desk"}, headers=headers)
    assert saved.status_code == 200, saved.text
    phone = "+447700900123"
    stored = await runtime.storage.put(PNG)
    photo = Attachment(kind=AttachmentKind.image, mime_type="image/png", name="hair.png", ref=stored.key)
    await arrives(runtime, ws, assistant, "This is what it looks like", sender="ana", attachments=(photo,))
    await arrives(runtime, ws, assistant, DEMO.replace("07700 900123", "+44 7700 900123"), sender="ana")
    await arrives(runtime, ws, assistant, "Ana again, on the other chat", sender="ana", thread="ana-2")
    await arrives(
        runtime, ws, assistant, "Ana on WhatsApp", channel=ChannelKind.whatsapp, sender="447700900123", phone=phone
    )
    await arrives(runtime, ws, assistant, "Ana on Telegram", channel=ChannelKind.telegram, sender="tg-7", phone=phone)
    await arrives(runtime, ws, assistant, "Someone else", channel=ChannelKind.telegram, sender="tg-8", name="Bo")
    rows = (await web.get(f"{API}/conversations", headers=headers, params={"channel": "web"})).json()["items"]
    again, ana = rows  # newest first: the second chat, then the first

    r = await web.get(f"{API}/conversations/{ana['id']}/detail", headers=headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["conversation"]["id"] == ana["id"] and page["conversation"]["intent"] in ("complaint", "cancel")
    texts = [(m["direction"], m["text"]) for m in page["messages"]]
    assert (
        texts[0] == ("in", "This is what it looks like")
        and ("in", DEMO.replace("07700 900123", "+44 7700 900123")) in texts
    )
    assert page["messages_total"] == len(page["messages"])
    media = page["messages"][0]["media"]
    assert [(m["kind"], m["mime_type"], m["name"]) for m in media] == [("image", "image/png", "hair.png")]
    link = httpx.URL(media[0]["url"])
    fetched = await web.get(link.raw_path.decode())
    assert fetched.status_code == 200 and fetched.content == PNG

    assert page["draft"] is not None and page["draft"]["decision"] in ("handoff", "needs_approval")
    assert "confidence" in page["draft"] and "citations" in page["draft"] and "reason" in page["draft"]
    fields = {f["name"]: f for f in page["context"]}
    assert fields["phone"]["value"] == phone and fields["phone"]["type"] == "phone"
    assert fields["service"]["type"] == "enum" and fields["service"]["options"]
    assert page["workflow"]["status"] == "new"
    assert page["workflow"]["moves"] == ["booked", "waiting_on_customer", "resolved"]
    assert page["reading"]["sentiment"] == "negative" and "cancelled" in page["reading"]["sentiment_cause"]
    history = {h["field"]: h for h in page["context_history"]}
    assert history["phone"]["source"] == "ai" and history["phone"]["new_value"] == phone
    assert page["statuses"] == ["open", "waiting", "closed"] and "urgent" in page["priorities"]

    # The same contact's other chat; the contacts that share Ana's phone are found from theirs.
    assert [o["id"] for o in page["others"]] == [again["id"]]
    (whatsapp,) = (await web.get(f"{API}/conversations", headers=headers, params={"channel": "whatsapp"})).json()[
        "items"
    ]
    linked = (await web.get(f"{API}/conversations/{whatsapp['id']}/detail", headers=headers)).json()["others"]
    assert [(o["channel"], o["contact_name"]) for o in linked] == [("telegram", "Ana")]  # not Bo

    assert (await web.get(f"{API}/conversations/nope/detail", headers=headers)).status_code == 404
    stranger, _, _, _ = await owner_of(web, "Other Salon")
    assert (await web.get(f"{API}/conversations/{ana['id']}/detail", headers=stranger)).status_code == 404
