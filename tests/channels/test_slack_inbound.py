"""Slack in: bolt's signature check on our route (the documented vector, forged and stale requests),
real Events API payloads from the fixtures, Slack as a customer channel, and replies out through the
outbox to the fake Slack Web API (threads, mrkdwn escaping, 429 Retry-After)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.app import create_app
from bot.runtime import Runtime
from core.messages import AttachmentKind, InboundMessage, utcnow
from core.models import InboxItem, OutboxItem
from tests.channels.slack_support import connect, event_payload, fixture, post_json, sign
from tests.core.test_pipeline import answer
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.fakes.server import serve
from tests.fakes.slack_server import APP_TOKEN, BOT_ID, BOT_USER_ID, STAFF_CHANNEL, TEAM_ID, FakeSlack, fake_slack
from tests.support import new_workspace

CUSTOMERS = "C111"  # the fixtures' channel


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with fake_slack() as f:
        yield f


@pytest.fixture
async def web(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app without its background loops: tests drive the worker and the outbox themselves."""
    app = create_app(runtime, worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def inbox(runtime: Runtime) -> list[InboundMessage]:
    async with runtime.db.reader() as s:
        rows = (await s.execute(select(InboxItem).order_by(InboxItem.id))).scalars()
        return [InboundMessage.model_validate(r.message) for r in rows]


async def connected(runtime: Runtime, fake: FakeSlack, **workspace: Any) -> str:
    new = await new_workspace(runtime.db, **workspace)
    return (await connect(runtime, new.workspace.id, fake, customer_channels=[CUSTOMERS])).id


# --- signatures ----------------------------------------------------------------------------------


class _At:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def test_the_documented_signature_vector_verifies_and_its_negatives_do_not() -> None:
    v = fixture("signature_test_vector.json")
    then = SignatureVerifier(v["signing_secret"], clock=_At(float(v["timestamp"]) + 10))  # type: ignore[arg-type]
    assert then.is_valid(v["body"], v["timestamp"], v["expected_signature"])
    tampered = v["negative_cases_from_same_test_file"]["tampered_body"]["body"]
    assert not then.is_valid(tampered, v["timestamp"], v["expected_signature"])
    assert not then.is_valid(v["body"], v["timestamp"], "")
    # The same request checked now is stale (the window is 5 minutes).
    assert not SignatureVerifier(v["signing_secret"]).is_valid(v["body"], v["timestamp"], v["expected_signature"])
    derived = fixture("derived_signature_vectors.json")
    at = SignatureVerifier(derived["signing_secret"], clock=_At(float(derived["timestamp"])))  # type: ignore[arg-type]
    for vector in derived["vectors"]:
        assert at.is_valid(vector["raw_body"], derived["timestamp"], vector["expected_signature"]), vector["name"]


async def test_forged_stale_and_unsigned_requests_get_401_and_nothing_is_stored(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack
) -> None:
    conn = await connected(runtime, fake)
    raw = json.dumps(event_payload("message_channel_hello_world")).encode()
    path, kind = f"/webhooks/slack/{conn}", {"content-type": "application/json"}
    forged = sign(raw, secret="not-the-signing-secret")
    stale = sign(raw, timestamp=int(time.time()) - 6 * 60)
    tampered = sign(raw)
    for headers, body in ((forged, raw), (stale, raw), (tampered, raw + b" "), ({}, raw)):
        r = await web.post(path, content=body, headers={**kind, **headers})
        assert r.status_code == 401, headers
    assert await inbox(runtime) == []
    r = await web.post("/webhooks/slack/no-such-connection", content=raw, headers={**kind, **sign(raw)})
    assert r.status_code == 404
    # The real thing is accepted.
    assert (await web.post(path, content=raw, headers={**kind, **sign(raw)})).status_code == 200
    assert len(await inbox(runtime)) == 1


async def test_a_connection_without_a_signing_secret_refuses_everything(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake, signing_secret="", customer_channels=[CUSTOMERS])
    raw = json.dumps(event_payload("message_channel_hello_world")).encode()
    r = await web.post(f"/webhooks/slack/{conn.id}", content=raw, headers={"content-type": "application/json",
                                                                           **sign(raw, secret="")})  # fmt: skip
    assert r.status_code == 401 and await inbox(runtime) == []


async def test_malformed_headers_and_bodies_get_4xx_before_any_work(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack
) -> None:
    """What an outside probe sent: 401 when the signature cannot be right, 400 when a signed body is
    unreadable; never a 500, and nothing in the inbox."""
    conn = await connected(runtime, fake)
    path, form = f"/webhooks/slack/{conn}", {"content-type": "application/x-www-form-urlencoded"}
    raw = json.dumps(event_payload("message_channel_hello_world")).encode()
    unsigned: list[tuple[dict[str, str | bytes], bytes]] = [
        ({"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": sign(raw)["X-Slack-Signature"]}, raw),
        ({"X-Slack-Request-Timestamp": "１２３".encode(), "X-Slack-Signature": "v0=zz"}, raw),  # noqa: RUF001
        ({"X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "v0=" + "0" * 64}, raw),
        ({**sign(raw), "X-Slack-Signature": "v0=é".encode()}, raw),
        ({}, b"\xff\xfe not utf-8"),
        (form, b"payload=%7Bnot"),
    ]
    for headers, body in unsigned:
        r = await web.post(path, content=body, headers=headers)
        assert r.status_code == 401, (headers, body, r.text)
    signed_but_unreadable = [
        ({"content-type": "application/json"}, b"\xff\xfe not utf-8"),
        (form, b"payload=%7Bnot"),
        (form, b"payload=%5B1%5D"),  # a JSON array, not an object
        ({"content-type": "application/json"}, b"[1, 2]"),
        ({"content-type": "application/json"}, b'{"a":' * 3000 + b"1" + b"}" * 3000),  # nested too deep
        ({"content-type": "application/json"}, b'{"type": "event_callback", "text": "nul \\u0000"}'),
    ]
    for headers, body in signed_but_unreadable:
        r = await web.post(path, content=body, headers={**headers, **sign(body)})
        assert r.status_code == 400, (headers, body[:40], r.text)
    assert await inbox(runtime) == []


async def test_unsigned_requests_are_not_logged_with_their_bodies(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone can post to the webhook: what they send must not end up in our logs."""
    conn = await connected(runtime, fake)
    marker = "INJECTED-LOG-LINE-7f3a"
    body = json.dumps({**event_payload("message_channel_hello_world"), "note": marker}).encode()
    caplog.set_level(logging.DEBUG)
    forged = sign(body, secret="not-the-signing-secret")
    for headers in ({}, forged):
        r = await web.post(
            f"/webhooks/slack/{conn}", content=body, headers={"content-type": "application/json", **headers}
        )
        assert r.status_code == 401
    logged = "\n".join(f"{rec.getMessage()} {vars(rec)}" for rec in caplog.records)
    assert marker not in logged
    assert "slack webhook refused" in logged  # the refusal itself is logged, by connection


async def test_url_verification_echoes_the_challenge(web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack) -> None:
    conn = await connected(runtime, fake)
    body = fixture("events_api_payloads.json")["payloads"]["url_verification"]["body"]
    r = await post_json(web, conn, body)
    assert r.status_code == 200 and r.json() == {"challenge": body["challenge"]}


# --- real payloads --------------------------------------------------------------------------------


async def test_customer_messages_become_inbound_messages_once(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack
) -> None:
    conn = await connected(runtime, fake)
    message = event_payload("message_channel_hello_world")
    assert (await post_json(web, conn, message)).status_code == 200
    # The same message as an app_mention (Slack sends both when the app is mentioned): one turn.
    mention = event_payload("app_mention", ts=message["event"]["ts"], user="W111", text="<@UBOT1> Hello World!")
    assert (await post_json(web, conn, mention | {"event_id": "Ev112"})).status_code == 200
    shared = event_payload("message_file_share_png", channel=CUSTOMERS, channel_type="channel")
    assert (await post_json(web, conn, shared | {"event_id": "Ev113"})).status_code == 200
    got = await inbox(runtime)
    assert len(got) == 2
    hello, file = got
    assert hello.channel == "slack" and hello.account == TEAM_ID and hello.text == "Hello World!"
    assert hello.external_id == f"{CUSTOMERS}:1596183880.004200" and hello.thread == f"{CUSTOMERS}:1596183880.004200"
    assert hello.sender.id == "W111" and hello.connection_id == conn
    assert file.text == "Here is your file!" and file.attachments[0].kind is AttachmentKind.image
    assert file.attachments[0].ref == "https://files.slack.com/files-pri/T111-F111/download/test.png"
    assert file.attachments[0].mime_type == "image/png" and file.attachments[0].size == 42706


async def test_bots_edits_our_own_and_other_channels_are_ignored(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack
) -> None:
    conn = await connected(runtime, fake)
    ignored = [
        event_payload("message_changed_edit"),
        event_payload("message_from_other_bot"),
        event_payload("message_channel_counts", user=BOT_USER_ID, ts="1.1"),  # our own message
        event_payload("message_channel_counts", bot_id=BOT_ID, ts="1.2"),  # our own, as a bot
        event_payload("message_channel_counts", channel="COTHER", ts="1.3"),  # not a customer channel
        event_payload("message_channel_counts", channel=STAFF_CHANNEL, ts="1.4"),  # staff talking
        event_payload("message_channel_counts", subtype="channel_join", ts="1.5"),
    ]
    for n, body in enumerate(ignored):
        r = await post_json(web, conn, body | {"event_id": f"EvIgnored{n}"})
        assert r.status_code == 200, body["event"]
    assert await inbox(runtime) == []
    # A DM to the app is a customer's, one conversation per DM.
    dm = event_payload("message_channel_counts", channel="D0DM1", channel_type="im", ts="1.6")
    await post_json(web, conn, dm | {"event_id": "EvDM"})
    [got] = await inbox(runtime)
    assert got.thread == "D0DM1"


async def test_a_retried_event_is_dropped_by_its_event_id(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack
) -> None:
    conn = await connected(runtime, fake)
    first = event_payload("message_channel_hello_world") | {"event_id": "EvRetried"}
    await post_json(web, conn, first)
    # Slack's retry carries the same event_id; even if its content differed, it is not processed again.
    retry = event_payload("message_channel_hello_world", ts="1596183999.000100") | {"event_id": "EvRetried"}
    r = await post_json(web, conn, retry, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert r.status_code == 200 and len(await inbox(runtime)) == 1
    # Without the retry header, a new delivery is processed.
    await post_json(web, conn, retry | {"event_id": "EvNew"})
    assert len(await inbox(runtime)) == 2


# --- replies out ----------------------------------------------------------------------------------


async def test_replies_go_to_the_thread_escaped_and_wait_out_429(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack
) -> None:
    llm = FakeOpenAI(default=Step(content=answer("Prices: cut & colour <from> $80 > $60 last year")))
    with serve(llm.app) as url:
        conn = await connected(runtime, fake, approval_policy="auto", model_settings={"base_url": f"{url}/v1"})
        await post_json(web, conn, event_payload("message_channel_hello_world"))
        fake.rate_limit("chat.postMessage", retry_after=7)
        await runtime.worker().drain()
        sender = runtime.sender()
        await sender.run_once()
    async with runtime.db.reader() as s:
        row = (await s.execute(select(OutboxItem))).scalar_one()
    assert row.state == "pending" and row.next_attempt_at >= utcnow() + timedelta(seconds=5)  # Retry-After honoured
    async with runtime.db.session() as s:
        (await s.get(OutboxItem, row.id)).next_attempt_at = utcnow()  # type: ignore[union-attr]
    await sender.run_once()
    sent = [c for c in fake.of("chat.postMessage") if not c["_failed"]]
    assert len(sent) == 1
    assert sent[0]["channel"] == CUSTOMERS and sent[0]["thread_ts"] == "1596183880.004200"
    assert sent[0]["text"] == "Prices: cut &amp; colour &lt;from&gt; $80 &gt; $60 last year"
    async with runtime.db.reader() as s:
        state = (await s.execute(select(OutboxItem.state))).scalar_one()
        attempts = (await s.execute(select(func.max(OutboxItem.attempts)))).scalar_one()
    assert state == "sent" and attempts == 2


# --- Socket Mode ------------------------------------------------------------------------------------


async def test_socket_mode_takes_events_over_the_websocket_without_a_public_url(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack
) -> None:
    new = await new_workspace(runtime.db)
    await connect(runtime, new.workspace.id, fake, customer_channels=[CUSTOMERS], app_token=APP_TOKEN)
    await runtime.slack.start()
    try:
        assert fake.sockets == 1
        fake.push("events_api", event_payload("message_channel_hello_world"), envelope_id="env-1")

        async def acked() -> bool:
            return any(a.get("envelope_id") == "env-1" for a in fake.acks)

        deadline = asyncio.get_running_loop().time() + 10
        while not (await acked() and await inbox(runtime)):
            assert asyncio.get_running_loop().time() < deadline, (fake.acks, await inbox(runtime))
            await asyncio.sleep(0.05)
        [got] = await inbox(runtime)
        assert got.text == "Hello World!" and got.thread == f"{CUSTOMERS}:1596183880.004200"
    finally:
        await runtime.slack.stop()


async def test_a_card_rate_limited_by_slack_waits_out_retry_after(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack
) -> None:
    from channels.slack.models import SlackJob

    llm = FakeOpenAI(default=Step(content=answer("We are open 9 to 6.")))
    with serve(llm.app) as url:
        conn = await connected(runtime, fake, model_settings={"base_url": f"{url}/v1"})
        await post_json(web, conn, event_payload("message_channel_hello_world"))
        await runtime.worker().drain()  # a draft waits for approval: the alert queues its card
    fake.rate_limit("chat.postMessage", retry_after=7)
    assert await runtime.slack.jobs.run_once() == 1
    async with runtime.db.reader() as s:
        job = (await s.execute(select(SlackJob))).scalar_one()
    assert job.state == "pending" and job.next_attempt_at >= utcnow() + timedelta(seconds=5)
    assert await runtime.slack.jobs.run_once() == 0  # not before Slack said
    async with runtime.db.session() as s:
        (await s.get(SlackJob, job.id)).next_attempt_at = utcnow()  # type: ignore[union-attr]
    await runtime.slack.jobs.run_once()
    posted = [c for c in fake.of("chat.postMessage") if not c["_failed"]]
    assert len(posted) == 1 and posted[0]["channel"] == STAFF_CHANNEL and "We are open 9 to 6." in json.dumps(posted[0])
