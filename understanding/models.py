"""Understanding's tables: each conversation's context and its history, the workspace's context
schema and intents, and each conversation's reading (intent, sentiment and its trend, summary).

The context values are one JSON object per conversation (`conversation_context`), typed by the
workspace's `context_schemas` row; understanding.context is the only module that writes them, and
every change leaves a `context_history` row. The rules read the values through it too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.cache import track
from core.db import UTCDateTime
from core.messages import utcnow
from core.models import Base, Json, QueueId, Row, workspace_fk


class Intent(Row, Base):
    """One thing customers come for, with example phrases the offline classifier learns from."""

    __tablename__ = "intents"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    workspace_id: Mapped[str] = workspace_fk()
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[list[str]] = mapped_column(Json, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ContextSchema(Row, Base):
    """A workspace's context schema (understanding.schema.SchemaSpec, as saved): one per workspace."""

    __tablename__ = "context_schemas"
    workspace_id: Mapped[str] = mapped_column(String(36), ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column(Json)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConversationContext(Base):
    """The fields a conversation has gathered (read by the AI, set by rules and staff, all through
    understanding.context.change). Kept apart from `conversations` so the context has one home."""

    __tablename__ = "conversation_context"
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[str] = workspace_fk()
    fields: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ContextChange(Base):
    """One change to a conversation's context: what it was, what it became, and who said so."""

    __tablename__ = "context_history"
    id: Mapped[int] = mapped_column(QueueId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = workspace_fk()
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(64))
    # JSON, not JSONB: a change keeps the value exactly as it was written (None is a real "unset").
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    source: Mapped[str] = mapped_column(String(8))  # ai | rule | staff
    actor: Mapped[str] = mapped_column(String(200), default="")  # model, rule name or user id
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)  # the words it came from
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationReading(Base):
    """What understanding last made of a conversation: intent, sentiment with its trend, summary."""

    __tablename__ = "conversation_readings"
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[str] = workspace_fk()
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    intent_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentiment: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sentiment_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentiment_cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The last few scores, oldest first: [{"score": -0.7, "label": "negative", "at": "..."}].
    sentiment_history: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    summary: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    summarized_messages: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# A turn caches these per workspace (core/cache.py): a change bumps the workspace's config_version.
track(Intent)
track(ContextSchema)
