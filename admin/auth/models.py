"""The sign-in throttle's table: failed attempts per email and per client address.

It lives in the database, not in memory, so several web processes count the same attempts. Keys
are hashes: the table keeps no list of the emails and addresses people typed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime
from core.models import Base


class LoginThrottle(Base):
    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # "email:<sha256>" or "address:<sha256>"
    failures: Mapped[int] = mapped_column(Integer, default=0)  # attempts not (yet) proven right, this window
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Past this the row means nothing (window over, no lock): it is reset or pruned.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
