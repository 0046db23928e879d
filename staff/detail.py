"""A conversation's whole page, as staff see it: the messages with their media, the draft waiting
for staff with its sources and why it waits, and the sidebar (context fields with their schema, the
workflow's status and the moves allowed from it, triage, intent and sentiment with its cause, the
context's history, and the same customer's other conversations)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Contact, Conversation, Draft, Message
from staff import listing
from staff.conversations import PRIORITIES, STATUSES
from understanding.context import history, read_context, schema_for
from understanding.models import ConversationReading
from understanding.schema import STATUS

MESSAGES = 200  # the newest this many; older ones page through /conversations/{id}/messages
OTHERS = 20
HISTORY = 100
# What a stored file's link says about it; the bytes stay behind a signed, expiring /media link.
_MEDIA_FIELDS = (
    "kind", "mime_type", "name", "size", "duration_seconds", "transcript", "caption", "language",
    "confidence", "problem", "latitude", "longitude", "phone",
)  # fmt: skip


@dataclass(frozen=True)
class Media:
    kind: str
    mime_type: str | None = None
    name: str | None = None
    size: int | None = None
    duration_seconds: float | None = None
    transcript: str | None = None  # a voice note's words (also the message's text)
    caption: str | None = None
    language: str | None = None
    confidence: float | None = None
    problem: str | None = None  # why it could not be used: too_long, too_large, corrupt, ...
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = None
    url: str | None = None  # a signed link to the stored copy, when there is one


@dataclass(frozen=True)
class MessageView:
    id: str
    direction: str
    author: str
    author_user_id: str | None
    kind: str
    text: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    citations: list[dict[str, Any]]
    media: list[Media]


@dataclass(frozen=True)
class DraftView:
    """The draft waiting for staff, with what it cites and why it was not sent."""

    id: str
    text: str
    citations: list[dict[str, Any]]
    confidence: float | None
    grounded: bool
    source: str
    model: str | None
    decision: str  # needs_approval | handoff
    reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class ContextField:
    """A field of the workspace's schema with this conversation's value (or a value the schema no
    longer names, with `type` None)."""

    name: str
    type: str | None
    label: str
    required: bool
    options: list[str]
    value: Any


@dataclass(frozen=True)
class Workflow:
    status: str | None  # where the conversation is (the workflow's initial status until moved)
    statuses: list[str]
    moves: list[str]  # the statuses it may move to from here


@dataclass(frozen=True)
class Reading:
    intent: str | None
    intent_confidence: float | None
    sentiment: str | None
    sentiment_score: float | None
    sentiment_cause: str | None
    sentiment_trend: list[dict[str, Any]]
    summary: dict[str, Any] | None


@dataclass(frozen=True)
class ContextEvent:
    field: str
    old_value: Any
    new_value: Any
    source: str  # ai | rule | staff
    actor: str
    evidence: str | None
    created_at: datetime


@dataclass(frozen=True)
class ConversationDetail:
    conversation: listing.ConversationRow
    contact_phone: str | None
    contact_email: str | None
    messages: list[MessageView]
    messages_total: int
    draft: DraftView | None
    context: list[ContextField]
    workflow: Workflow | None
    reading: Reading | None
    context_history: list[ContextEvent]
    others: list[listing.ConversationRow]  # the customer's other conversations, newest first
    statuses: tuple[str, ...] = STATUSES
    priorities: tuple[str, ...] = PRIORITIES


def _media(attachment: dict[str, Any], sign: Callable[[str], str] | None) -> Media:
    known: dict[str, Any] = {name: attachment.get(name) for name in _MEDIA_FIELDS}
    known["kind"] = str(known["kind"] or "document")
    key = attachment.get("key")
    url = None
    if key and sign is not None:
        try:
            url = sign(str(key))
        except Exception:  # not a key the store knows: show the file without a link
            url = None
    return Media(**known, url=url)


def _message(m: Message, sign: Callable[[str], str] | None) -> MessageView:
    return MessageView(
        id=m.id, direction=m.direction, author=m.author, author_user_id=m.author_user_id, kind=m.kind,
        text=m.text, status=m.status, created_at=m.created_at, sent_at=m.sent_at,
        citations=list(m.citations or []), media=[_media(a, sign) for a in m.attachments or []],
    )  # fmt: skip


async def _messages(
    s: AsyncSession, conversation_id: str, sign: Callable[[str], str] | None
) -> tuple[list[MessageView], int]:
    where = Message.conversation_id == conversation_id
    total = (await s.execute(select(func.count()).select_from(Message).where(where))).scalar_one()
    newest = (
        await s.execute(
            select(Message).where(where).order_by(Message.created_at.desc(), Message.id.desc()).limit(MESSAGES)
        )
    ).scalars()
    return [_message(m, sign) for m in reversed(list(newest))], total


async def _draft(s: AsyncSession, conversation_id: str) -> DraftView | None:
    d = (
        await s.execute(
            select(Draft)
            .where(Draft.conversation_id == conversation_id, Draft.state == "pending")
            .order_by(Draft.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if d is None:
        return None
    return DraftView(
        id=d.id, text=d.text, citations=list(d.citations or []), confidence=d.confidence, grounded=d.grounded,
        source=d.source, model=d.model, decision=d.decision, reason=d.reason, created_at=d.created_at,
    )  # fmt: skip


async def _context(
    s: AsyncSession, workspace_id: str, conversation_id: str
) -> tuple[list[ContextField], Workflow | None]:
    values = await read_context(s, conversation_id)
    schema = await schema_for(s, workspace_id)
    fields = []
    for spec in schema.fields if schema else []:
        fields.append(
            ContextField(
                spec.name, spec.type, spec.label or spec.name, spec.required, list(spec.options), values.get(spec.name)
            )
        )
    named = {f.name for f in fields} | {STATUS}
    fields += [ContextField(name, None, name, False, [], v) for name, v in values.items() if name not in named]
    workflow = None
    if schema is not None and schema.workflow is not None:
        flow = schema.workflow
        status = values.get(STATUS) or flow.initial
        workflow = Workflow(status, flow.statuses, list(flow.transitions.get(status, [])))
    return fields, workflow


async def _reading(s: AsyncSession, conversation_id: str) -> Reading | None:
    r = await s.get(ConversationReading, conversation_id)
    if r is None:
        return None
    return Reading(
        r.intent, r.intent_confidence, r.sentiment, r.sentiment_score, r.sentiment_cause,
        list(r.sentiment_history or []), r.summary,
    )  # fmt: skip


async def _others(
    s: AsyncSession, conversation: Conversation, contact: Contact | None
) -> list[listing.ConversationRow]:
    """The same customer elsewhere: the same contact's other conversations, and those of contacts
    with the same phone number or email in this workspace."""
    same = [Conversation.contact_id == conversation.contact_id]
    if contact is not None:
        links = [
            column == value
            for column, value in ((Contact.phone, contact.phone), (Contact.email, contact.email))
            if value
        ]
        if links:
            people = select(Contact.id).where(Contact.workspace_id == conversation.workspace_id, or_(*links))
            same.append(Conversation.contact_id.in_(people))
    ids = (
        await s.execute(
            select(Conversation.id)
            .where(
                and_(
                    Conversation.workspace_id == conversation.workspace_id,
                    Conversation.id != conversation.id,
                    or_(*same),
                )
            )
            .order_by(Conversation.last_message_at.desc(), Conversation.created_at.desc())
            .limit(OTHERS)
        )
    ).scalars()
    return await listing.rows(s, list(ids))


async def conversation_detail(
    s: AsyncSession, *, workspace_id: str, conversation_id: str, sign: Callable[[str], str] | None = None
) -> ConversationDetail | None:
    """Everything the conversation's page shows; None when the workspace has no such conversation.
    `sign` turns a stored file's key into a link staff can open (the media store's signed URL)."""
    conversation = await s.get(Conversation, conversation_id)
    if conversation is None or conversation.workspace_id != workspace_id:
        return None
    found = await listing.rows(s, [conversation_id])
    contact = await s.get(Contact, conversation.contact_id)
    messages, total = await _messages(s, conversation_id, sign)
    fields, workflow = await _context(s, workspace_id, conversation_id)
    changes = await history(s, conversation_id, limit=HISTORY)
    return ConversationDetail(
        conversation=found[0],
        contact_phone=contact.phone if contact else None,
        contact_email=contact.email if contact else None,
        messages=messages,
        messages_total=total,
        draft=await _draft(s, conversation_id),
        context=fields,
        workflow=workflow,
        reading=await _reading(s, conversation_id),
        context_history=[
            ContextEvent(c.field, c.old_value, c.new_value, c.source, c.actor, c.evidence, c.created_at)
            for c in changes
        ],
        others=await _others(s, conversation, contact),
    )
