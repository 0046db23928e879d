"""The Telegram channel end to end: the real aiogram client against a fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiogram.types import Update
from sqlalchemy import func, select, update

from bot.runtime import Runtime
from bot.settings import Settings
from channels.telegram.channel import TelegramChannel
from channels.telegram.connection import load_connection
from channels.telegram.normalize import normalize
from core.assistants import DEFAULT_HOLDING_REPLY
from core.channels import MediaError
from core.messages import Attachment, AttachmentKind, OutboundMessage, QuickReply, utcnow
from core.models import ChannelConnection, Contact, InboxItem, Message, OutboxItem
from core.outbox import route_for
from tests.channels.telegram_support import SECRET, adapted, connect, fixture, text_update
from tests.core.test_pipeline import answer
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.fakes.server import serve
from tests.fakes.telegram_server import BOT_ID, TOKEN, USERNAME, FakeTelegram, fake_telegram
from tests.support import new_workspace

HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_telegram() as f:
        yield f


async def post(
    client: httpx.AsyncClient, connection_id: str, update: Any, secret: str | None = SECRET
) -> httpx.Response:
    headers = {HEADER: secret} if secret is not None else {}
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    return await client.post(f"/webhooks/telegram/{connection_id}", content=body, headers=headers)


async def deliver(runtime: Runtime) -> None:
    await runtime.worker().drain()
    await runtime.sender().run_once()


async def inbox_count(runtime: Runtime) -> int:
    async with runtime.db.reader() as s:
        return int((await s.execute(select(func.count()).select_from(InboxItem))).scalar_one())


async def test_webhook_update_is_answered_and_a_redelivery_is_not(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    update = text_update(9001, "Hi, can I book a haircut on Saturday?")
    for _ in range(3):  # Telegram redelivers what it thinks was not acknowledged
        assert (await post(web, conn.id, update)).status_code == 200
        await deliver(runtime)
    (sent,) = fake.sent("sendMessage")
    assert sent["chat_id"] == "1111111" and sent["text"] == DEFAULT_HOLDING_REPLY
    assert await inbox_count(runtime) == 1
    async with runtime.db.reader() as s:
        out = (await s.execute(select(Message).where(Message.direction == "out"))).scalar_one()
        assert out.status == "sent" and out.external_id == f"1111111:{fake._next_message_id}"
        row = (await s.execute(select(InboxItem))).scalar_one()
        assert (row.account, row.external_id) == ("7000000001", "1111111:9001")


async def test_webhook_refuses_a_wrong_or_missing_secret_and_an_unsecured_connection(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    update = text_update(1, "hello")
    assert (await post(web, conn.id, update, secret=None)).status_code == 401
    assert (await post(web, conn.id, update, secret="wrong")).status_code == 401
    assert (await post(web, conn.id, update, secret=SECRET + "x")).status_code == 401
    unsecured = await connect(runtime, new.workspace.id, fake, secret=None)
    assert (await post(web, unsecured.id, update, secret="")).status_code == 401
    assert (await post(web, "no-such-connection", update)).status_code == 404
    assert await inbox_count(runtime) == 0


async def test_malformed_and_rejected_updates_get_400_and_nothing_is_stored(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    nested = b"[" * 30_000 + b"]" * 30_000
    with_nul = json.dumps(text_update(3, "nul \x00 here")).encode()  # PostgreSQL cannot store it
    bodies = (
        b"{not json",
        b"[1, 2]",
        b'"text"',
        json.dumps({"update_id": "x"}).encode(),
        b"\xff\xfe",
        nested,
        with_nul,
    )
    for body in bodies:
        r = await post(web, conn.id, body)
        assert r.status_code in (400, 422), body
    # The Bot API docs' own examples lack fields Telegram now always sends; aiogram refuses them.
    for name, example in fixture("telegram_official_webhook_examples.json")["updates"].items():
        assert (await post(web, conn.id, example)).status_code == 400, name
    assert await inbox_count(runtime) == 0


async def test_unsupported_updates_are_acknowledged_counted_and_dropped(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    channel_post = {"message_id": 1, "date": 1441645532, "text": "Sale!", "chat": {"id": -1001, "type": "channel"}}
    post_update = {"update_id": 77, "channel_post": channel_post}
    assert (await post(web, conn.id, post_update)).status_code == 200
    assert await inbox_count(runtime) == 0
    metrics = (await web.get("/metrics")).text
    assert 'frontdesk_unsupported_updates_total{channel="telegram",type="channel_post:unsupported"}' in metrics


async def test_a_button_press_is_answered_in_the_webhook_response(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    r = await post(web, conn.id, adapted("callback_query_from_message_button"))
    assert r.json() == {"method": "answerCallbackQuery", "callback_query_id": "id"}
    async with runtime.db.reader() as s:
        row = (await s.execute(select(InboxItem))).scalar_one()
    assert row.message["kind"] == "button" and row.message["payload"] == "some_data"


async def test_llm_reply_shows_typing_then_sends_the_draft(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    llm = FakeOpenAI(default=Step(content=answer("We are open 9 to 6, Tuesday to Saturday.")))
    with serve(llm.app) as url:
        new = await new_workspace(runtime.db, approval_policy="auto", model_settings={"base_url": f"{url}/v1"})
        conn = await connect(runtime, new.workspace.id, fake)
        await post(web, conn.id, text_update(5, "When are you open?"))
        await deliver(runtime)
    assert [c.method for c in fake.calls] == ["sendChatAction", "sendMessage"]
    assert fake.sent("sendChatAction")[0]["action"] == "typing"
    assert fake.sent()[0]["text"] == "We are open 9 to 6, Tuesday to Saturday."


async def _route(runtime: Runtime, fake: FakeTelegram) -> tuple[TelegramChannel, Any, Any]:
    """A conversation with one customer message, and its reply route."""
    new = await new_workspace(runtime.db, approval_policy="approve_all")
    conn = await connect(runtime, new.workspace.id, fake)
    identity = load_connection(conn, runtime.box).identity
    message = normalize(Update.model_validate(text_update(1, "hi")), identity).message
    assert message is not None
    await runtime.inbox.accept(message)
    await runtime.worker().drain()
    async with runtime.db.reader() as s:
        conversation_id = (await s.execute(select(Message.conversation_id))).scalars().first()
    channel = runtime.channels.get("telegram")
    assert isinstance(channel, TelegramChannel)
    return channel, await route_for(runtime.db, runtime.box, str(conversation_id)), conversation_id


async def test_long_text_is_split_buttons_become_an_inline_keyboard_and_files_are_sent(
    runtime: Runtime, fake: FakeTelegram
) -> None:
    channel, route, conversation_id = await _route(runtime, fake)
    paragraph = "We cut, colour and style. " * 60  # ~1,560 characters
    text = "\n\n".join([paragraph.strip()] * 4)  # ~6,250 characters
    buttons = (QuickReply(title="Book now", payload="book"), QuickReply(title="Prices", payload="prices"))
    attachments = (
        Attachment(kind=AttachmentKind.image, ref="https://bellas-salon.example/price-list.jpg"),
        Attachment(kind=AttachmentKind.document, ref="BQACAgQAAxkBAAIBdocument"),
    )
    message = OutboundMessage(
        conversation_id=conversation_id, text=text, buttons=buttons, attachments=attachments, idempotency_key="k1"
    )
    receipt = await channel.send(route, message)
    parts = fake.sent("sendMessage")
    assert len(parts) == 2 and all(len(p["text"]) <= 4096 for p in parts)
    assert parts[0]["text"].endswith(".") and "\n\n".join(p["text"] for p in parts) == text
    assert "reply_markup" not in parts[0]
    keyboard = parts[1]["reply_markup"]["inline_keyboard"]
    assert [[b["text"], b["callback_data"]] for row in keyboard for b in row] == [
        ["Book now", "book"],
        ["Prices", "prices"],
    ]
    assert fake.sent("sendPhoto")[0]["photo"] == "https://bellas-salon.example/price-list.jpg"
    assert fake.sent("sendDocument")[0]["document"] == "BQACAgQAAxkBAAIBdocument"
    assert len(receipt.external_ids) == 4
    # A file of ours (stored, no Telegram file id) is uploaded.
    stored = await runtime.storage.put(b"%PDF-1.4 Bella's prices")
    upload = Attachment(kind=AttachmentKind.document, key=stored.key, name="prices.pdf")
    await channel.send(
        route, OutboundMessage(conversation_id=conversation_id, attachments=(upload,), idempotency_key="k2")
    )
    assert fake.sent("sendDocument")[-1]["document"] == "%PDF-1.4 Bella's prices"


async def test_rate_limited_reply_is_retried_by_the_outbox_after_retry_after(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    await post(web, conn.id, text_update(1, "hello"))
    before = utcnow()
    await deliver(runtime)
    assert fake.sent() and len(fake.sent()) == 1  # the one refused attempt
    async with runtime.db.reader() as s:
        row = (await s.execute(select(OutboxItem))).scalar_one()
    assert row.state == "pending" and row.attempts == 1
    assert row.next_attempt_at >= before + timedelta(seconds=6.5)


async def test_a_blocked_bot_marks_the_contact_unreachable_without_retrying(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await post(web, conn.id, text_update(1, "hello"))
    await deliver(runtime)
    async with runtime.db.reader() as s:
        row = (await s.execute(select(OutboxItem))).scalar_one()
        contact = (await s.execute(select(Contact))).scalar_one()
    assert (row.state, row.error_code) == ("failed", "unreachable")
    assert contact.unreachable_at is not None
    await runtime.sender().run_once()
    assert len(fake.sent()) == 1  # not retried
    # They unblock the bot and write again: reachable again.
    await post(web, conn.id, text_update(2, "sorry, me again"))
    await runtime.worker().drain()
    async with runtime.db.reader() as s:
        assert (await s.execute(select(Contact.unreachable_at))).scalar_one() is None


async def test_a_server_error_is_retried(runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    fake.fail("sendMessage", 502, "Bad Gateway")
    await post(web, conn.id, text_update(1, "hello"))
    await deliver(runtime)
    for _ in range(50):
        await asyncio.sleep(0.05)
        await runtime.sender().run_once()
        if len(fake.sent()) == 2:
            break
    async with runtime.db.reader() as s:
        row = (await s.execute(select(OutboxItem))).scalar_one()
    assert row.state == "sent" and row.attempts == 2


async def test_media_is_fetched_through_get_file_with_a_size_cap(runtime: Runtime, fake: FakeTelegram) -> None:
    channel, route, _ = await _route(runtime, fake)
    fake.files["files/voice-1"] = b"OggS" + b"\x00" * 2000
    voice = Attachment(kind=AttachmentKind.voice, mime_type="audio/ogg", ref="voice-1")
    assert await channel.fetch_media(route, voice, max_bytes=10_000) == fake.files["files/voice-1"]
    with pytest.raises(MediaError) as too_big:
        await channel.fetch_media(route, voice, max_bytes=100)
    assert too_big.value.code == "too_large"
    with pytest.raises(MediaError):
        await channel.fetch_media(route, Attachment(kind=AttachmentKind.voice, ref="gone"), max_bytes=100)


async def test_polling_answers_and_a_restart_neither_loses_nor_repeats(settings: Settings, fake: FakeTelegram) -> None:
    settings = settings.model_copy(update={"telegram_poll_rescan_seconds": 0.1, "telegram_poll_timeout": 1})

    async def serve_until(runtime: Runtime, turns: int) -> None:
        """Run the server's background work until `turns` customer messages went through the pipeline."""
        await runtime.start(worker=True)
        try:
            done: int | None = 0
            for _ in range(200):
                async with runtime.db.reader() as s:
                    done = await s.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.state == "done"))
                if done == turns:
                    await asyncio.sleep(0.3)  # let the outbox send, and any wrongful repeat show up
                    return
                await asyncio.sleep(0.05)
            raise AssertionError(f"{done} turns done, wanted {turns}")
        finally:
            await runtime.close()

    first = Runtime.build(settings)
    new = await new_workspace(first.db)
    conn = await connect(first, new.workspace.id, fake, mode="polling", secret=None)
    fake.push_update(text_update(100, "hi there"))
    await serve_until(first, 1)
    assert [m["text"] for m in fake.sent()] == [DEFAULT_HOLDING_REPLY]

    second = Runtime.build(settings)
    async with second.db.session() as s:
        assert (await s.scalar(select(ChannelConnection.cursor).where(ChannelConnection.id == conn.id))) == "101"
        # As if the process died after storing the update but before storing the offset:
        # Telegram hands the update over again, and the inbox knows it.
        await s.execute(update(ChannelConnection).where(ChannelConnection.id == conn.id).values(cursor=None))
    fake.push_update(text_update(100, "hi there"))
    fake.push_update(text_update(101, "are you there?", message_id=102))
    await serve_until(second, 2)
    async with second.db.reader() as s:
        texts = (await s.execute(select(Message.text).where(Message.direction == "in"))).scalars().all()
        assert sorted(texts) == ["are you there?", "hi there"]
        assert await s.scalar(select(func.count()).select_from(InboxItem)) == 2
    # One holding reply per wait: the second message of a waiting conversation gets no second one.
    assert len(fake.sent()) == 1
    polls = [c.params for c in fake.calls if c.method == "getUpdates"]
    assert all(p["allowed_updates"] == ["message", "edited_message", "callback_query"] for p in polls)
    assert fake.sent("deleteWebhook")  # polling mode makes sure no webhook blocks getUpdates


async def test_admin_api_checks_a_telegram_token_and_fills_in_the_bot(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    new = await new_workspace(runtime.db)
    headers = {"Authorization": f"Bearer {new.token}"}
    good = {"kind": "telegram", "config": {"token": TOKEN, "api_base": fake.url}}
    r = await web.post("/api/v1/channels", headers=headers, json=good)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["account"] == str(BOT_ID) and created["name"] == f"@{USERNAME}"
    assert created["config"]["mode"] == "polling" and created["config"]["token"] == "********"
    revoked = {"kind": "telegram", "config": {"token": "123:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "api_base": fake.url}}
    r = await web.post("/api/v1/channels", headers=headers, json=revoked)
    assert r.status_code == 422 and "token is not valid" in r.text
    r = await web.post("/api/v1/channels", headers=headers, json={"kind": "telegram", "config": {}})
    assert r.status_code == 422 and "BotFather" in r.text


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_several_servers_poll_a_bot_once_and_another_takes_over(settings: Settings, fake: FakeTelegram) -> None:
    """Telegram refuses two getUpdates for one bot at once: on PostgreSQL an advisory lock makes one
    process the poller, and when it stops, another picks the bot up."""
    settings = settings.model_copy(update={"telegram_poll_rescan_seconds": 0.1, "telegram_poll_timeout": 1})
    first, second = Runtime.build(settings), Runtime.build(settings)
    new = await new_workspace(first.db)
    await connect(first, new.workspace.id, fake, mode="polling", secret=None)
    await first.start(worker=False)
    await second.start(worker=False)
    try:
        await asyncio.sleep(1.0)
        assert len(fake.sent("deleteWebhook")) == 1  # only the lock holder began polling
        await first.close()
        for _ in range(100):
            if len(fake.sent("deleteWebhook")) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(fake.sent("deleteWebhook")) == 2  # the second server took over
        fake.push_update(text_update(300, "anyone there?"))
        for _ in range(100):
            if await inbox_count(second) == 1:
                break
            await asyncio.sleep(0.05)
        assert await inbox_count(second) == 1
    finally:
        await second.close()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_changed_connection_is_polled_again_in_the_same_process(settings: Settings, fake: FakeTelegram) -> None:
    settings = settings.model_copy(update={"telegram_poll_rescan_seconds": 0.1, "telegram_poll_timeout": 1})
    runtime = Runtime.build(settings)
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake, mode="polling", secret=None)
    await runtime.start(worker=False)
    try:
        await asyncio.sleep(0.5)
        async with runtime.db.session() as s:  # staff rename the bot: its poller restarts
            await s.execute(update(ChannelConnection).where(ChannelConnection.id == conn.id).values(name="renamed"))
            row = await s.get(ChannelConnection, conn.id)
            assert row is not None
            config = runtime.box.open(row.config)
            row.config = runtime.box.seal({**config, "username": "renamed_bot"}, frozenset({"token", "webhook_secret"}))
        for _ in range(100):
            if len(fake.sent("deleteWebhook")) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(fake.sent("deleteWebhook")) == 2  # the new poller got the lock its predecessor held
    finally:
        await runtime.close()
