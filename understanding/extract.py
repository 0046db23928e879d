"""Offline context extraction: the schema's fields found in a message by maintained parsers.

Phones with `phonenumbers` (valid numbers first; a number only "possible" when none is valid, since
number plans change faster than metadata), emails checked with `email-validator`, dates and times
with `dateparser` (future dates preferred, relative to the workspace's clock and timezone), enums by
their keywords, numbers next to their keywords, text by its pattern. Booleans and free text need the
LLM. Each value carries the words it came from, for the context history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dateparser
import phonenumbers
import regex
from dateparser.search import search_dates

from understanding.schema import PATTERN_TIMEOUT, FieldSpec, InvalidValue, SchemaSpec, coerce

MAX_CHARS = 4000  # parsers read the start of a longer message only
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_AT_HOUR = re.compile(r"^\s*(?:at\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\b", re.IGNORECASE)
# dateparser reads these as "the moment now"; a customer saying "call me now" has not booked now.
_NOT_DATES = frozenset({"now", "second", "a second", "sec", "min", "a min", "mon", "sun", "sat", "may", "march"})
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "a couple of": 2, "couple of": 2,
}  # fmt: skip
_AT_INSIDE = re.compile(r"\bat\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?=\s|$|[,.?!])", re.IGNORECASE)
_HOUR_BEFORE = re.compile(r"\bat\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)
_DURATIONS = ("minute", "min ", "mins", "hour", "hr", "sec")
MIN_PHONE_DIGITS = 7  # "my card ends 4242" is not a phone number
BUSINESS_PM_BELOW = 8  # "at 3" at a front desk is 15:00, not 03:00


@dataclass(frozen=True)
class Found:
    field: str
    value: Any
    evidence: str


def extract(
    text: str | None, schema: SchemaSpec, *, now: datetime, timezone: str, default_region: str | None = None
) -> list[Found]:
    if not text or not text.strip():
        return []
    text = text[:MAX_CHARS]
    found: list[Found] = []
    taken: list[tuple[int, int]] = []  # spans already read as a phone or email: not dates or numbers
    by_type: dict[str, list[FieldSpec]] = {}
    for spec in schema.fields:
        by_type.setdefault(spec.type, []).append(spec)
    for spec in by_type.get("email", []):
        for m in _EMAIL.finditer(text):
            value = _valid(spec, m.group(0), timezone)
            if value is not None:
                found.append(Found(spec.name, value, m.group(0)))
                taken.append(m.span())
                break
    for spec in by_type.get("phone", []):
        hit = _phone(text, spec.region or default_region, taken)
        if hit is not None:
            raw, span, value = hit
            found.append(Found(spec.name, value, raw))
            taken.append(span)
    if "datetime" in by_type:
        hit_at = _when(text, now=now, timezone=timezone, taken=taken)
        if hit_at is not None:
            raw, at = hit_at
            spec = by_type["datetime"][0]
            value = _valid(spec, at, timezone)
            if value is not None:
                found.append(Found(spec.name, value, raw))
    for spec in by_type.get("enum", []):
        hit_enum = _enum(text, spec)
        if hit_enum is not None:
            found.append(Found(spec.name, hit_enum[0], hit_enum[1]))
    for spec in by_type.get("number", []):
        hit_n = _number(text, spec, taken)
        if hit_n is not None:
            value = _valid(spec, hit_n[0], timezone)
            if value is not None:
                found.append(Found(spec.name, value, hit_n[1]))
    for spec in by_type.get("text", []):
        if spec.pattern is None:
            continue
        try:
            hit_text = regex.search(spec.pattern, text, timeout=PATTERN_TIMEOUT)
        except TimeoutError:
            hit_text = None
        if hit_text is not None and _valid(spec, hit_text.group(0), timezone) is not None:
            found.append(Found(spec.name, hit_text.group(0), hit_text.group(0)))
    return found


def _valid(spec: FieldSpec, value: Any, timezone: str, region: str | None = None) -> Any:
    try:
        return coerce(spec, value, timezone=timezone, region=region)
    except InvalidValue:
        return None


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def _phone(text: str, region: str | None, taken: list[tuple[int, int]]) -> tuple[str, tuple[int, int], str] | None:
    for leniency in (phonenumbers.Leniency.VALID, phonenumbers.Leniency.POSSIBLE):
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=leniency):
            span = (m.start, m.end)
            if _overlaps(span, taken) or len(str(m.number.national_number)) < MIN_PHONE_DIGITS:
                continue
            return m.raw_string, span, phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _when(text: str, *, now: datetime, timezone: str, taken: list[tuple[int, int]]) -> tuple[str, datetime] | None:
    local_now = now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": local_now, "RETURN_AS_TIMEZONE_AWARE": False}
    try:
        hits = search_dates(text, languages=["en"], settings=settings) or []
    except Exception:
        return None
    cursor = 0
    for raw, at in hits:
        start = text.find(raw, cursor)
        cursor = max(cursor, start + len(raw)) if start >= 0 else cursor
        words = raw.strip().lower()
        if words in _NOT_DATES or not any(ch.isalpha() or ch in ":/" for ch in raw):
            continue
        if " " not in words and words.isalpha() and len(words) <= 3:  # "we", "wed", "sun": not dates alone
            continue
        if start >= 0 and _overlaps((start, start + len(raw)), taken):
            continue
        if any(unit in words for unit in _DURATIONS):
            continue  # "10 minutes late" is a delay, not an appointment
        at = _day_then_hour(raw, at, settings)
        if at.time() == local_now.time() and _AT_INSIDE.search(raw) is None:
            at = at.replace(hour=0, minute=0)  # "tomorrow" carries the clock's time: no time was said
        if start >= 0 and at.hour == 0 and at.minute == 0:
            at, raw = _hour_after(text, start + len(raw), at, raw)
        if start >= 0 and at.hour == 0 and at.minute == 0:
            at, raw = _hour_before(text, start, at, raw)
        return raw, at.replace(tzinfo=ZoneInfo(timezone))
    return None


def _day_then_hour(raw: str, at: datetime, settings: dict[str, Any]) -> datetime:
    """dateparser misreads "Sunday at 10" (October) and drops the hour of "tomorrow at 12": read the
    day without the "at <hour>", then put the hour on it."""
    m = _AT_INSIDE.search(raw)
    if m is None:
        return at
    rest = (raw[: m.start()] + " " + raw[m.end() :]).strip()
    if not rest:
        return at
    day = dateparser.parse(rest, languages=["en"], settings=settings)
    if day is None:
        return at
    half = (m.group(3) or "").lower().replace(".", "")
    return _with_hour(day.replace(hour=0, minute=0), int(m.group(1)), int(m.group(2) or 0), half, raw, "")[0]


def _hour_before(text: str, start: int, at: datetime, raw: str) -> tuple[datetime, str]:
    """ "at 3 tomorrow": the hour comes first."""
    m = _HOUR_BEFORE.search(text[:start])
    if m is None:
        return at, raw
    return _with_hour(
        at,
        int(m.group(1)),
        int(m.group(2) or 0),
        (m.group(3) or "").lower().replace(".", ""),
        raw,
        m.group(0).strip(),
        before=True,
    )


def _with_hour(
    at: datetime, hour: int, minute: int, half: str, raw: str, said: str, *, before: bool = False
) -> tuple[datetime, str]:
    if hour > 23 or minute > 59:
        return at, raw
    if half == "pm" and hour < 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    elif not half and hour < BUSINESS_PM_BELOW:
        hour += 12
    return at.replace(hour=hour, minute=minute), (f"{said} {raw}" if before else raw + said)


def _hour_after(text: str, end: int, at: datetime, raw: str) -> tuple[datetime, str]:
    """dateparser reads "next Tuesday at 3" as next Tuesday, midnight: take the hour that follows."""
    m = _AT_HOUR.match(text[end:])
    if m is None or (not m.group(0).strip().lower().startswith("at") and m.group(3) is None):
        return at, raw
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower().replace(".", "")
    return _with_hour(at, hour, minute, half, raw, m.group(0).rstrip())


def _enum(text: str, spec: FieldSpec) -> tuple[str, str] | None:
    best: tuple[int, str, str] | None = None
    for option, keywords in spec.options.items():
        for word in {option, *keywords}:
            m = re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)
            if m is not None and (best is None or m.start() < best[0]):
                best = (m.start(), option, m.group(0))
    return (best[1], best[2]) if best else None


def _number(text: str, spec: FieldSpec, taken: list[tuple[int, int]]) -> tuple[float, str] | None:
    if not spec.keywords:
        return None
    words = "|".join(re.escape(k) for k in sorted(spec.keywords, key=len, reverse=True))
    amount = r"\d+(?:\.\d+)?|" + "|".join(re.escape(w) for w in sorted(_NUMBER_WORDS, key=len, reverse=True))
    pattern = re.compile(rf"\b({amount})\s+(?:[a-z]+\s+){{0,2}}?(?:{words})\b", re.IGNORECASE)
    for m in pattern.finditer(text):
        if _overlaps(m.span(1), taken):
            continue
        raw = m.group(1).lower()
        return (float(_NUMBER_WORDS.get(raw, 0) or raw), m.group(0))
    return None
