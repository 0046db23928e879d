"""Every real Telegram payload becomes the right InboundMessage (parsed by aiogram's own types)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aiogram.types import Update
from pydantic import ValidationError

from channels.telegram.normalize import BotIdentity, normalize
from core.messages import AttachmentKind, MessageKind
from tests.channels.telegram_support import adapted, fixture
from tests.fakes.telegram_server import BOT_ID, USERNAME

BOT = BotIdentity(workspace_id="ws-1", connection_id="conn-1", bot_id=str(BOT_ID), username=USERNAME)


def parse(update: dict[str, Any]) -> Any:
    return normalize(Update.model_validate(update), BOT)


def test_text_and_start() -> None:
    out = parse(adapted("message_with_text"))
    msg = out.message
    assert msg is not None and msg.kind is MessageKind.message
    assert (msg.text, msg.payload, msg.thread, msg.account) == ("/start", None, "1111111", str(BOT_ID))
    assert msg.external_id == "1111111:1365" and msg.connection_id == "conn-1"
    assert msg.sender.id == "1111111" and msg.sender.display_name == "Test Firstname Test Lastname"
    assert msg.sender.handle == "Testusername"
    deep = adapted("message_with_text")
    deep["message"]["text"] = "/start promo-summer"
    assert parse(deep).message.payload == "promo-summer"


def test_real_text_update_from_a_client() -> None:
    msg = parse(fixture("teloxide_real_payloads.json")["text_update"]).message
    assert msg.text == "hello there" and msg.sender.language == "en"
    assert msg.sent_at.year == 2019 and msg.sent_at.tzinfo is not None


def test_edit_is_its_own_message_not_a_redelivery() -> None:
    original = parse(adapted("message_with_text")).message
    edit = parse(adapted("edited_message")).message
    assert edit.kind is MessageKind.edit and edit.text == "Edited text"
    assert edit.thread == original.thread and edit.external_id != original.external_id
    assert edit.external_id.startswith("1111111:1365:edit:")


def test_voice_audio_document() -> None:
    voice = parse(adapted("voice_message")).message
    (a,) = voice.attachments
    assert (a.kind, a.mime_type, a.duration_seconds, a.ref, a.size) == (
        AttachmentKind.voice,
        "audio/ogg",
        5.0,
        "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX",
        23000,
    )
    assert voice.text == "" and not voice.is_empty
    (audio,) = parse(adapted("message_with_audio")).message.attachments
    assert (audio.kind, audio.mime_type, audio.name, audio.duration_seconds) == (
        AttachmentKind.audio,
        "audio/mpeg",
        "Test music file",
        243.0,
    )
    (doc,) = parse(adapted("message_with_document")).message.attachments
    assert (doc.kind, doc.name, doc.mime_type, doc.size) == (
        AttachmentKind.document,
        "Testfile.pdf",
        "application/pdf",
        536392,
    )


def test_photo_takes_the_largest_size_and_the_caption() -> None:
    update = adapted("photo_with_caption")
    msg = parse(update).message
    (photo,) = msg.attachments
    largest = max(update["message"]["photo"], key=lambda p: p["width"] * p["height"])
    assert photo.kind is AttachmentKind.image and photo.ref == largest["file_id"]
    assert msg.text == update["message"]["caption"]


def test_buttons_reply_and_entities() -> None:
    out = parse(adapted("callback_query"))
    msg = out.message
    assert msg.kind is MessageKind.button and msg.payload == "Data from button callback"
    assert out.callback_query_id == "4382bfdwdsb323b2d9" and msg.external_id == "callback:4382bfdwdsb323b2d9"
    assert msg.thread == "1111111"  # an inline-message button: the presser's private chat
    from_message = parse(adapted("callback_query_from_message_button")).message
    assert from_message.thread == "12345" and from_message.reply_to == "12345:1366"
    reply = parse(adapted("message_with_reply")).message
    assert reply.reply_to == "1111111:1334"
    assert parse(adapted("message_with_entities")).message.text == "Bold and italics"


def _message(**fields: Any) -> dict[str, Any]:
    base = copy.deepcopy(adapted("message_with_text"))
    del base["message"]["text"]
    base["message"].update(fields)
    return base


def test_sticker_location_contact_video() -> None:
    sticker = parse(
        _message(
            sticker={
                "file_id": "st1",
                "file_unique_id": "u",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        )
    ).message
    assert sticker.text == "👍" and sticker.attachments[0].kind is AttachmentKind.sticker
    location = parse(_message(location={"latitude": 51.5072, "longitude": -0.1276})).message
    (place,) = location.attachments
    assert (place.kind, place.latitude, place.longitude) == (AttachmentKind.location, 51.5072, -0.1276)
    contact = parse(_message(contact={"phone_number": "+447700900123", "first_name": "Ann", "last_name": "Lee"}))
    (card,) = contact.message.attachments
    assert (card.kind, card.name, card.phone) == (AttachmentKind.contact, "Ann Lee", "+447700900123")
    video = parse(
        _message(
            video={
                "file_id": "v1",
                "file_unique_id": "u",
                "width": 1,
                "height": 1,
                "duration": 7,
                "mime_type": "video/mp4",
            },
            caption="look",
        )
    ).message
    assert video.text == "look" and video.attachments[0].kind is AttachmentKind.video


def _group(text: str, entities: list[dict[str, Any]] | None = None, reply_from_bot: bool = False) -> dict[str, Any]:
    update = copy.deepcopy(adapted("message_with_text"))
    message = update["message"]
    message["chat"] = {"id": -100200300, "type": "supergroup", "title": "Salon regulars"}
    message["text"] = text
    if entities:
        message["entities"] = entities
    if reply_from_bot:
        message["reply_to_message"] = {
            "message_id": 9,
            "date": 1441645000,
            "chat": message["chat"],
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bella", "username": USERNAME},
            "text": "Anything else?",
        }
    return update


def test_group_messages_only_when_addressed_to_the_bot() -> None:
    chatter = parse(_group("see you all tomorrow"))
    assert chatter.message is None and chatter.skipped == "ignored"
    other = parse(_group("@someone_else hi", [{"type": "mention", "offset": 0, "length": 13}]))
    assert other.message is None
    mention = f"@{USERNAME}"
    asked = parse(_group(f"{mention} are you open Sunday?", [{"type": "mention", "offset": 0, "length": len(mention)}]))
    assert asked.message is not None and asked.message.text == "are you open Sunday?"
    assert asked.message.thread == "-100200300"
    command = f"/start@{USERNAME}"
    started = parse(_group(command, [{"type": "bot_command", "offset": 0, "length": len(command)}]))
    assert started.message is not None
    assert parse(_group("yes please", reply_from_bot=True)).message is not None


def test_unsupported_update_types_are_reported_not_raised() -> None:
    channel_post = {"message_id": 1, "date": 1441645532, "text": "Sale!", "chat": {"id": -1001, "type": "channel"}}
    post = {"update_id": 5, "channel_post": channel_post}
    out = parse(post)
    assert out.message is None and out.skipped == "unsupported" and out.update_type == "channel_post"
    assert parse({"update_id": 6}).skipped == "unsupported"


@pytest.mark.parametrize("name", sorted(fixture("telegram_official_webhook_examples.json")["updates"]))
def test_official_examples_that_aiogram_rejects_are_refused(name: str) -> None:
    """The docs' examples predate now-required fields (a user's is_bot, a file's file_unique_id):
    aiogram refuses every one for a missing field, and so do we (the webhook test checks each
    becomes a clean 400). The adapted fixtures, with those fields added, are the ones normalised."""
    update = fixture("telegram_official_webhook_examples.json")["updates"][name]
    with pytest.raises(ValidationError) as refused:
        Update.model_validate(update)
    assert "missing" in {error["type"] for error in refused.value.errors()}
