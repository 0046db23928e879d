"""What a rule can see: the vocabulary's variables, filled from a message, its conversation and the
clock, once per evaluation (every rule then reads the same dictionary), plus the template variables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.messages import InboundMessage
from core.models import Contact, Conversation, Message, Workspace
from rules import hours
from rules.vocabulary import CONTEXT_PREFIX, WEEKDAYS
from understanding.context import read_context


@dataclass
class Situation:
    """Everything one evaluation looks at; `facts` and `variables` are derived from it."""

    workspace: Workspace
    now: datetime
    conversation: Conversation | None = None
    contact: Contact | None = None
    message: InboundMessage | None = None
    message_text: str | None = None
    context: dict[str, Any] | None = None
    understanding: dict[str, Any] | None = None
    last_customer_at: datetime | None = None
    last_staff_at: datetime | None = None


def _minutes(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds() / 60)


def facts(sit: Situation) -> dict[str, Any]:
    ws, conv, contact, msg = sit.workspace, sit.conversation, sit.contact, sit.message
    at = hours.local(sit.now, ws.timezone)
    understanding = sit.understanding or {}
    out: dict[str, Any] = {
        "message.text": msg.text if msg is not None else sit.message_text,
        "message.channel": msg.channel.value if msg is not None else (conv.channel if conv else None),
        "message.language": (msg.sender.language if msg is not None else None) or understanding.get("language"),
        "message.attachment_kinds": [a.kind.value for a in msg.attachments] if msg is not None else [],
        "contact.name": contact.display_name if contact else None,
        "contact.phone": contact.phone if contact else None,
        "contact.email": contact.email if contact else None,
        "contact.language": contact.language if contact else None,
        "conversation.status": conv.status if conv else None,
        "conversation.priority": conv.priority if conv else None,
        "conversation.tags": list(conv.tags or []) if conv else [],
        "conversation.channel": conv.channel if conv else None,
        "understanding.intent": understanding.get("intent"),
        "understanding.sentiment": understanding.get("sentiment"),
        "time.within_business_hours": hours.is_open(ws.business_hours, ws.timezone, sit.now),
        "time.weekday": WEEKDAYS[at.weekday()],
        "time.hour": at.hour,
        "time.minutes_since_customer_message": _minutes(sit.now, sit.last_customer_at),
        "time.minutes_since_staff_message": _minutes(sit.now, sit.last_staff_at),
    }
    for key, value in (sit.context or {}).items():
        out[CONTEXT_PREFIX + key] = value
    return out


def variables(sit: Situation) -> dict[str, Any]:
    """What reply and notification templates can use."""
    ws, conv, contact = sit.workspace, sit.conversation, sit.contact
    return {
        "contact": {
            "name": (contact.display_name if contact else None) or "",
            "phone": contact.phone if contact else "",
            "email": contact.email if contact else "",
            "language": contact.language if contact else "",
        },
        "conversation": {
            "id": conv.id if conv else "",
            "status": conv.status if conv else "",
            "priority": conv.priority if conv else "",
            "tags": list(conv.tags or []) if conv else [],
            "channel": conv.channel if conv else "",
        },
        "message": {"text": (sit.message.text if sit.message else sit.message_text) or ""},
        "context": dict(sit.context or {}),
        "workspace": {"name": ws.name, "timezone": ws.timezone},
        "business_hours": hours.describe(ws.business_hours),
        "next_opening": hours.next_opening(ws.business_hours, ws.timezone, sit.now),
        "now": hours.local(sit.now, ws.timezone).strftime("%Y-%m-%d %H:%M"),
    }


async def last_times(s: AsyncSession, conversation_id: str) -> tuple[datetime | None, datetime | None]:
    """When the customer last wrote, and when we (assistant, staff, system) last did."""
    rows = await s.execute(
        select(Message.direction, func.max(Message.created_at))
        .where(Message.conversation_id == conversation_id)
        .group_by(Message.direction)
    )
    found = dict(rows.all())
    return found.get("in"), found.get("out")


async def load(s: AsyncSession, *, workspace: Workspace, conversation: Conversation | None, now: datetime) -> Situation:
    """A situation for a conversation outside a turn (scheduled triggers, follow-ups, replay)."""
    sit = Situation(workspace=workspace, now=now, conversation=conversation)
    if conversation is not None:
        sit.contact = await s.get(Contact, conversation.contact_id)
        sit.context = await read_context(s, conversation.id)
        sit.last_customer_at, sit.last_staff_at = await last_times(s, conversation.id)
    return sit
