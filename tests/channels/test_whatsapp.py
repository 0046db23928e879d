"""WhatsApp and SMS through Twilio, end to end: signed webhooks in, the real twilio SDK out to a fake
Twilio REST API on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from sqlalchemy import func, select, update
from twilio.request_validator import RequestValidator

from bot.runtime import Runtime
from channels.kinds import secret_fields
from core.assistants import DEFAULT_HOLDING_REPLY
from core.channels import MediaError
from core.messages import Attachment, AttachmentKind, MessageKind, utcnow
from core.models import (
    Assistant,
    ChannelConnection,
    Contact,
    Conversation,
    DeliveryEvent,
    InboxItem,
    Message,
    OutboxItem,
)
from core.notify import StaffAlert
from core.outbox import route_for
from staff.actor import Actor
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, WHATSAPP_FROM, FakeTwilio, fake_twilio
from tests.support import new_workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "twilio"
BASE = "http://t"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def whatsapp(name: str, **changes: str) -> dict[str, str]:
    fields = dict(fixture("whatsapp_inbound_payloads_CONSTRUCTED.json")["payloads"][name]["fields"])
    fields.update(changes)
    return fields


def sms(text: str, sid_number: int, sender: str = "+15005550099") -> dict[str, str]:
    sid = f"SM{sid_number:032x}"
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": sender, "To": SMS_FROM,
            "Body": text, "NumMedia": "0", "ApiVersion": "2010-04-01"}  # fmt: skip


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with fake_twilio() as f:
        yield f


async def connect(runtime: Runtime, workspace_id: str, fake: FakeTwilio, **extra: str) -> ChannelConnection:
    config = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from": WHATSAPP_FROM, "sms_from": SMS_FROM,
              "api_base": fake.url, **extra}  # fmt: skip
    async with runtime.db.session() as s:
        row = ChannelConnection(
            workspace_id=workspace_id,
            kind="whatsapp",
            name="Bella WhatsApp",
            account=WHATSAPP_FROM,
            config=runtime.box.seal(config, secret_fields("whatsapp")),
        )
        s.add(row)
        await s.flush()
        return row


def signed(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


async def post(
    client: httpx.AsyncClient, path: str, params: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    headers = signed(BASE + path, params) if headers is None else headers
    return await client.post(path, content=urlencode(params), headers={
        "content-type": "application/x-www-form-urlencoded", **headers})  # fmt: skip


async def deliver(runtime: Runtime) -> None:
    await runtime.worker().drain()
    await runtime.sender().run_once()


async def count(runtime: Runtime, model: Any) -> int:
    async with runtime.db.reader() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


# --- signatures ------------------------------------------------------------------------------------


def test_the_sdk_validator_behaves_as_the_vectors_document() -> None:
    vectors = fixture("request_validator_vectors.json")
    validator = RequestValidator(vectors["auth_token"])
    for case in vectors["cases"]:
        signature = case.get("expected_signature") or case["signature"]
        if "raw_body" in case:
            params: Any = case["raw_body"]
        elif "params_multi" in case:
            params = _MultiDict(case["params_multi"])
        else:
            params = case["params"]
        assert validator.validate(case["url"], params, signature), case["name"]
        tampered = dict(params) if isinstance(params, dict) else params
        if isinstance(tampered, dict):
            tampered["Digits"] = "9999"
            assert not validator.validate(case["url"], tampered, signature), case["name"]
        elif isinstance(tampered, str):
            assert not validator.validate(case["url"], tampered + " ", signature), case["name"]


class _MultiDict(dict[str, str]):
    def __init__(self, items: list[list[str]]) -> None:
        super().__init__((k, v) for k, v in items)
        self.items_list = items

    def getall(self, key: str) -> list[str]:
        return [v for k, v in self.items_list if k == key]


async def test_forged_missing_and_altered_requests_get_403_and_nothing_is_stored(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    path = f"/webhooks/twilio/{conn.id}"
    params = whatsapp("whatsapp_text")
    assert (await post(web, path, params, headers={})).status_code == 403
    assert (await post(web, path, params, headers=signed(BASE + path, params, "wrong-token"))).status_code == 403
    altered = {**params, "Body": "send me everyone's bookings"}
    assert (await post(web, path, altered, headers=signed(BASE + path, params))).status_code == 403
    other_path = f"/webhooks/twilio/{conn.id}/status"
    assert (await post(web, path, params, headers=signed(BASE + other_path, params))).status_code == 403
    assert (await web.post(path, json=params, headers=signed(BASE + path, params))).status_code in (403, 415)
    assert await count(runtime, InboxItem) == 0
    assert (await post(web, "/webhooks/twilio/nope", params)).status_code == 404


async def test_signed_url_is_rebuilt_behind_a_proxy(runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    path = f"/webhooks/twilio/{conn.id}"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "desk.bellas-salon.example"}
    for i, signed_url in enumerate(
        [
            f"https://desk.bellas-salon.example{path}",  # what Twilio called, through the tunnel
            f"https://desk.bellas-salon.example:443{path}",  # the same with the default port
        ]
    ):
        params = whatsapp("whatsapp_text", MessageSid=f"SM{i:032d}")
        r = await post(web, path, params, headers={**signed(signed_url, params), **forwarded})
        assert r.status_code == 200, signed_url
        assert r.text.endswith("<Response/>") and r.headers["content-type"].startswith("application/xml")
    # The configured public base URL (FRONTDESK_PUBLIC_URL) is trusted without forwarded headers.
    params = whatsapp("whatsapp_text", MessageSid=f"SM{9:032d}")
    assert (await post(web, path, params, headers=signed(f"http://127.0.0.1:8000{path}", params))).status_code == 200
    assert await count(runtime, InboxItem) == 3


# --- inbound -----------------------------------------------------------------------------------------


async def test_every_payload_parses_and_the_odd_ones_are_clean(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    path = f"/webhooks/twilio/{conn.id}"
    for name in ("whatsapp_text", "whatsapp_voice_note", "whatsapp_image_with_caption"):
        assert (await post(web, path, whatsapp(name))).status_code == 200, name
    for name, payload in fixture("sms_inbound_payloads.json")["payloads"].items():
        params = dict(parse_qsl(payload["raw_form_body"], keep_blank_values=True))
        assert (await post(web, path, params)).status_code == 200, name
    assert (await post(web, path, {"Body": "no sid"})).status_code == 400
    async with runtime.db.reader() as s:
        stored = {row.external_id: row.message for row in (await s.execute(select(InboxItem))).scalars()}
    text = stored["SM11111111111111111111111111111111"]
    assert (text["channel"], text["account"], text["thread"]) == ("whatsapp", WHATSAPP_FROM, "whatsapp:+15005550006")
    assert text["text"] == "Hi, my card hasn't arrived yet" and text["sender"]["display_name"] == "Test User"
    assert text["sender"]["phone"] == "+15005550006"
    (voice,) = stored["MM22222222222222222222222222222222"]["attachments"]
    assert (voice["kind"], voice["mime_type"]) == ("voice", "audio/ogg") and voice["ref"].startswith("https://")
    image = stored["MM44444444444444444444444444444444"]
    assert image["text"] == "screenshot of the error" and image["attachments"][0]["kind"] == "image"
    # botbuilder's test data: a bad To, and "www.google.com" as a media URL of type "json".
    odd = stored["SMa56324aa4a31735561b7205472192d68"]
    assert odd["channel"] == "sms" and odd["text"] == "Hello"
    assert len(stored) == 4  # the two botbuilder payloads share a MessageSid: one message


async def test_location_button_and_reply_context(runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    path = f"/webhooks/twilio/{conn.id}"
    where = whatsapp("whatsapp_text", MessageSid=f"SM{1:032d}", Body="", Latitude="51.5072", Longitude="-0.1276")
    button = whatsapp("whatsapp_text", MessageSid=f"SM{2:032d}", Body="", ButtonPayload="book", ButtonText="Book now",
                      OriginalRepliedMessageSid=f"SM{7:032d}")  # fmt: skip
    for params in (where, button):
        assert (await post(web, path, params)).status_code == 200
    async with runtime.db.reader() as s:
        rows = {r.external_id: r.message for r in (await s.execute(select(InboxItem))).scalars()}
    place = rows[f"SM{1:032d}"]["attachments"][0]
    assert (place["kind"], place["latitude"], place["longitude"]) == ("location", 51.5072, -0.1276)
    pressed = rows[f"SM{2:032d}"]
    assert (pressed["kind"], pressed["payload"], pressed["text"]) == ("button", "book", "Book now")
    assert pressed["reply_to"] == f"SM{7:032d}"


# --- end to end ----------------------------------------------------------------------------------------


async def test_whatsapp_message_is_answered_once_through_the_sdk(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    path = f"/webhooks/twilio/{conn.id}"
    for _ in range(3):  # Twilio retries a webhook it thinks failed
        assert (await post(web, path, whatsapp("whatsapp_text"))).status_code == 200
        await deliver(runtime)
    (sent,) = fake.sent()
    assert (sent["From"], sent["To"], sent["Body"]) == (WHATSAPP_FROM, "whatsapp:+15005550006", DEFAULT_HOLDING_REPLY)
    assert sent["StatusCallback"] == f"http://127.0.0.1:8000/webhooks/twilio/{conn.id}/status"
    async with runtime.db.reader() as s:
        row = (await s.execute(select(OutboxItem))).scalar_one()
    assert row.state == "sent" and row.external_ids == [sent["_sid"]] and row.delivery_status == "queued"


async def test_sms_reply_comes_from_the_sms_number_split_at_1600(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    new = await new_workspace(runtime.db)
    async with runtime.db.session() as s:  # a long holding reply: ~2,100 characters
        await s.execute(update(Assistant).values(holding_reply="We got your message. " * 100))
    conn = await connect(runtime, new.workspace.id, fake)
    assert (await post(web, f"/webhooks/twilio/{conn.id}", sms("Hi there", 1))).status_code == 200
    await deliver(runtime)
    parts = fake.sent()
    assert len(parts) == 2 and all(p["From"] == SMS_FROM and p["To"] == "+15005550099" for p in parts)
    assert all(len(p["Body"]) <= 1600 for p in parts)


async def test_delivery_receipts_are_recorded_and_a_failure_goes_back_to_staff(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    alerts: list[StaffAlert] = []

    async def hook(alert: StaffAlert) -> None:
        alerts.append(alert)

    runtime.notifier.register(hook)
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    await post(web, f"/webhooks/twilio/{conn.id}", whatsapp("whatsapp_text"))
    await deliver(runtime)
    sid = fake.sent()[0]["_sid"]
    status_path = f"/webhooks/twilio/{conn.id}/status"
    for state in ("sent", "read", "delivered"):  # delivered arrives after read: state only moves forward
        params = {"MessageSid": sid, "MessageStatus": state, "AccountSid": ACCOUNT_SID, "To": "whatsapp:+15005550006"}
        assert (await post(web, status_path, params)).status_code == 204
    assert (await post(web, status_path, {"MessageSid": sid, "MessageStatus": "read"}, headers={})).status_code == 403
    async with runtime.db.reader() as s:
        row = (await s.execute(select(OutboxItem))).scalar_one()
        events = (await s.execute(select(DeliveryEvent.status).order_by(DeliveryEvent.id))).scalars().all()
        out = (await s.execute(select(Message.status).where(Message.direction == "out"))).scalar_one()
    assert row.delivery_status == "read" and out == "read"
    assert events == ["queued", "sent", "read", "delivered"]
    failed = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "63016", "AccountSid": ACCOUNT_SID}
    assert (await post(web, status_path, failed)).status_code == 204
    async with runtime.db.reader() as s:
        assert (await s.execute(select(Conversation.status))).scalar_one() == "waiting"
    assert [a.reason for a in alerts][-1] == "send_failed" and "24 h window" in str(alerts[-1].detail)


async def _age_contact(runtime: Runtime, hours: float) -> None:
    async with runtime.db.session() as s:
        await s.execute(update(Contact).values(last_inbound_at=utcnow() - timedelta(hours=hours)))


async def test_outside_the_24_hour_window_free_text_is_not_sent(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    new = await new_workspace(runtime.db, approval_policy="approve_all")
    conn = await connect(runtime, new.workspace.id, fake)
    await post(web, f"/webhooks/twilio/{conn.id}", whatsapp("whatsapp_text"))
    await runtime.worker().drain()
    await _age_contact(runtime, 25)  # staff approve a day later
    route = await route_for(runtime.db, runtime.box, await _conversation(runtime))
    await runtime.sender().run_once()
    async with runtime.db.reader() as s:
        holding = (await s.execute(select(OutboxItem))).scalar_one()
    assert route.contact_last_inbound_at is not None
    assert (holding.state, holding.error_code) == ("failed", "outside_window") and fake.sent() == []
    async with runtime.db.reader() as s:
        assert (await s.execute(select(Conversation.status))).scalar_one() == "waiting"


async def test_outside_the_window_the_approved_template_goes_instead(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake, template_content_sid="HX" + "a" * 32,
                         template_variables='{"1": "Bella\'s Salon"}')  # fmt: skip
    await post(web, f"/webhooks/twilio/{conn.id}", whatsapp("whatsapp_text"))
    await runtime.worker().drain()
    await _age_contact(runtime, 30)
    await runtime.sender().run_once()
    (sent,) = fake.sent()
    assert sent["ContentSid"] == "HX" + "a" * 32 and json.loads(sent["ContentVariables"]) == {"1": "Bella's Salon"}
    assert "Body" not in sent
    # Twilio's own verdict (63016) on a free-text send is handled the same way.
    await _age_contact(runtime, 1)
    fake.fail(400, 63016, "Failed to send freeform message because you are outside the allowed window.")
    conversation_id = await _conversation(runtime)
    await runtime.staff.reply(
        Actor(new.workspace.id, "api"), conversation_id, "Your card is on its way.", idempotency_key="staff-1"
    )
    await runtime.sender().run_once()
    refused, template = fake.messages[-2:]
    assert refused["Body"] == "Your card is on its way." and not refused["_accepted"]
    assert template["ContentSid"] == "HX" + "a" * 32 and template["_accepted"]


async def test_stop_then_start(runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio) -> None:
    new = await new_workspace(runtime.db, approval_policy="approve_all")
    conn = await connect(
        runtime, new.workspace.id, fake, help_text="Bella's Salon: call 020 7946 0000. STOP to opt out."
    )
    path = f"/webhooks/twilio/{conn.id}"
    await post(web, path, sms("Can I move my booking?", 1))
    await post(web, path, sms("STOP", 2))
    await deliver(runtime)
    assert fake.sent() == []  # the holding reply was queued before STOP was processed: it is not sent
    async with runtime.db.reader() as s:
        contact = (await s.execute(select(Contact))).scalar_one()
        kinds = (await s.execute(select(Message.kind).where(Message.direction == "in"))).scalars().all()
    assert contact.opted_out_at is not None and MessageKind.opt_out.value in kinds
    await post(web, path, sms("help", 3))
    await deliver(runtime)
    assert fake.sent() == []  # opted out: not even the help text
    await post(web, path, sms("Start", 4))
    await post(web, path, sms("HELP", 5))
    await deliver(runtime)
    (help_reply,) = fake.sent()
    assert help_reply["Body"] == "Bella's Salon: call 020 7946 0000. STOP to opt out."
    async with runtime.db.reader() as s:
        assert (await s.execute(select(Contact.opted_out_at))).scalar_one() is None


async def test_unsubscribed_recipient_error_marks_the_contact_opted_out(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    fake.fail(400, 21610, "Attempt to send to unsubscribed recipient")
    await post(web, f"/webhooks/twilio/{conn.id}", sms("hello", 1))
    await deliver(runtime)
    async with runtime.db.reader() as s:
        row = (await s.execute(select(OutboxItem))).scalar_one()
        contact = (await s.execute(select(Contact))).scalar_one()
    assert (row.state, row.error_code) == ("failed", "opted_out") and contact.opted_out_at is not None


async def test_rate_limits_and_server_errors_are_retried(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    fake.fail(429, 20429, "Too Many Requests")
    fake.fail(503, 20503, "Service Unavailable")
    await post(web, f"/webhooks/twilio/{conn.id}", sms("hello", 1))
    await deliver(runtime)
    for _ in range(60):
        await asyncio.sleep(0.05)
        await runtime.sender().run_once()
        if fake.sent():
            break
    async with runtime.db.reader() as s:
        row = (await s.execute(select(OutboxItem))).scalar_one()
    assert row.state == "sent" and row.attempts == 3 and len(fake.sent()) == 1


async def test_media_is_downloaded_with_basic_auth_and_the_credentials_stay_with_twilio(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    fake.media["ME1"] = (b"OggS" + b"\x01" * 3000, "audio/ogg")
    url = fake.media_url("MM" + "2" * 32, "ME1")
    await post(web, f"/webhooks/twilio/{conn.id}", whatsapp("whatsapp_voice_note", MediaUrl0=url))
    await runtime.worker().drain()
    channel = runtime.channels.get("whatsapp")
    route = await route_for(runtime.db, runtime.box, await _conversation(runtime))
    voice = Attachment(kind=AttachmentKind.voice, mime_type="audio/ogg", ref=url)
    assert await channel.fetch_media(route, voice, max_bytes=10_000) == fake.media["ME1"][0]
    api, storage = fake.media_requests[:2]
    assert api["authorization"] and api["authorization"].startswith("Basic ")
    assert storage["authorization"] is None  # the redirect to storage does not carry the account's token
    with pytest.raises(MediaError) as too_big:
        await channel.fetch_media(route, voice, max_bytes=100)
    assert too_big.value.code == "too_large"


async def _conversation(runtime: Runtime) -> str:
    async with runtime.db.reader() as s:
        return str((await s.execute(select(Conversation.id))).scalar_one())


async def test_admin_api_checks_twilio_credentials(runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio) -> None:
    new = await new_workspace(runtime.db)
    headers = {"Authorization": f"Bearer {new.token}"}
    config = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from": WHATSAPP_FROM, "api_base": fake.url}
    r = await web.post("/api/v1/channels", headers=headers, json={"kind": "whatsapp", "config": config})
    assert r.status_code == 201, r.text
    assert r.json()["account"] == WHATSAPP_FROM and r.json()["config"]["auth_token"] == "********"
    wrong = {**config, "auth_token": "nope", "from": "whatsapp:+14155230000"}
    r = await web.post("/api/v1/channels", headers=headers, json={"kind": "whatsapp", "config": wrong})
    assert r.status_code == 422 and "do not match" in r.text
    r = await web.post("/api/v1/channels", headers=headers, json={"kind": "sms", "config": {"from": "+1555"}})
    assert r.status_code == 422


async def test_a_whatsapp_voice_note_reaches_staff_as_text(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    from tests.media.support import JFK_TEXT, voice_note, word_error_rate

    new = await new_workspace(runtime.db, approval_policy="approve_all")
    conn = await connect(runtime, new.workspace.id, fake)
    fake.media["ME9"] = (voice_note(), "audio/ogg")
    url = fake.media_url("MM" + "2" * 32, "ME9")
    assert (await post(web, f"/webhooks/twilio/{conn.id}", whatsapp("whatsapp_voice_note", MediaUrl0=url))).is_success
    await deliver(runtime)
    async with runtime.db.reader() as s:
        row = (await s.execute(select(Message).where(Message.direction == "in"))).scalar_one()
    assert word_error_rate(JFK_TEXT, row.text) <= 0.15, row.text
    (note,) = row.attachments
    assert note["kind"] == "voice" and note["transcript"] == row.text and note["language"] == "en"
    assert fake.media_requests[-1]["authorization"] is None  # storage got no credentials


async def test_a_stored_file_goes_out_as_a_signed_link(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTwilio
) -> None:
    from core.messages import OutboundMessage
    from core.outbox import enqueue

    new = await new_workspace(runtime.db, approval_policy="approve_all")
    conn = await connect(runtime, new.workspace.id, fake)
    await post(web, f"/webhooks/twilio/{conn.id}", whatsapp("whatsapp_text"))
    await deliver(runtime)  # the holding reply goes first: one conversation's replies go in order
    stored = await runtime.storage.put(b"%PDF-1.4 price list")
    price_list = Attachment(kind=AttachmentKind.document, key=stored.key, name="prices.pdf")
    async with runtime.db.session() as s:
        conversation = await s.get(Conversation, await _conversation(runtime))
        assert conversation is not None
        reply = OutboundMessage(conversation_id=conversation.id, text="Here are our prices.",
                                attachments=(price_list,), idempotency_key="staff-prices")  # fmt: skip
        await enqueue(s, conversation=conversation, message=reply, author="staff")
    await runtime.sender().run_once()
    (sent,) = [m for m in fake.sent() if m.get("Body") == "Here are our prices."]
    (link,) = sent["MediaUrl"]
    assert link.startswith(f"http://127.0.0.1:8000/media/{stored.key}?") and "signature=" in link
