"""The rule engine's tables: rules, their execution log, and rule jobs.

Rule jobs (outgoing webhooks, delayed follow-ups) are a leased queue with the inbox's and outbox's
columns (core.queue): a job is due when its `next_attempt_at` passes, is claimed by one worker, and
survives restarts, because it is a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.cache import track
from core.db import UTCDateTime
from core.messages import utcnow
from core.models import Base, Json, Queued, QueueId, Row, queue_indexes, workspace_fk


class Rule(Row, Base):
    __tablename__ = "rules"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    workspace_id: Mapped[str] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200))
    # Copied out of the spec so the scheduler can find its rules without reading every spec.
    trigger: Mapped[str] = mapped_column(String(32), index=True)
    schedule: Mapped[str | None] = mapped_column(String(32), nullable=True)
    spec: Mapped[dict[str, Any]] = mapped_column(Json)  # rules.schema.RuleSpec, as saved
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    execution_count: Mapped[int] = mapped_column(Integer, default=0)
    last_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RuleExecution(Base):
    """One evaluation of one rule: matched or not, why, what each action did, and how long it took.

    `occasion` makes a scheduled firing happen once: (rule, "draft:<id>") can be logged only once,
    however many scheduler ticks or workers see the same overdue draft.
    """

    __tablename__ = "rule_executions"
    __table_args__ = (UniqueConstraint("rule_id", "occasion"),)
    id: Mapped[int] = mapped_column(QueueId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = workspace_fk()
    rule_id: Mapped[str] = mapped_column(String(36), ForeignKey("rules.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True
    )
    trigger: Mapped[str] = mapped_column(String(32))
    occasion: Mapped[str | None] = mapped_column(String(200), nullable=True)
    matched: Mapped[bool] = mapped_column(Boolean)
    conditions: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # rules.conditions.explain
    actions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RuleJob(Queued, Base):
    """A webhook call or a follow-up step, due at `next_attempt_at`."""

    __tablename__ = "rule_jobs"
    __table_args__ = queue_indexes("rule_jobs", "running")
    kind: Mapped[str] = mapped_column(String(16))  # webhook | follow_up
    rule_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("rules.id", ondelete="CASCADE"), nullable=True)
    conversation_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=True
    )
    # A rule evaluation schedules each job once, even if its turn is retried.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)


# A turn caches these per workspace (core/cache.py): a change bumps the workspace's config_version.
track(Rule)
