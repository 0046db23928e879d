"""A voice note on the approval card: its transcript is the customer's message, labelled once."""

from __future__ import annotations

import json

from channels.slack.cards import CardView, blocks
from core.models import Conversation, Draft


def _card(question: str, transcripts: list[str]) -> str:
    draft = Draft(
        id="d1", text="Happy to help!", source="llm", decision="needs_approval", state="pending", citations=[]
    )
    conversation = Conversation(id="c" * 36, channel="telegram", status="waiting")
    view = CardView(draft=draft, conversation=conversation, contact_name="Ann", question=question,
                    transcripts=transcripts)  # fmt: skip
    return json.dumps(blocks(view), ensure_ascii=False)


def test_a_transcribed_voice_note_shows_once_with_its_label() -> None:
    said = "Can I move my appointment to Friday?"
    card = _card(said, [said])
    assert card.count(said) == 1 and "voice note, transcribed" in card


def test_a_typed_message_with_a_voice_note_shows_both() -> None:
    card = _card("see the voice note", ["I'd like a haircut on Friday"])
    assert "see the voice note" in card and "🎙 I'd like a haircut on Friday" in card
    assert "voice note, transcribed" not in card
