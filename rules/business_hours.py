"""Setting a workspace's time zone, weekly hours and closures: the one entry point the API
(`PUT /context/workspaces/{id}/business-hours`), the CLI (`frontdesk rules hours`, `set-hours`,
`close`, `reopen`) and the Business page call. Validation is rules.hours.BusinessHours's, whoever asks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Workspace
from rules import hours
from rules.hours import BusinessHours, Closure


class NoSuchClosure(LookupError):
    pass


def shown(ws: Workspace) -> dict[str, Any]:
    """What the API, the CLI and the page show: the stored hours, and in words."""
    return {
        "timezone": ws.timezone,
        "business_hours": ws.business_hours,
        "described": hours.describe(ws.business_hours),
        "closures": [c.model_dump(mode="json") for c in hours.closures(ws.business_hours)],
    }


async def save(
    s: AsyncSession,
    ws: Workspace,
    *,
    timezone: str | None = None,
    business_hours: BusinessHours | None = None,
    set_hours: bool = False,
) -> dict[str, Any]:
    """Set the time zone (when given) and the hours (when `set_hours`; None: always open)."""
    if timezone is not None:
        ws.timezone = timezone
    if set_hours:
        ws.business_hours = (
            business_hours.model_dump(mode="json", exclude_unset=True) if business_hours is not None else None
        )
    await s.flush()
    return shown(ws)


def current(ws: Workspace) -> BusinessHours:
    """The stored hours as the model, with only what is stored set (so saving it back adds nothing)."""
    return BusinessHours.model_validate(ws.business_hours or {})


def with_week(ws: Workspace, week: dict[str, list[tuple[str, str]]]) -> BusinessHours:
    """The weekly spans replaced (every weekday named), the closures kept. Raises pydantic's
    ValidationError, as the API's body would."""
    kept = (ws.business_hours or {}).get("closures")
    return BusinessHours.model_validate({**week, **({"closures": kept} if kept else {})})


def with_closure(ws: Workspace, closure: Closure) -> BusinessHours:
    """One more closure, the week kept (ValidationError: too many, or one already starts that day)."""
    stored = dict(ws.business_hours or {})
    added = [*stored.get("closures", ()), closure.model_dump(mode="json", exclude_unset=True)]
    return BusinessHours.model_validate({**stored, "closures": added})


def without_closure(ws: Workspace, start: date) -> BusinessHours:
    stored = dict(ws.business_hours or {})
    kept = [c for c in stored.get("closures", ()) if c.get("start") != start.isoformat()]
    if len(kept) == len(stored.get("closures", ())):
        raise NoSuchClosure(f"no closure starts on {start}")
    return BusinessHours.model_validate({**stored, "closures": kept})


def problems(exc: ValidationError) -> dict[str, str]:
    """The first error of each field ("mon", "closures", "start"; "" for the whole), as the API words it."""
    found: dict[str, str] = {}
    for e in exc.errors():
        where = str(e["loc"][0]) if e["loc"] else ""
        found.setdefault(where, str(e["msg"]).removeprefix("Value error, "))
    return found


async def load(s: AsyncSession, workspace_id: str) -> Workspace:
    """The caller's own workspace (pages pass the session's)."""
    ws = await s.get(Workspace, workspace_id)
    if ws is None:
        raise LookupError("workspace")
    return ws
