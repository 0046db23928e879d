"""The audit log: one row per staff action, with who did it, through which face, and the state of
the thing before and after. Rows belong to a workspace (and go with it); the actor's user id is
kept as written, so a row still says who acted after that user is gone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime
from core.messages import utcnow
from core.models import Base, Json, QueueId


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_workspace_created", "workspace_id", "created_at"),
        Index("ix_audit_log_workspace_actor", "workspace_id", "actor_user_id"),
        Index("ix_audit_log_workspace_object", "workspace_id", "object_type", "object_id"),
        Index("ix_audit_log_workspace_action", "workspace_id", "action"),
    )
    id: Mapped[int] = mapped_column(QueueId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(36), ForeignKey("workspaces.id", ondelete="CASCADE"))
    actor_user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    actor_label: Mapped[str] = mapped_column(String(200), default="")  # an API token's prefix, "cli", a Slack user
    face: Mapped[str] = mapped_column(String(8))  # api | cli | slack | web
    action: Mapped[str] = mapped_column(String(64))  # "draft.reject", "conversation.status", ...
    object_type: Mapped[str] = mapped_column(String(32))  # draft | conversation | inbox
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
