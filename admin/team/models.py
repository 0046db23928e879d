"""Invitations to a workspace: who was asked, with which role, and the hash of their one-time link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime
from core.models import Base, Row, workspace_fk


class Invitation(Row, Base):
    """One person asked to join a workspace. Only the SHA-256 of the link's token is kept: the link
    is shown once, to the one who invited them. Used (accepted), withdrawn (revoked) or past
    `expires_at`, it opens nothing; the row stays so the invitee is told which it was."""

    __tablename__ = "invitations"
    workspace_id: Mapped[str] = workspace_fk()
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))  # admin.roles.Role
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
