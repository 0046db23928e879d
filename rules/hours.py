"""Business hours per workspace, in its timezone: "are we open now?" and "when do we open next?".

Stored on the workspace as {"mon": [["09:00", "18:00"]], ...}. A workspace without hours is
always open, so no after-hours rule fires until the owner says when the business is open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from core.messages import utcnow

Clock = Callable[[], datetime]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]


def system_clock() -> datetime:
    return utcnow()


class BusinessHours(BaseModel):
    """Opening spans per weekday, e.g. {"tue": [["09:00", "18:00"]]}; a day left out is closed."""

    model_config = ConfigDict(extra="forbid")
    mon: list[tuple[HHMM, HHMM]] = []
    tue: list[tuple[HHMM, HHMM]] = []
    wed: list[tuple[HHMM, HHMM]] = []
    thu: list[tuple[HHMM, HHMM]] = []
    fri: list[tuple[HHMM, HHMM]] = []
    sat: list[tuple[HHMM, HHMM]] = []
    sun: list[tuple[HHMM, HHMM]] = []

    @model_validator(mode="after")
    def _spans_run_forwards(self) -> BusinessHours:
        for day in WEEKDAYS:
            for start, end in getattr(self, day):
                if start >= end:
                    raise ValueError(f"{day}: {start}-{end} must open before it closes")
        return self


def zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(now: datetime, tz: str | None) -> datetime:
    return now.astimezone(zone(tz))


def is_open(hours: dict[str, Any] | None, tz: str | None, now: datetime) -> bool:
    if not hours:
        return True
    at = local(now, tz)
    hm = at.strftime("%H:%M")
    return any(start <= hm < end for start, end in hours.get(WEEKDAYS[at.weekday()], ()))


def next_opening(hours: dict[str, Any] | None, tz: str | None, now: datetime) -> str:
    """In words, for a reply: "today at 09:00", "tomorrow at 09:00", "on Tuesday at 09:00"."""
    if not hours:
        return "soon"
    at = local(now, tz)
    for ahead in range(8):
        day = at + timedelta(days=ahead)
        for start, _end in sorted(hours.get(WEEKDAYS[day.weekday()], ())):
            if ahead == 0 and start <= at.strftime("%H:%M"):
                continue
            when = "today" if ahead == 0 else "tomorrow" if ahead == 1 else f"on {DAY_NAMES[day.weekday()]}"
            return f"{when} at {start}"
    return "soon"


def describe(hours: dict[str, Any] | None) -> str:
    """In words, runs of days with the same hours together: "Tue-Sat 09:00-18:00"."""
    if not hours:
        return "always open"
    runs: list[tuple[int, int, str]] = []
    for i, day in enumerate(WEEKDAYS):
        spans = ", ".join(f"{s}-{e}" for s, e in hours.get(day) or [])
        if not spans:
            continue
        if runs and runs[-1][1] == i - 1 and runs[-1][2] == spans:
            runs[-1] = (runs[-1][0], i, spans)
        else:
            runs.append((i, i, spans))
    parts = [
        (DAY_NAMES[a][:3] if a == b else f"{DAY_NAMES[a][:3]}-{DAY_NAMES[b][:3]}") + f" {spans}" for a, b, spans in runs
    ]
    return "; ".join(parts) or "closed"
