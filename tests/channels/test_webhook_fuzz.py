"""Every channel's webhook under random headers and bodies (hypothesis, derandomized and bounded):
the answer is never a 5xx, and nothing that is not signed with the connection's secret reaches the
inbox. Signed examples are real payloads with one field changed or removed, so the parsing behind
the signature check is fuzzed too, not only the check."""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.runtime import Runtime
from bot.settings import Settings
from channels.telegram.webhook import SECRET_HEADER
from core.models import InboxItem
from tests.channels import slack_support, telegram_support
from tests.channels.test_whatsapp import connect as connect_twilio
from tests.channels.test_whatsapp import whatsapp
from tests.conftest import make_settings
from tests.fakes.slack_server import FakeSlack, fake_slack
from tests.fakes.telegram_server import FakeTelegram, fake_telegram
from tests.fakes.twilio_server import AUTH_TOKEN, FakeTwilio, fake_twilio
from tests.support import new_workspace

FUZZ = hypothesis_settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BASE = "http://t"

# --- strategies ----------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
# Header values travel as latin-1 octets; CR and LF cannot be in one.
HEADER_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40).map(
    lambda text: text.encode("latin-1")
)
HEADER_NAME = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=16)
CONTENT_TYPE = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", ""]
)


def headers(*names: str) -> st.SearchStrategy[dict[str, bytes]]:
    """Random headers, and random values for the ones a webhook reads."""
    known = st.fixed_dictionaries({}, optional={name: HEADER_VALUE for name in names})
    extra = st.dictionaries(HEADER_NAME, HEADER_VALUE, max_size=3)
    kind = st.fixed_dictionaries({}, optional={"content-type": CONTENT_TYPE.map(str.encode)})
    return st.tuples(extra, known, kind).map(lambda parts: {**parts[0], **parts[1], **parts[2]})


def raw_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        JSON.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4).map(lambda d: urlencode(d).encode()),
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield (*prefix, key)
        yield from _paths(item, (*prefix, key))


def _changed(base: Any, path: tuple[Any, ...], new: Any, remove: bool) -> Any:
    changed = copy.deepcopy(base)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return changed


def mutated(*bases: Any, leaf: st.SearchStrategy[Any] = JSON) -> st.SearchStrategy[Any]:
    """One of the real payloads with one field, anywhere in it, replaced or removed."""
    return st.sampled_from(bases).flatmap(
        lambda base: st.tuples(st.sampled_from(list(_paths(base))), leaf, st.booleans()).map(
            lambda change: _changed(base, *change)
        )
    )


# --- the app with one connection per channel -------------------------------------------------------


@dataclass(frozen=True)
class Hooks:
    agent: str
    telegram: str
    twilio: str
    slack: str


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, chat_wait_seconds=0.0)


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegram, FakeTwilio, FakeSlack]]:
    with fake_telegram() as telegram, fake_twilio() as twilio, fake_slack() as slack:
        yield telegram, twilio, slack


@pytest.fixture
async def hooks(runtime: Runtime, fakes: tuple[FakeTelegram, FakeTwilio, FakeSlack]) -> Hooks:
    new = await new_workspace(runtime.db)
    telegram, twilio, slack = fakes
    ws = new.workspace.id
    return Hooks(
        agent=new.assistant.slug,
        telegram=(await telegram_support.connect(runtime, ws, telegram)).id,
        twilio=(await connect_twilio(runtime, ws, twilio)).id,
        slack=(await slack_support.connect(runtime, ws, slack, customer_channels=["C111"])).id,
    )


async def stored(runtime: Runtime) -> int:
    async with runtime.db.reader() as s:
        return int((await s.execute(select(func.count()).select_from(InboxItem))).scalar_one())


# --- the fuzz --------------------------------------------------------------------------------------

TELEGRAM_UPDATES = list(telegram_support.fixture("telegram_updates_adapted.json")["updates"].values())


@FUZZ
@given(data=st.data())
async def test_telegram_webhook(web: httpx.AsyncClient, runtime: Runtime, hooks: Hooks, data: st.DataObject) -> None:
    sent = data.draw(headers(SECRET_HEADER))
    signed = data.draw(st.booleans())
    if signed:
        sent[SECRET_HEADER] = telegram_support.SECRET.encode()
        body = json.dumps(data.draw(mutated(*TELEGRAM_UPDATES))).encode()
    else:
        body = data.draw(raw_bodies())
    before = await stored(runtime)
    r = await web.post(f"/webhooks/telegram/{hooks.telegram}", content=body, headers=sent)
    assert r.status_code < 500, (sent, body[:200], r.text)
    if sent.get(SECRET_HEADER) != telegram_support.SECRET.encode():
        assert r.status_code == 401 and await stored(runtime) == before


TWILIO_FIELDS = [whatsapp(name) for name in ("whatsapp_text", "whatsapp_voice_note", "whatsapp_image_with_caption")]


@FUZZ
@given(data=st.data())
async def test_twilio_webhooks(web: httpx.AsyncClient, runtime: Runtime, hooks: Hooks, data: st.DataObject) -> None:
    path = f"/webhooks/twilio/{hooks.twilio}" + data.draw(st.sampled_from(["", "/status"]))
    sent = data.draw(headers("X-Twilio-Signature"))
    if data.draw(st.booleans()):  # signed: a real form with one field changed
        fields = data.draw(mutated(*TWILIO_FIELDS, leaf=st.text(max_size=30)))
        body = urlencode(fields).encode()
        sent["content-type"] = b"application/x-www-form-urlencoded"
        sent["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(BASE + path, fields).encode()
        forged = False
    else:
        body, forged = data.draw(raw_bodies()), True
    before = await stored(runtime)
    r = await web.post(path, content=body, headers=sent)
    assert r.status_code < 500, (sent, body[:200], r.text)
    if forged:
        assert r.status_code in (403, 415) and await stored(runtime) == before


SLACK_EVENTS = [
    slack_support.event_payload(name)
    for name in ("message_channel_hello_world", "app_mention", "message_file_share_png", "message_changed_edit")
]
SLACK_ACTIONS = [slack_support.fixture("block_actions_payload.json")]


def _slack_body(value: Any, form: bool) -> bytes:
    return urlencode({"payload": json.dumps(value)}).encode() if form else json.dumps(value).encode()


@FUZZ
@given(data=st.data())
async def test_slack_webhook(web: httpx.AsyncClient, runtime: Runtime, hooks: Hooks, data: st.DataObject) -> None:
    sent = data.draw(headers("X-Slack-Request-Timestamp", "X-Slack-Signature"))
    signed = data.draw(st.booleans())
    if signed:
        form = data.draw(st.booleans())
        payload = data.draw(mutated(*(SLACK_ACTIONS if form else SLACK_EVENTS)))
        body = _slack_body(payload, form)
        kind = "application/x-www-form-urlencoded" if form else "application/json"
        sent.update({"content-type": kind.encode(), **{k: v.encode() for k, v in slack_support.sign(body).items()}})
    else:
        body = data.draw(raw_bodies())
    before = await stored(runtime)
    r = await web.post(f"/webhooks/slack/{hooks.slack}", content=body, headers=sent)
    assert r.status_code < 500, (sent, body[:200], r.text)
    if not signed:
        assert r.status_code == 401 and await stored(runtime) == before


@FUZZ
@given(data=st.data())
async def test_web_chat(web: httpx.AsyncClient, runtime: Runtime, hooks: Hooks, data: st.DataObject) -> None:
    """Web chat is public (no signature): whatever is sent, the answer is a 2xx or a 4xx."""
    sent = data.draw(headers("X-Frontdesk-Chat"))
    message = st.fixed_dictionaries(
        {"agent": st.sampled_from([hooks.agent, "nobody"]), "message": st.text(max_size=40)},
        optional={"session_id": st.uuids().map(str) | st.text(max_size=10), "message_id": st.text(max_size=10)},
    )
    sample = data.draw(message)
    body = data.draw(st.one_of(st.just(sample), mutated(sample), JSON).map(lambda v: json.dumps(v).encode()))
    body = data.draw(st.sampled_from([body, body, body, data.draw(raw_bodies())]))
    if data.draw(st.sampled_from([True, True, True, False])):  # mostly as the widget sends it
        sent["content-type"] = b"application/json"
    r = await web.post("/api/v1/chat", content=body, headers=sent)
    assert r.status_code < 500, (sent, body[:200], r.text)


@pytest.mark.parametrize(
    "change",
    [
        {"event": None},
        {"event": []},
        {"event": "message"},
        {"team": 5},
        {"authorizations": "T1"},
        {"authorizations": [None]},
        {"authorizations": [{"team_id": "T1", "enterprise": 7}]},
    ],
    ids=repr,
)
async def test_slack_body_of_the_wrong_shape(
    web: httpx.AsyncClient, runtime: Runtime, hooks: Hooks, change: Any
) -> None:
    """Signed, but a field bolt reads before any listener has the wrong type: a 400, not bolt's 500."""
    body = json.dumps({**slack_support.event_payload("app_mention"), **change}).encode()
    before = await stored(runtime)
    headers = {"content-type": "application/json", **slack_support.sign(body)}
    r = await web.post(f"/webhooks/slack/{hooks.slack}", content=body, headers=headers)
    assert r.status_code == 400, r.text
    assert await stored(runtime) == before
