"""/settings/business (owners): the business's name and time zone, its weekly opening hours (a second
span on a day is a break) and its holidays and closures. Each section saves alone, through the
service the API and the CLI call (admin.workspaces.service.update, rules.business_hours), and its
errors are the API's own words, shown beside the field at fault."""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any

import phonenumbers
from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.web.pages import page_router, render, see_other
from admin.web.routes import fields
from admin.web.session import CurrentAdmin
from admin.workspaces import service as workspaces
from admin.workspaces.schemas import WorkspaceUpdate
from core.messages import utcnow
from core.web import Db
from rules import business_hours, hours
from rules.hours import DAY_NAMES, MAX_SPANS, WEEKDAYS, Closure

router = page_router()
PAGE = "/settings/business"


def zone_groups() -> list[tuple[str, list[str]]]:
    """Every IANA zone the server knows, grouped by region ("Europe", "America", …)."""
    groups: dict[str, list[str]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            groups.setdefault(name.split("/", 1)[0], []).append(name)
    return [("UTC", ["UTC"]), *sorted(groups.items())]


def phone_regions() -> list[tuple[str, str]]:
    """The regions the phone reader knows (ISO codes), with their calling code: ("GB", "GB (+44)")."""
    return [(r, f"{r} (+{phonenumbers.country_code_for_region(r)})") for r in sorted(phonenumbers.SUPPORTED_REGIONS)]


def week_shown(stored: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Per weekday: open or not, and its spans with one empty slot more (to add a break)."""
    week = {}
    for day in WEEKDAYS:
        spans = [list(s) for s in (stored or {}).get(day) or []]
        week[day] = {"open": bool(spans), "spans": ([*spans, ["", ""]])[:MAX_SPANS]}
    return week


async def _page(request: Request, db: Db, me: CurrentAdmin, *, status: int = 200, **context: Any) -> Response:
    async with db.reader() as s:
        ws = await business_hours.load(s, me.workspace_id)
    shown: dict[str, Any] = {
        "notice": None,
        "errors": {},
        "name": ws.name,
        "timezone": ws.timezone,
        "phone_region": ws.phone_region or "",
        "week": week_shown(ws.business_hours),
        "closure": {},
        **context,
    }
    return render(
        request,
        "rules/business.html",
        status=status,
        zones=zone_groups(),
        regions=phone_regions(),
        server_region=request.app.state.runtime.settings.understanding_phone_region,
        local_now=hours.local(utcnow(), ws.timezone).strftime("%H:%M"),
        days=list(zip(WEEKDAYS, DAY_NAMES, strict=True)),
        described=hours.describe(ws.business_hours),
        closures=hours.closures(ws.business_hours),
        hours_set=hours.weekly_set(ws.business_hours),
        **shown,
    )


@router.get(PAGE)
async def business(request: Request, db: Db, me: CurrentAdmin) -> Response:
    saved = request.query_params.get("saved")
    return await _page(request, db, me, notice=f"Saved: {saved}." if saved in SECTIONS else None)


SECTIONS = ("name and time zone", "opening hours", "closures")


@router.post(PAGE + "/workspace")
async def save_workspace(request: Request, db: Db, me: CurrentAdmin) -> Response:
    """The name, the time zone and the phone region, as PATCH /workspaces/{id} takes them."""
    form = await fields(request, "name", "timezone", "phone_region")
    try:
        body = WorkspaceUpdate.model_validate({**form, "phone_region": form["phone_region"] or None})
    except ValidationError as exc:
        errors = business_hours.problems(exc)
        return await _page(request, db, me, status=422, errors=errors, **form)
    async with db.session() as s:
        await workspaces.update(s, workspace=await business_hours.load(s, me.workspace_id), changes=body.changes())
    return see_other(f"{PAGE}?saved=name and time zone")


def week_from(form: dict[str, str]) -> tuple[dict[str, list[tuple[str, str]]], dict[str, str]]:
    """The weekly spans the form gives (a closing time of 00:00 is midnight), and what is missing."""
    week: dict[str, list[tuple[str, str]]] = {}
    missing = {}
    for day in WEEKDAYS:
        spans = []
        for i in range(MAX_SPANS):
            start, end = form[f"{day}-start-{i}"].strip(), form[f"{day}-end-{i}"].strip()
            if start or end:
                if not (start and end):
                    missing[day] = "enter both the opening and the closing time"
                spans.append((start, "24:00" if end == "00:00" else end))
        if form[f"{day}-open"] and not spans:
            missing[day] = "an open day needs its opening and closing times"
        week[day] = spans if form[f"{day}-open"] else []
    return week, missing


@router.post(PAGE + "/hours")
async def save_hours(request: Request, db: Db, me: CurrentAdmin) -> Response:
    """The weekly hours, as PUT .../business-hours takes them; the closures are kept."""
    names = [f"{d}-{k}-{i}" for d in WEEKDAYS for k in ("start", "end") for i in range(MAX_SPANS)]
    form = await fields(request, *names, *(f"{d}-open" for d in WEEKDAYS))
    week, errors = week_from(form)
    async with db.session() as s:
        ws = await business_hours.load(s, me.workspace_id)
        if not errors:
            try:
                new = business_hours.with_week(ws, week)
            except ValidationError as exc:
                errors = business_hours.problems(exc)
            else:
                await business_hours.save(s, ws, business_hours=new, set_hours=True)
                return see_other(f"{PAGE}?saved=opening hours")
    submitted: dict[str, dict[str, Any]] = {}
    for day in WEEKDAYS:  # the filled slots and one empty one, as the form had them
        typed = [[form[f"{day}-start-{i}"], form[f"{day}-end-{i}"]] for i in range(MAX_SPANS)]
        filled = [span for span in typed if any(span)]
        submitted[day] = {"open": bool(form[f"{day}-open"]), "spans": [*filled, ["", ""]][:MAX_SPANS]}
    return await _page(request, db, me, status=422, errors=errors, week=submitted)


@router.post(PAGE + "/closures")
async def add_closure(request: Request, db: Db, me: CurrentAdmin) -> Response:
    """A holiday or closure: a day or a range, closed or with special hours."""
    form = await fields(request, "start", "end", "label", "opens", "closes")
    given: dict[str, Any] = {k: form[k].strip() for k in ("start", "end", "label") if form[k].strip()}
    if form["opens"] or form["closes"]:
        given["hours"] = [(form["opens"], "24:00" if form["closes"] == "00:00" else form["closes"])]
    try:
        closure = Closure.model_validate(given)
        async with db.session() as s:
            ws = await business_hours.load(s, me.workspace_id)
            await business_hours.save(s, ws, business_hours=business_hours.with_closure(ws, closure), set_hours=True)
    except ValidationError as exc:
        errors = {f"closure-{k or 'start'}": v for k, v in business_hours.problems(exc).items()}
        return await _page(request, db, me, status=422, errors=errors, closure=form)
    return see_other(f"{PAGE}?saved=closures")


@router.post(PAGE + "/closures/remove")
async def remove_closure(request: Request, db: Db, me: CurrentAdmin) -> Response:
    start = (await fields(request, "start"))["start"]
    try:
        day = date.fromisoformat(start)
        async with db.session() as s:
            ws = await business_hours.load(s, me.workspace_id)
            await business_hours.save(s, ws, business_hours=business_hours.without_closure(ws, day), set_hours=True)
    except (ValueError, business_hours.NoSuchClosure):
        return await _page(request, db, me, status=404, errors={"closures": f"No closure starts on {start[:20]!r}."})
    return see_other(f"{PAGE}?saved=closures")
