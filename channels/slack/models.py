"""Slack's tables: the staff console's threads and cards, its durable job queue, staff links, and
the Events API ids already handled.

Staff notifications are rows (`slack_jobs`, a leased queue like the outbox), so an approval card is
posted even if the process dies right after the draft was decided, and a 429 waits out Retry-After.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime
from core.messages import utcnow
from core.models import Base, Json, Queued, Row, queue_indexes, workspace_fk


def _connection_fk() -> Mapped[str]:
    return mapped_column(String(36), ForeignKey("channel_connections.id", ondelete="CASCADE"), index=True)


def _conversation_fk() -> Mapped[str]:
    return mapped_column(String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True)


class SlackThread(Row, Base):
    """One conversation's parent message in the staff channel; everything about it is in its thread.

    `taken_over_by` is set by Take over (or /frontdesk pause) and cleared by Hand back: only then do
    staff replies in the thread go to the customer, so an internal remark never leaks."""

    __tablename__ = "slack_threads"
    __table_args__ = (
        UniqueConstraint("connection_id", "conversation_id"),
        Index("ix_slack_threads_message", "connection_id", "channel", "ts"),
    )
    workspace_id: Mapped[str] = workspace_fk()
    connection_id: Mapped[str] = _connection_fk()
    conversation_id: Mapped[str] = _conversation_fk()
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    taken_over_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    taken_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SlackCard(Row, Base):
    """A draft's approval card: where it was posted, so it can be updated in place after the action."""

    __tablename__ = "slack_cards"
    __table_args__ = (UniqueConstraint("connection_id", "draft_id"),)
    workspace_id: Mapped[str] = workspace_fk()
    connection_id: Mapped[str] = _connection_fk()
    draft_id: Mapped[str] = mapped_column(String(36), ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = _conversation_fk()
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    # The draft state the card last showed: a draft decided elsewhere (admin, CLI) is re-rendered.
    shown_state: Mapped[str] = mapped_column(String(16))
    # Why staff rejected it, if they said.
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Who saved the sent reply as an answer for next time (the knowledge base's answer memory).
    saved_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class SlackJob(Queued, Base):
    """Something to post in the staff channel: a card, a card update, or a notice in a thread.

    `order_key` is the conversation, so a thread's parent is posted before anything in it."""

    __tablename__ = "slack_jobs"
    __table_args__ = queue_indexes("slack_jobs", "running")
    connection_id: Mapped[str] = _connection_fk()
    conversation_id: Mapped[str] = _conversation_fk()
    kind: Mapped[str] = mapped_column(String(16))  # card | refresh | notice
    draft_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)


class SlackStaff(Row, Base):
    """A Slack user who may act as a frontdesk staff member of the connection's workspace."""

    __tablename__ = "slack_staff"
    __table_args__ = (UniqueConstraint("connection_id", "slack_user_id"),)
    workspace_id: Mapped[str] = workspace_fk()
    connection_id: Mapped[str] = _connection_fk()
    slack_user_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True)


class SlackEvent(Base):
    """An Events API delivery already handled: Slack's retries (X-Slack-Retry-Num) carry its id."""

    __tablename__ = "slack_events"
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    connection_id: Mapped[str] = _connection_fk()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
