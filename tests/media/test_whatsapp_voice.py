"""A WhatsApp voice note through Twilio end to end: a signed webhook with an audio/ogg MediaUrl, the
download from the fake Twilio (with its redirect to storage), the offline model, a draft."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.runtime import Runtime
from channels.kinds import secret_fields
from core.models import ChannelConnection, Draft, Message
from tests.core.test_pipeline import answer
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.fakes.server import serve
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_FROM, FakeTwilio, fake_twilio
from tests.media.support import JFK_TEXT, voice_note, word_error_rate
from tests.support import new_workspace

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "twilio" / "whatsapp_inbound_payloads_CONSTRUCTED.json"
BASE = "http://t"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as f:
        yield f


@pytest.fixture
async def app_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime, worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


async def connect(runtime: Runtime, workspace_id: str, twilio: FakeTwilio) -> ChannelConnection:
    config = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from": WHATSAPP_FROM, "api_base": twilio.url}
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


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_whatsapp_voice_note_arrives_as_text_with_a_draft(
    runtime: Runtime, app_client: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    llm = FakeOpenAI(default=Step(content=answer("Of course, see you Tuesday.")))
    with serve(llm.app) as url:
        new = await new_workspace(runtime.db, model_settings={"base_url": f"{url}/v1"})
        conn = await connect(runtime, new.workspace.id, twilio)
        twilio.media["ME1"] = (voice_note(), "audio/ogg")
        params = dict(json.loads(PAYLOADS.read_text())["payloads"]["whatsapp_voice_note"]["fields"])
        params["MediaUrl0"] = twilio.media_url("MM" + "2" * 32, "ME1")
        path = f"/webhooks/twilio/{conn.id}"
        signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE + path, params)
        r = await app_client.post(
            path,
            content=urlencode(params),
            headers={"content-type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
        )
        assert r.status_code == 200
        await runtime.worker().drain()
        prompt = llm.requests[-1].body["messages"][-1]["content"]
    async with runtime.db.reader() as s:
        row = (await s.execute(select(Message).where(Message.direction == "in"))).scalar_one()
        draft = (await s.execute(select(Draft))).scalar_one()
    assert word_error_rate(JFK_TEXT, row.text) <= 0.15, row.text
    assert row.attachments[0]["kind"] == "voice" and row.attachments[0]["transcript"] == row.text
    assert "ask not what your country" in prompt.lower()
    assert draft.decision == "needs_approval" and draft.text == "Of course, see you Tuesday."
