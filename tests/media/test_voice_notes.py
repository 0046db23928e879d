"""Voice notes and files through the whole pipeline from Telegram: the real aiogram client against
the fake Bot API, the real worker and outbox, the real offline model."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from core.models import Draft, InboxItem, Message
from core.notify import StaffAlert
from tests.channels.telegram_support import SECRET, adapted, connect, text_update
from tests.conftest import make_settings
from tests.core.test_pipeline import answer
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.fakes.server import serve
from tests.fakes.telegram_server import FakeTelegram, fake_telegram
from tests.media.support import JFK_TEXT, encode, jfk_samples, voice_note, word_error_rate
from tests.support import new_workspace

TOO_LONG = "That voice note is too long for me, could you type it or send a shorter one?"
COULD_NOT_PLAY = "I couldn't play that voice note, could you send it again or type your message?"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_telegram() as f:
        yield f


@pytest.fixture
async def web(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime, worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


@pytest.fixture
def alerts(runtime: Runtime) -> list[StaffAlert]:
    seen: list[StaffAlert] = []

    async def hook(alert: StaffAlert) -> None:
        seen.append(alert)

    runtime.notifier.register(hook)
    return seen


def voice_update(update_id: int, file_id: str, *, duration: int = 11, caption: str | None = None) -> dict[str, Any]:
    update = copy.deepcopy(adapted("voice_message"))
    update["update_id"] = update_id
    message = update["message"]
    message["message_id"] = update_id
    message["voice"].update(file_id=file_id, file_unique_id=file_id[-8:], duration=duration)
    message["voice"].pop("file_size")
    if caption:
        message["caption"] = caption
    return update


def document_update(update_id: int, file_id: str, name: str, mime_type: str) -> dict[str, Any]:
    update = copy.deepcopy(adapted("message_with_document"))
    update["update_id"] = update_id
    message = update["message"]
    message["message_id"] = update_id
    message["document"] = {
        "file_id": file_id,
        "file_unique_id": file_id[-8:],
        "file_name": name,
        "mime_type": mime_type,
    }
    message.pop("caption", None)
    return update


async def send(runtime: Runtime, web: httpx.AsyncClient, connection_id: str, update: dict[str, Any]) -> None:
    r = await web.post(
        f"/webhooks/telegram/{connection_id}",
        content=json.dumps(update).encode(),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert r.status_code == 200
    await runtime.worker().drain()
    await runtime.sender().run_once()


async def stored_messages(runtime: Runtime) -> list[Message]:
    async with runtime.db.reader() as s:
        rows = await s.execute(select(Message).where(Message.direction == "in").order_by(Message.created_at))
        return list(rows.scalars())


async def test_a_telegram_voice_note_reaches_staff_as_text_with_a_draft(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    llm = FakeOpenAI(default=Step(content=answer("Happy to help with that!")))
    with serve(llm.app) as url:
        new = await new_workspace(runtime.db, model_settings={"base_url": f"{url}/v1"})
        conn = await connect(runtime, new.workspace.id, fake)
        fake.files["files/voice-jfk"] = voice_note()
        await send(runtime, web, conn.id, voice_update(7001, "voice-jfk", caption="from the car, sorry"))
    (row,) = await stored_messages(runtime)
    assert word_error_rate(JFK_TEXT, row.text) <= 0.15, row.text  # the message text is what was said
    (note,) = row.attachments
    assert note["kind"] == "voice" and note["transcript"] == row.text
    assert note["caption"] == "from the car, sorry"  # kept apart from the transcript
    assert note["language"] == "en" and note["duration_seconds"] == pytest.approx(11.0, abs=0.1)
    assert 0 < note["confidence"] <= 1 and len(note["key"]) == 64
    assert await runtime.storage.get(note["key"]) == fake.files["files/voice-jfk"]
    # The draft was written from the transcript, and waits for staff's approval.
    prompt = llm.requests[-1].body["messages"][-1]["content"]
    assert "ask not what your country can do for you" in prompt.lower()
    assert "from the car, sorry" in prompt
    async with runtime.db.reader() as s:
        draft = (await s.execute(select(Draft))).scalar_one()
    assert draft.decision == "needs_approval" and draft.text == "Happy to help with that!"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_voice_notes_that_cannot_be_heard_get_a_clear_reply_and_nothing_is_lost(
    tmp_path: Any, db_url: str, fake: FakeTelegram
) -> None:
    settings: Settings = make_settings(
        db_url, tmp_path, media_max_voice_seconds=20, media_max_audio_bytes=200_000, media_max_image_bytes=50_000
    )
    runtime = Runtime.build(settings)
    alerts: list[StaffAlert] = []

    async def hook(alert: StaffAlert) -> None:
        alerts.append(alert)

    runtime.notifier.register(hook)
    app = create_app(runtime, worker=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as web:
            new = await new_workspace(runtime.db)
            conn = await connect(runtime, new.workspace.id, fake)
            note = voice_note()
            fake.files["files/long"] = voice_note(25)  # says it is 11 s; the audio is 25 s
            fake.files["files/huge"] = b"OggS" + b"\x00" * 300_000
            fake.files["files/truncated"] = note[: len(note) * 2 // 3]
            fake.files["files/garbled"] = note[:200] + bytes(range(256)) * 40 + note[-200:]
            fake.files["files/mp3"] = encode(jfk_samples(), container="mp3", codec="libmp3lame")
            fake.files["files/empty"] = b""
            cases = [
                (voice_update(8001, "declared-long", duration=600), TOO_LONG, "too_long"),
                (voice_update(8002, "long"), TOO_LONG, "too_long"),
                (voice_update(8003, "huge"), TOO_LONG, "too_large"),
                (voice_update(8004, "truncated"), COULD_NOT_PLAY, "corrupt"),
                (voice_update(8005, "garbled"), COULD_NOT_PLAY, "corrupt"),
                (voice_update(8006, "mp3"), COULD_NOT_PLAY, "wrong_type"),  # an MP3 sent as a .ogg voice note
                (voice_update(8007, "empty"), COULD_NOT_PLAY, "empty"),
            ]
            for update, reply, problem in cases:
                await send(runtime, web, conn.id, update)
                assert fake.sent("sendMessage")[-1]["text"] == reply, problem
                row = (await stored_messages(runtime))[-1]
                assert row.attachments[0]["problem"] == problem
                assert alerts[-1].reason == "handoff" and problem in (alerts[-1].detail or "")
            # Every message was kept, every turn finished, and the worker still answers.
            assert len(await stored_messages(runtime)) == len(cases)
            async with runtime.db.reader() as s:
                states = (await s.execute(select(InboxItem.state))).scalars().all()
            assert set(states) == {"done"}
            fake.files["files/fine"] = note
            await send(runtime, web, conn.id, voice_update(8100, "fine"))
            assert "ask not what your country" in (await stored_messages(runtime))[-1].text.lower()
    finally:
        await runtime.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_document_is_read_for_the_draft_and_a_photo_kept_for_staff(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    import io

    from docx import Document

    doc = Document()
    doc.add_paragraph("Booking request: balayage for two, Tuesday at 4pm. Reference 4571.")
    buffer = io.BytesIO()
    doc.save(buffer)
    llm = FakeOpenAI(default=Step(content=answer("We have Tuesday at 4pm.")))
    with serve(llm.app) as url:
        new = await new_workspace(runtime.db, model_settings={"base_url": f"{url}/v1"})
        conn = await connect(runtime, new.workspace.id, fake)
        fake.files["files/doc-1"] = buffer.getvalue()
        docx_mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        await send(runtime, web, conn.id, document_update(9001, "doc-1", "booking.docx", docx_mime))
        prompt = llm.requests[-1].body["messages"][-1]["content"]
    assert "booking.docx" in prompt and "Reference 4571" in prompt
    (row,) = await stored_messages(runtime)
    assert "balayage for two" in row.attachments[0]["extracted_text"]
    # A photo: kept in storage for staff, not read by any model.
    photo = adapted("photo_with_caption")
    file_id = max(photo["message"]["photo"], key=lambda p: p["width"] * p["height"])["file_id"]
    fake.files[f"files/{file_id}"] = b"\xff\xd8\xff\xe0" + b"\x00" * 500
    await send(runtime, web, conn.id, photo)
    kept = (await stored_messages(runtime))[-1].attachments[0]
    assert kept["kind"] == "image" and kept["problem"] is None
    assert await runtime.storage.get(kept["key"]) == fake.files[f"files/{file_id}"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_text_message_is_untouched_by_the_media_stage(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    new = await new_workspace(runtime.db)
    conn = await connect(runtime, new.workspace.id, fake)
    await send(runtime, web, conn.id, text_update(9100, "Do you open on Sundays?"))
    (row,) = await stored_messages(runtime)
    assert row.text == "Do you open on Sundays?" and row.attachments == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_vision_model_plugged_in_describes_photos_for_the_draft(
    runtime: Runtime, web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    from core.media.stage import MediaStage

    seen: list[str] = []

    async def vision(data: bytes, kind: str) -> str | None:  # stands in for a vision model's API
        seen.append(kind)
        if len(seen) > 1:
            raise TimeoutError("the vision model is down")
        return "a receipt from Bella's Salon for 45 euros"

    stage = next(s.run for s in runtime.pipeline.stages if s.name == "media")
    assert isinstance(stage, MediaStage)
    stage.vision = vision
    llm = FakeOpenAI(default=Step(content=answer("Thanks, we got it.")))
    photo = adapted("photo_with_caption")
    file_id = max(photo["message"]["photo"], key=lambda p: p["width"] * p["height"])["file_id"]
    fake.files[f"files/{file_id}"] = b"\xff\xd8\xff\xe0" + b"\x00" * 500
    with serve(llm.app) as url:
        new = await new_workspace(runtime.db, model_settings={"base_url": f"{url}/v1"})
        conn = await connect(runtime, new.workspace.id, fake)
        await send(runtime, web, conn.id, photo)
        assert "a receipt from Bella's Salon for 45 euros" in llm.requests[-1].body["messages"][-1]["content"]
        again = copy.deepcopy(photo)
        again["update_id"] += 1
        again["message"]["message_id"] += 1
        await send(runtime, web, conn.id, again)  # the model fails: the photo is still kept, the turn goes on
    assert seen == ["jpeg", "jpeg"]
    kept = (await stored_messages(runtime))[-1].attachments[0]
    assert kept["key"] and kept["problem"] is None and kept["extracted_text"] is None
    drafts = [r for r in llm.requests if "DraftReply" in json.dumps(r.body.get("response_format"))]
    assert len(drafts) == 2  # both photos were answered
