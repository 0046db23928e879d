"""Twilio's status callbacks: the delivery receipts of our replies, recorded in the outbox.

Callbacks can arrive out of order (delivered before sent); a receipt is always recorded as an
event, but the reply's state only moves forward. A failed or undelivered reply puts the
conversation back to staff, with the reason (63016: outside WhatsApp's 24-hour window).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Text, cast, select, update

from core.db import Database
from core.models import Conversation, DeliveryEvent, Message, OutboxItem

RANK = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "read": 5, "failed": 6, "undelivered": 6}
FAILED = frozenset({"failed", "undelivered"})
REASONS = {"63016": "outside the 24 h window", "21610": "the contact opted out", "30007": "filtered as spam"}


@dataclass(frozen=True)
class Receipt:
    outbox_id: int
    conversation_id: str
    failed: bool
    reason: str | None


async def record_status(
    db: Database, *, workspace_id: str, sid: str, status: str, error_code: str | None
) -> Receipt | None:
    """Record one callback. None if the SID is not one of this workspace's replies."""
    if status not in RANK:
        return None
    async with db.session() as s:
        row = (
            await s.execute(
                select(OutboxItem.id, OutboxItem.conversation_id, OutboxItem.delivery_status)
                .where(OutboxItem.workspace_id == workspace_id, cast(OutboxItem.external_ids, Text).like(f'%"{sid}"%'))
                .order_by(OutboxItem.id.desc())
                .limit(1)
            )
        ).one_or_none()
        if row is None:
            return None
        outbox_id, conversation_id, current = row
        s.add(DeliveryEvent(outbox_id=outbox_id, status=status, external_id=sid, error_code=error_code or None))
        failed = status in FAILED
        if RANK[status] > RANK.get(current or "queued", 1):
            await s.execute(
                update(OutboxItem)
                .where(OutboxItem.id == outbox_id)
                .values(delivery_status=status, **({"error_code": error_code} if error_code else {}))
            )
            await s.execute(update(Message).where(Message.outbox_id == outbox_id).values(status=status))
            if failed:
                await s.execute(update(Conversation).where(Conversation.id == conversation_id).values(status="waiting"))
        elif failed:
            failed = False  # already recorded as failed
    reason = REASONS.get(error_code or "", f"Twilio error {error_code}" if error_code else None)
    return Receipt(outbox_id, conversation_id, failed, reason)
