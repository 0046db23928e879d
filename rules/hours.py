"""Business hours per workspace, in its timezone: "are we open now?" and "when do we open next?".

Stored on the workspace as {"mon": [["09:00", "18:00"]], ..., "closures": [...]}. Several spans on a
day are a day with breaks; a weekday left out, once any is named, is closed. A workspace without
weekly hours (no weekday named) is always open, so no after-hours rule fires until the owner says
when the business is open; its closures still apply.

A closure is a date or a range of dates (a holiday, "Christmas"), closed all day, or with special
hours on those dates instead of the weekday's: is_open and next_opening honour it, and so do the
rules (time.within_business_hours, the after-hours schedule) through them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from core.messages import utcnow

Clock = Callable[[], datetime]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]
Span = tuple[HHMM, HHMM]
MAX_SPANS = 6  # per day: five breaks is already a very broken day
MAX_CLOSURES = 100
MAX_CLOSURE_DAYS = 366
LOOK_AHEAD_DAYS = 400  # next_opening looks this far: past the longest closure


def system_clock() -> datetime:
    return utcnow()


def check_spans(spans: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each span opens before it closes, and no two overlap (a break is the gap between two)."""
    if len(spans) > MAX_SPANS:
        raise PydanticCustomError("spans", "at most {n} opening spans a day", {"n": MAX_SPANS})
    for start, end in spans:
        if start >= end:
            raise PydanticCustomError("spans", "{start}-{end} must open before it closes", {"start": start, "end": end})
    ordered = sorted(spans)
    for (s1, e1), (s2, e2) in pairwise(ordered):
        if s2 < e1:
            raise PydanticCustomError("spans", "{a} and {b} overlap", {"a": f"{s1}-{e1}", "b": f"{s2}-{e2}"})
    return ordered


class Closure(BaseModel):
    """Closed on a date or a range of dates (both included), or open only `hours` on them."""

    model_config = ConfigDict(extra="forbid")
    start: date
    end: date | None = Field(None, description="Last day closed; none: just `start`.")
    label: str | None = Field(None, max_length=100, description='e.g. "Christmas".')
    hours: list[Span] = Field([], description="Special hours on these dates; none: closed all day.")

    _spans = field_validator("hours")(check_spans)

    @model_validator(mode="after")
    def _forwards(self) -> Closure:
        if self.end is not None and self.end < self.start:
            raise PydanticCustomError("closure", "the last day ({end}) is before the first ({start})",
                                      {"end": str(self.end), "start": str(self.start)})  # fmt: skip
        if self.end is not None and (self.end - self.start).days >= MAX_CLOSURE_DAYS:
            raise PydanticCustomError("closure", "a closure lasts at most {n} days", {"n": MAX_CLOSURE_DAYS})
        if self.label is not None:
            self.label = self.label.strip() or None
        return self

    @property
    def last(self) -> date:
        return self.end or self.start

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.last


class BusinessHours(BaseModel):
    """Opening spans per weekday, e.g. {"tue": [["09:00", "18:00"]]}; a day left out is closed. A
    second span on a day is a break. Closures are dated exceptions (holidays, special hours)."""

    model_config = ConfigDict(extra="forbid")
    mon: list[Span] = []
    tue: list[Span] = []
    wed: list[Span] = []
    thu: list[Span] = []
    fri: list[Span] = []
    sat: list[Span] = []
    sun: list[Span] = []
    closures: list[Closure] = Field([], description="Holidays and other dated closures or special hours.")

    _spans = field_validator(*WEEKDAYS)(check_spans)

    @field_validator("closures")
    @classmethod
    def _few_closures(cls, closures: list[Closure]) -> list[Closure]:
        if len(closures) > MAX_CLOSURES:
            raise PydanticCustomError("closures", "at most {n} closures; remove past ones", {"n": MAX_CLOSURES})
        starts = [c.start for c in closures]
        for day in starts:
            if starts.count(day) > 1:
                raise PydanticCustomError("closures", "two closures start on {day}", {"day": str(day)})
        return sorted(closures, key=lambda c: c.start)


def weekly_set(hours: Mapping[str, Any] | None) -> bool:
    """Whether the owner has said when the business opens each week (a weekday named, even closed)."""
    return any(day in (hours or {}) for day in WEEKDAYS)


def closures(hours: Mapping[str, Any] | None) -> list[Closure]:
    return [Closure.model_validate(c) for c in (hours or {}).get("closures") or ()]


def zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(now: datetime, tz: str | None) -> datetime:
    return now.astimezone(zone(tz))


def spans_on(hours: Mapping[str, Any] | None, day: date, found: list[Closure] | None = None) -> list[tuple[str, str]]:
    """The day's opening spans: a closure's (none when closed all day), else its weekday's (none: a
    day left out is closed). Without weekly hours (no weekday named) every other day is open all day."""
    for closure in closures(hours) if found is None else found:
        if closure.covers(day):
            return list(closure.hours)
    if not weekly_set(hours):
        return [("00:00", "24:00")]
    return [(s[0], s[1]) for s in (hours or {}).get(WEEKDAYS[day.weekday()]) or ()]


def is_open(hours: dict[str, Any] | None, tz: str | None, now: datetime) -> bool:
    if not hours:
        return True
    at = local(now, tz)
    hm = at.strftime("%H:%M")
    return any(start <= hm < end for start, end in spans_on(hours, at.date()))


def next_opening(hours: dict[str, Any] | None, tz: str | None, now: datetime) -> str:
    """In words, for a reply: "today at 09:00", "tomorrow at 09:00", "on Tuesday at 09:00", and
    past a week "on Monday 5 January at 09:00"."""
    if not hours:
        return "soon"
    at = local(now, tz)
    found = closures(hours)
    for ahead in range(LOOK_AHEAD_DAYS):
        day = (at + timedelta(days=ahead)).date()
        for start, _end in sorted(spans_on(hours, day, found)):
            if ahead == 0 and start <= at.strftime("%H:%M"):
                continue
            if ahead == 0:
                when = "today"
            elif ahead == 1:
                when = "tomorrow"
            elif ahead < 7:
                when = f"on {DAY_NAMES[day.weekday()]}"
            else:
                when = f"on {DAY_NAMES[day.weekday()]} {day.day} {day.strftime('%B')}"
            return f"{when} at {start}"
    return "soon"


def describe(hours: dict[str, Any] | None) -> str:
    """In words, runs of days with the same hours together: "Tue-Sat 09:00-18:00"."""
    if not weekly_set(hours):
        return "always open"
    assert hours is not None
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
