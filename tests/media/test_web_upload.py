"""Web chat uploads: a voice note recorded on the chat page, or a file, sent as multipart to
POST /api/v1/chat, through the real app, worker and offline model."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from core.assistants import DEFAULT_HOLDING_REPLY
from core.models import Message
from tests import hostile_files as hostile
from tests.media.support import JFK_TEXT, encode, jfk_samples, voice_note, word_error_rate
from tests.support import new_workspace

UPLOAD = {"X-Frontdesk-Chat": "1"}


async def history(client: httpx.AsyncClient, session: str, *, count: int = 0) -> list[dict]:
    """The chat as the page shows it, once `count` messages are there (replies are sent a moment later)."""
    for _ in range(400):
        r = await client.get(f"/api/v1/chat/{session}/messages")
        assert r.status_code == 200, r.text
        if len(r.json()["messages"]) >= count:
            break
        await asyncio.sleep(0.05)
    return r.json()["messages"]


async def test_a_recorded_voice_note_is_answered_and_shown_as_text(client: httpx.AsyncClient, runtime: Runtime) -> None:
    new = await new_workspace(runtime.db)
    session = str(uuid.uuid4())
    r = await client.post(
        "/api/v1/chat",
        data={"agent": new.assistant.slug, "session_id": session, "kind": "voice"},
        files={"file": ("recording.ogg", voice_note(), "audio/ogg; codecs=opus")},
        headers=UPLOAD,
    )
    assert r.status_code == 200, r.text
    # No LLM here: the holding reply, and staff take it (on a busy machine it may come after the wait).
    assert r.json()["status"] in ("handed_off", "processing")
    said, reply = await history(client, session, count=2)
    assert said["role"] == "customer" and word_error_rate(JFK_TEXT, said["text"]) <= 0.15, said["text"]
    assert reply["role"] == "system" and reply["text"] == DEFAULT_HOLDING_REPLY


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_uploads_that_cannot_be_used_get_a_reply_and_forms_without_the_header_are_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    new = await new_workspace(runtime.db)
    session = str(uuid.uuid4())
    form = {"agent": new.assistant.slug, "session_id": session}
    mp3 = encode(jfk_samples()[:32000], container="mp3", codec="libmp3lame")
    cases = [
        (("voice.ogg", mp3, "audio/ogg"), "I couldn't play that voice note"),
        (("empty.ogg", b"", "audio/ogg"), "I couldn't play that voice note"),
        (("notes.pdf", b"%PDF-1.4 this is not really a pdf", "application/pdf"), "I couldn't open that file"),
    ]
    for file, reply in cases:
        r = await client.post("/api/v1/chat", data=form, files={"file": file}, headers=UPLOAD)
        assert r.status_code == 200, r.text
        assert r.json()["response"].startswith(reply), (file[0], r.json())
    # A cross-site HTML form cannot set the header: refused before anything is stored.
    r = await client.post("/api/v1/chat", data=form, files={"file": ("a.ogg", voice_note(2), "audio/ogg")})
    assert r.status_code == 403
    r = await client.post("/api/v1/chat", data=form, files={"audio": ("a.ogg", b"OggS", "audio/ogg")}, headers=UPLOAD)
    assert r.status_code == 422 and "file" in r.json()["detail"]
    said = [m for m in await history(client, session, count=2 * len(cases)) if m["role"] == "customer"]
    assert len(said) == len(cases)  # every upload kept, none from the refused requests


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_document_built_to_exhaust_the_server_gets_the_usual_reply_and_is_kept(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    new = await new_workspace(runtime.db)
    session = str(uuid.uuid4())
    form = {"agent": new.assistant.slug, "session_id": session}
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    hostile_docs = [
        ("paragraphs.docx", hostile.paragraph_bomb_docx(), docx),  # 100 KB that python-docx made 2.6 GB of
        ("lying.docx", hostile.lying_docx(2 * 1024 * 1024), docx),
        ("laughs.docx", hostile.entity_docx(), docx),
        ("bomb.pdf", hostile.pdf_bomb(), "application/pdf"),
    ]
    for name, data, mime in hostile_docs:
        r = await client.post("/api/v1/chat", data=form, files={"file": (name, data, mime)}, headers=UPLOAD)
        assert r.status_code == 200, r.text
        assert r.json()["response"].startswith("I couldn't open that file"), (name, r.json())
    await history(client, session, count=2 * len(hostile_docs))
    kept = await customer_attachments(runtime)
    assert sorted(a["name"] for a in kept) == sorted(name for name, _, _ in hostile_docs) and all(
        a["key"] for a in kept
    )
    # And a real one from the same customer is still read.
    real = hostile.real_docx("Booking reference 4571, Tuesday at 4pm.")
    r = await client.post("/api/v1/chat", data=form, files={"file": ("booking.docx", real, docx)}, headers=UPLOAD)
    assert r.status_code == 200, r.text
    await history(client, session, count=2 * len(hostile_docs) + 1)
    read = {a["name"]: a.get("extracted_text") for a in await customer_attachments(runtime)}
    assert "4571" in (read["booking.docx"] or "") and read["lying.docx"] is None


async def customer_attachments(runtime: Runtime) -> list[dict]:
    """What staff see of the customer's files."""
    async with runtime.db.reader() as r:
        rows = (await r.execute(select(Message.attachments))).scalars().all()
    return [a for row in rows for a in row]
