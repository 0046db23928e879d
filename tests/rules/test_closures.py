"""Holidays and closures: a closed date makes the business closed (so the after-hours rules fire),
special hours replace the weekday's, "next opening" looks past them, and the API refuses bad ones."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from bot.runtime import Runtime
from rules.hours import describe, is_open, next_opening
from tests.rules.conftest import SALON_HOURS
from tests.rules.test_api import API, owner

CHRISTMAS = {"start": "2026-12-24", "end": "2026-12-26", "label": "Christmas"}
# Thursday 24 December 2026, 10:00 in Madrid (09:00 UTC): a Thursday the salon is normally open.
CHRISTMAS_EVE_MORNING = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)


def test_a_closure_closes_the_days_it_covers_and_next_opening_looks_past_it() -> None:
    hours = {**SALON_HOURS, "closures": [CHRISTMAS]}
    assert is_open(SALON_HOURS, "Europe/Madrid", CHRISTMAS_EVE_MORNING)
    assert not is_open(hours, "Europe/Madrid", CHRISTMAS_EVE_MORNING)
    assert next_opening(hours, "Europe/Madrid", CHRISTMAS_EVE_MORNING) == "on Tuesday at 09:00"  # Sun, Mon closed
    assert describe(hours) == "Tue-Sat 09:00-18:00"


def test_special_hours_replace_the_weekdays_and_a_week_without_hours_stays_open() -> None:
    short_day = {**SALON_HOURS, "closures": [{"start": "2026-12-24", "hours": [["09:00", "10:00"]]}]}
    assert not is_open(short_day, "Europe/Madrid", CHRISTMAS_EVE_MORNING)  # 10:00: the short day has closed
    assert is_open(short_day, "Europe/Madrid", datetime(2026, 12, 24, 8, 30, tzinfo=UTC))
    assert next_opening(short_day, "Europe/Madrid", CHRISTMAS_EVE_MORNING) == "tomorrow at 09:00"
    only_holiday = {"closures": [CHRISTMAS]}  # no weekly hours said: open every other day
    assert is_open(only_holiday, "Europe/Madrid", datetime(2026, 12, 23, 3, 0, tzinfo=UTC))
    assert not is_open(only_holiday, "Europe/Madrid", CHRISTMAS_EVE_MORNING)
    assert next_opening(only_holiday, "Europe/Madrid", CHRISTMAS_EVE_MORNING) == "on Sunday at 00:00"
    long_closure = {**SALON_HOURS, "closures": [{"start": "2026-08-01", "end": "2026-08-31", "label": "Summer"}]}
    assert next_opening(long_closure, "UTC", datetime(2026, 8, 3, 12, tzinfo=UTC)) == "on Tuesday 1 September at 09:00"


async def test_the_api_saves_closures_and_the_rules_see_them(client: httpx.AsyncClient, runtime: Runtime) -> None:
    ws, headers = await owner(runtime)
    url = f"{API}/context/workspaces/{ws}/business-hours"
    body = {"timezone": "Europe/Madrid", "business_hours": {**SALON_HOURS, "closures": [CHRISTMAS]}}
    r = await client.put(url, json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["closures"] == [{"start": "2026-12-24", "end": "2026-12-26", "label": "Christmas", "hours": []}]
    got = (await client.get(url, headers=headers)).json()
    assert got["described"] == "Tue-Sat 09:00-18:00" and got["closures"][0]["label"] == "Christmas"
    rule = {
        "name": "after-hours reply",
        "trigger": {"type": "message_received"},
        "conditions": {"variable": "time.within_business_hours", "operator": "is_false"},
        "actions": [{"type": "reply", "template": "We're closed; we open {{ next_opening }}."}],
    }
    trial = {"rule": rule, "message": {"text": "hello"}, "at": "2026-12-24T10:00:00+01:00"}
    r = await client.post(f"{API}/rules/test", json=trial, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["matched"] is True and r.json()["facts"] == {"time.within_business_hours": False}
    assert r.json()["actions"][0]["detail"] == "would reply: We're closed; we open on Tuesday at 09:00."

    other_ws, other = await owner(runtime, "Other Shop")
    assert (await client.get(url, headers=other)).status_code == 404
    assert (await client.put(url, json=body, headers=other)).status_code == 404
    assert (await client.get(f"{API}/context/workspaces/{other_ws}/business-hours", headers=other)).json()[
        "closures"
    ] == []


async def test_the_api_refuses_closures_and_spans_that_make_no_sense(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    ws, headers = await owner(runtime)
    url = f"{API}/context/workspaces/{ws}/business-hours"

    async def refused(hours: dict[str, object]) -> str:
        r = await client.put(url, json={"business_hours": hours}, headers=headers)
        assert r.status_code == 422, r.text
        return " ".join(e["msg"] for e in r.json()["detail"])

    assert "the last day (2026-12-20) is before the first (2026-12-24)" in await refused(
        {"closures": [{"start": "2026-12-24", "end": "2026-12-20"}]}
    )
    assert "at most 366 days" in await refused({"closures": [{"start": "2026-01-01", "end": "2027-06-01"}]})
    assert "two closures start on 2026-12-24" in await refused({"closures": [CHRISTMAS, {"start": "2026-12-24"}]})
    many = [{"start": f"2027-{m:02}-{d:02}"} for m in range(1, 13) for d in range(1, 10)]
    assert "at most 100 closures" in await refused({"closures": many})
    assert "09:00-13:00 and 12:00-18:00 overlap" in await refused({"mon": [["09:00", "13:00"], ["12:00", "18:00"]]})
    assert "14:00-13:00 must open before it closes" in await refused({"tue": [["14:00", "13:00"]]})
    r = await client.put(url, json={"timezone": "Mars/Olympus"}, headers=headers)
    assert r.status_code == 422 and "is not an IANA time zone" in r.text
    assert (await client.get(url, headers=headers)).json()["business_hours"] is None  # nothing was saved
