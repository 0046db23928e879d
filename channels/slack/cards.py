"""The approval card (Block Kit): what the customer asked, what the assistant would answer and why
it waits for staff, with Approve, Edit, Reject and Take over; after the action, who did what, when.

Rendered from the database every time it is posted or updated, so a card always shows the draft's
current state, whoever decided it (Slack, the admin, the CLI).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from channels.slack import mrkdwn
from channels.slack.models import SlackCard, SlackStaff, SlackThread
from core.db import Database
from core.models import Contact, Conversation, Draft, Message, User
from understanding.models import ConversationContext, ConversationReading

APPROVE, EDIT, REJECT, TAKE_OVER, HAND_BACK = "fd_approve", "fd_edit", "fd_reject", "fd_take_over", "fd_hand_back"
SAVE_ANSWER = "fd_save_answer"
EDIT_VIEW, REJECT_VIEW = "fd_edit_submit", "fd_reject_submit"
CHANNEL_NAMES = {"web": "Web chat", "telegram": "Telegram", "whatsapp": "WhatsApp", "sms": "SMS", "slack": "Slack"}


@dataclass
class CardView:
    draft: Draft
    conversation: Conversation
    contact_name: str
    question: str = ""
    transcripts: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    reviewer: str | None = None  # a Slack mention or a name
    taken_over_by: str | None = None  # set while the conversation is taken over in Slack
    note: str | None = None
    saved_by: str | None = None  # who saved the reply as an answer for next time


async def load_view(db: Database, *, connection_id: str, draft_id: str) -> CardView | None:
    async with db.reader() as s:
        draft = await s.get(Draft, draft_id)
        if draft is None:
            return None
        conversation = await s.get(Conversation, draft.conversation_id)
        if conversation is None:
            return None
        contact = await s.get(Contact, conversation.contact_id)
        question = None
        if draft.inbox_id is not None:
            question = (await s.execute(select(Message).where(Message.inbox_id == draft.inbox_id))).scalar_one_or_none()
        thread = (
            await s.execute(
                select(SlackThread).where(
                    SlackThread.connection_id == connection_id, SlackThread.conversation_id == conversation.id
                )
            )
        ).scalar_one_or_none()
        card = (
            await s.execute(
                select(SlackCard).where(SlackCard.connection_id == connection_id, SlackCard.draft_id == draft_id)
            )
        ).scalar_one_or_none()
        view = CardView(
            draft=draft,
            conversation=conversation,
            contact_name=(contact.display_name if contact else None) or (contact.phone if contact else None) or "",
            question=question.text if question else "",
            transcripts=[a["transcript"] for a in (question.attachments if question else []) if a.get("transcript")],
            context=await _context(s, conversation),
            note=card.note if card else None,
        )
        view.reviewer = await _who(s, connection_id, draft.reviewed_by)
        view.saved_by = await _who(s, connection_id, card.saved_by if card else None)
        if thread is not None and thread.taken_over_by and conversation.bot_paused:
            view.taken_over_by = await _who(s, connection_id, thread.taken_over_by)
    return view


async def _who(s: Any, connection_id: str, user_id: str | None) -> str | None:
    if not user_id:
        return None
    slack_user = (
        await s.execute(
            select(SlackStaff.slack_user_id)
            .where(SlackStaff.connection_id == connection_id, SlackStaff.user_id == user_id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if slack_user:
        return f"<@{slack_user}>"
    user = await s.get(User, user_id)
    return mrkdwn.escape(user.name or user.email) if user else None


async def _context(s: Any, conversation: Conversation) -> dict[str, Any]:
    """Key context: what understanding read (intent, sentiment), priority, tags, and the fields the
    conversation has gathered (understanding's tables)."""
    context: dict[str, Any] = {}
    reading = await s.get(ConversationReading, conversation.id)
    if reading is not None and reading.intent and reading.intent != "unknown":
        confidence = f" ({reading.intent_confidence:.2f})" if reading.intent_confidence is not None else ""
        context["intent"] = f"{reading.intent}{confidence}"
    if reading is not None and reading.sentiment:
        context["sentiment"] = reading.sentiment
    if conversation.priority and conversation.priority != "normal":
        context["priority"] = conversation.priority
    if conversation.tags:
        context["tags"] = ", ".join(conversation.tags)
    row = await s.get(ConversationContext, conversation.id)
    if row is not None:
        context.update({k: v for k, v in row.fields.items() if isinstance(v, str | int | float | bool)})
    return context


def short_id(conversation_id: str) -> str:
    """What staff type after a /frontdesk verb (pause, priority, tag, …)."""
    return conversation_id[:8]


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _when(at: datetime | None) -> str:
    if at is None:
        return ""
    stamp = int(at.timestamp())
    return f" <!date^{stamp}^at {{time}} on {{date_short}}|at {at:%H:%M} UTC on {at:%Y-%m-%d}>"


def why(draft: Draft) -> str:
    if draft.decision == "handoff":
        reason = draft.reason or "the assistant could not answer this"
        return f"Handed to staff: {reason}"
    if draft.reason:
        return f"Needs approval: {draft.reason}"
    return "Needs approval: this assistant's replies are approved by staff before they are sent."


def blocks(view: CardView) -> list[dict[str, Any]]:
    draft, conversation = view.draft, view.conversation
    channel = CHANNEL_NAMES.get(conversation.channel, conversation.channel)
    who = mrkdwn.escape(view.contact_name) or "a customer"
    out: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{channel}* · {who} · conversation `{short_id(conversation.id)}`",
            },
        },
    ]
    # A voice note's transcript is the message text: say so once, rather than show it twice.
    spoken = bool(view.question) and view.question in view.transcripts
    label = "*Customer* 🎙 _voice note, transcribed_" if spoken else "*Customer*"
    out.append(
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{label}\n" + mrkdwn.quote(view.question or "…")}}
    )
    for transcript in view.transcripts:
        if transcript != view.question:
            out.append(
                {"type": "context", "elements": [{"type": "mrkdwn", "text": "🎙 " + mrkdwn.clip(transcript, 2000)}]}
            )
    if view.context:
        facts = " · ".join(f"{mrkdwn.escape(str(k))}: {mrkdwn.clip(str(v), 200)}" for k, v in view.context.items())
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": facts[:2900]}]})
    draft_text = mrkdwn.quote(draft.text) if draft.text.strip() else "_No draft: a person needs to answer._"
    out.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Draft*\n" + draft_text}})
    notes: list[str] = []
    if draft.citations:
        sources = []
        for citation in draft.citations[:5]:
            title = mrkdwn.clip(str(citation.get("title") or citation.get("source_id") or "source"), 80)
            url = citation.get("url")
            sources.append(f"<{url}|{title}>" if url else title)
        notes.append("Sources: " + ", ".join(sources))
    if draft.confidence is not None:
        notes.append(f"Confidence {draft.confidence:.2f}" + (" · grounded" if draft.grounded else ""))
    notes.append(mrkdwn.clip(why(draft), 500))
    out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(notes)}]})
    out.extend(_outcome(view))
    return out


def _outcome(view: CardView) -> list[dict[str, Any]]:
    draft = view.draft
    reviewer = view.reviewer or "someone"
    when = _when(draft.reviewed_at)
    if view.taken_over_by:
        text = (
            f"🙋 {view.taken_over_by} took over. Replies in this thread now go to the customer; "
            "the assistant stays quiet until Hand back."
        )
        return [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "actions",
                "block_id": "fd_takeover",
                "elements": [_button("Hand back", HAND_BACK, view.conversation.id)],
            },
        ]
    if draft.state == "pending":
        buttons = []
        if draft.text.strip():
            buttons.append(_button("Approve", APPROVE, draft.id, "primary"))
        buttons += [
            _button("Edit" if draft.text.strip() else "Write reply", EDIT, draft.id),
            _button("Reject", REJECT, draft.id, "danger"),
            _button("Take over", TAKE_OVER, draft.id),
        ]
        return [{"type": "actions", "block_id": "fd_draft", "elements": buttons}]
    sent = mrkdwn.clip(draft.final_text or draft.text, 1500)
    text = {
        "approved": f"✅ Approved by {reviewer}{when}. Sent: {sent}",
        "edited": f"✏️ Edited and sent by {reviewer}{when}: {sent}",
        "rejected": f"🚫 Rejected by {reviewer}{when}. Nothing was sent."
        + (f" Reason: {mrkdwn.clip(view.note, 500)}" if view.note else ""),
        "taken_over": f"🙋 Taken over by {reviewer}{when}, then handed back to the assistant.",
        "superseded": "⏭ Superseded: the customer wrote again, and a newer card answers the latest message.",
        "sent": f"✅ Sent{when}: {sent}",
    }.get(draft.state, f"This draft is {draft.state}.")
    out: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if draft.state in ("approved", "edited"):
        out.append(_saved(view))
    return out


def _saved(view: CardView) -> dict[str, Any]:
    """Answer memory: the sent reply can become the answer the assistant gives next time."""
    if view.saved_by:
        saved = f"📚 Saved as an answer by {view.saved_by}: the next customer who asks this gets it."
        return {"type": "context", "elements": [{"type": "mrkdwn", "text": saved}]}
    return {
        "type": "actions",
        "block_id": "fd_answer",
        "elements": [_button("Save as answer", SAVE_ANSWER, view.draft.id)],
    }


def fallback_text(view: CardView) -> str:
    """The notification text (and what screen readers say) for the card."""
    channel = CHANNEL_NAMES.get(view.conversation.channel, view.conversation.channel)
    state = "needs approval" if view.draft.state == "pending" else view.draft.state.replace("_", " ")
    return mrkdwn.escape(f"{channel} · {view.contact_name or 'a customer'}: a draft {state}")


def edit_modal(draft: Draft, *, message: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": EDIT_VIEW,
        "private_metadata": json.dumps({"draft_id": draft.id, **message}),
        "title": {"type": "plain_text", "text": "Edit the reply"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reply",
                "label": {"type": "plain_text", "text": "The customer gets exactly this"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 3000,
                    **({"initial_value": draft.text[:3000]} if draft.text.strip() else {}),
                },
            }
        ],
    }


def reject_modal(draft: Draft, *, message: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": REJECT_VIEW,
        "private_metadata": json.dumps({"draft_id": draft.id, **message}),
        "title": {"type": "plain_text", "text": "Reject the draft"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "optional": True,
                "label": {"type": "plain_text", "text": "Why? (optional, shown on the card)"},
                "element": {"type": "plain_text_input", "action_id": "text", "max_length": 500},
            }
        ],
    }
