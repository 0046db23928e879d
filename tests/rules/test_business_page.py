"""/settings/business: an owner names the business, picks its time zone, sets the week's hours with
a break and adds a holiday; each section saves alone, and a wrong one says what is wrong beside it,
in the API's words."""

from __future__ import annotations

import httpx

from bot.runtime import Runtime
from core.models import Workspace
from tests.admin.test_web_team import _add_staff, _workspace_of
from tests.admin.web_pages import Visitor

PAGE = "/settings/business"


def week(**days: list[tuple[str, str]]) -> dict[str, str]:
    form = {}
    for day, spans in days.items():
        form[f"{day}-open"] = "on"
        for i, (start, end) in enumerate(spans):
            form[f"{day}-start-{i}"], form[f"{day}-end-{i}"] = start, end
    return form


async def test_an_owner_sets_hours_with_a_break_and_a_holiday(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    ws = await _workspace_of(web, owner)
    page = await web.get(PAGE)
    assert page.status_code == 200 and "Not set yet" in page.text and 'value="Europe/Madrid"' in page.text

    r = await owner.submit(
        PAGE, f"{PAGE}/workspace", {"name": "Bella's Salon & Spa", "timezone": "Europe/Madrid", "phone_region": "ES"}
    )
    assert r.status_code == 303
    hours = week(tue=[("09:00", "13:00"), ("14:00", "18:00")], sat=[("10:00", "00:00")])
    assert (await owner.submit(PAGE, f"{PAGE}/hours", hours)).status_code == 303
    r = await owner.submit(PAGE, f"{PAGE}/closures", {"start": "2026-12-24", "end": "2026-12-26", "label": "Christmas"})
    assert r.status_code == 303
    page = await web.get(r.headers["location"])
    assert "Saved: closures." in page.text
    assert "Now: Tue 09:00-13:00, 14:00-18:00; Sat 10:00-24:00." in page.text
    assert "<strong>Christmas</strong>" in page.text and "2026-12-24 to 2026-12-26" in page.text

    # Stored as the API and the CLI store it: one store, one service.
    async with runtime.db.reader() as s:
        row = await s.get(Workspace, ws)
        assert row is not None
        assert (row.name, row.timezone, row.phone_region) == ("Bella's Salon & Spa", "Europe/Madrid", "ES")
        assert row.business_hours == {
            "mon": [], "tue": [["09:00", "13:00"], ["14:00", "18:00"]], "wed": [], "thu": [], "fri": [],
            "sat": [["10:00", "24:00"]], "sun": [],
            "closures": [{"start": "2026-12-24", "end": "2026-12-26", "label": "Christmas"}],
        }  # fmt: skip

    # Saving the week again keeps the closures; removing the closure keeps the week.
    assert (await owner.submit(PAGE, f"{PAGE}/hours", week(wed=[("09:00", "17:00")]))).status_code == 303
    page = await web.get(PAGE)
    assert "Now: Wed 09:00-17:00." in page.text and "<strong>Christmas</strong>" in page.text
    assert (await owner.submit(PAGE, f"{PAGE}/closures/remove", {"start": "2026-12-24"})).status_code == 303
    page = await web.get(PAGE)
    assert "No holidays or closures." in page.text and "Now: Wed 09:00-17:00." in page.text


async def test_wrong_input_is_refused_beside_its_field_with_the_apis_words(web: httpx.AsyncClient) -> None:
    owner = Visitor(web)
    await owner.register()
    r = await owner.submit(
        PAGE, f"{PAGE}/hours", week(mon=[("09:00", "13:00"), ("12:00", "18:00")], fri=[("18:00", "09:00")])
    )
    assert r.status_code == 422
    assert 'id="mon-help" class="field-error" role="alert">Monday: 09:00-13:00 and 12:00-18:00 overlap<' in r.text
    assert 'id="fri-help" class="field-error" role="alert">Friday: 18:00-09:00 must open before it closes<' in r.text
    assert 'value="12:00"' in r.text  # what they typed is still there to correct
    r = await owner.submit(PAGE, f"{PAGE}/hours", week(thu=[("09:00", "")]))
    assert r.status_code == 422 and "Thursday: enter both the opening and the closing time" in r.text
    r = await owner.submit(PAGE, f"{PAGE}/workspace", {"name": "x", "timezone": "UTC", "phone_region": "XX"})
    assert r.status_code == 422
    assert 'id="phone_region-help" class="field-error">&#39;XX&#39; is not a phone region' in r.text
    r = await owner.submit(PAGE, f"{PAGE}/workspace", {"name": "", "timezone": "Mars/Olympus"})
    assert r.status_code == 422 and "is not an IANA time zone (e.g. Europe/Berlin)" in r.text.replace("&#39;", "'")
    r = await owner.submit(PAGE, f"{PAGE}/closures", {"start": "2026-12-24", "end": "2026-12-20"})
    assert r.status_code == 422 and "the last day (2026-12-20) is before the first (2026-12-24)" in r.text
    r = await owner.submit(PAGE, f"{PAGE}/closures", {"start": "not a day"})
    assert r.status_code == 422 and 'id="closure-start-help" class="field-error"' in r.text
    r = await owner.submit(PAGE, f"{PAGE}/closures/remove", {"start": "2026-01-01"})
    assert r.status_code == 404 and "No closure starts on" in r.text
    assert "Not set yet" in (await web.get(PAGE)).text  # nothing wrong was saved


async def test_staff_cannot_open_the_business_page(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    sam = await _add_staff(web, runtime, await _workspace_of(web, owner))
    await owner.sign_out()
    staff = Visitor(web, email=sam["email"])
    await staff.sign_in()
    assert (await web.get(PAGE)).status_code == 403
    assert "/settings/business" not in (await web.get("/inbox")).text
