"""A WhatsApp voice note through Twilio end to end: a signed webhook with an audio/ogg MediaUrl, the
download from the fake Twilio (with its redirect to storage), the offline model, a draft."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from core.models import Draft, Message
from tests.channels.test_whatsapp import connect, deliver, fake, post, web, whatsapp  # noqa: F401 (fixtures)
from tests.core.test_pipeline import answer
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.fakes.server import serve
from tests.fakes.twilio_server import FakeTwilio
from tests.media.support import JFK_TEXT, voice_note, word_error_rate
from tests.support import new_workspace


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_whatsapp_voice_note_arrives_as_text_with_a_draft(
    runtime: Runtime,
    web,  # noqa: F811
    fake: FakeTwilio,  # noqa: F811
) -> None:
    llm = FakeOpenAI(default=Step(content=answer("Of course, see you Tuesday.")))
    with serve(llm.app) as url:
        new = await new_workspace(runtime.db, model_settings={"base_url": f"{url}/v1"})
        conn = await connect(runtime, new.workspace.id, fake)
        fake.media["ME1"] = (voice_note(), "audio/ogg")
        media_url = fake.media_url("MM" + "2" * 32, "ME1")
        r = await post(web, f"/webhooks/twilio/{conn.id}", whatsapp("whatsapp_voice_note", MediaUrl0=media_url))
        assert r.status_code == 200
        await deliver(runtime)
        prompt = llm.requests[-1].body["messages"][-1]["content"]
    async with runtime.db.reader() as s:
        row = (await s.execute(select(Message).where(Message.direction == "in"))).scalar_one()
        draft = (await s.execute(select(Draft))).scalar_one()
    assert word_error_rate(JFK_TEXT, row.text) <= 0.15, row.text
    assert row.attachments[0]["kind"] == "voice" and row.attachments[0]["transcript"] == row.text
    assert "ask not what your country" in prompt.lower()
    assert draft.decision == "needs_approval" and draft.text == "Of course, see you Tuesday."
