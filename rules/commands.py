"""`frontdesk rules`: list the industry packs, install one into a workspace, list a workspace's rules, and
`frontdesk rules hours`: its time zone, opening hours and closures (rules.business_hours, as the API)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from core.cli import find_workspace, out, with_db

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db import Database


@click.group()
def rules() -> None:
    """The owner's rules: industry templates, installed ones, and what they do."""


@rules.command("templates")
@click.option("--json", "as_json", is_flag=True)
def rules_templates(as_json: bool) -> None:
    """List the industry rule packs (install one with `frontdesk rules install PACK --workspace SLUG`)."""
    from rules.templates import listing

    packs = listing()
    if as_json:
        out(packs)
        return
    for p in packs:
        click.echo(f"{p['key']:<12} {p['name']}: {p['description']}")
        for r in p["rules"]:
            click.echo(f"    - {r['name']}")


@rules.command("install")
@click.argument("pack")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
@click.option("--json", "as_json", is_flag=True)
def rules_install(pack: str, workspace_ref: str, as_json: bool) -> None:
    """Install a pack's rules (rules that already exist by name are kept as they are)."""
    from core.crypto import SecretBox
    from rules.templates import PACKS, install

    if pack not in PACKS:
        raise click.ClickException(f"no pack {pack!r}; one of: {', '.join(PACKS)}")

    async def go(settings: Any, _db: Database, s: AsyncSession) -> dict[str, Any]:
        ws = await find_workspace(s, workspace_ref)
        done = await install(s, workspace_id=ws.id, pack=pack, box=SecretBox(settings.key))
        return {"pack": pack, "workspace": ws.slug, **done.__dict__}

    data = with_db(go)
    if as_json:
        out(data)
        return
    click.echo(f"Installed {len(data['installed'])} rule(s) from {pack} in {data['workspace']}")
    for name in data["installed"]:
        click.echo(f"    + {name}")
    for name in data["skipped"]:
        click.echo(f"    = {name} (already there)")
    if data["business_hours_set"]:
        click.echo("    business hours set from the pack (change them with `frontdesk rules hours set`)")


@rules.command("list")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
@click.option("--json", "as_json", is_flag=True)
def rules_list(workspace_ref: str, as_json: bool) -> None:
    """A workspace's rules, first-run first, with how often each fired."""
    from rules.service import listing

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> list[dict[str, Any]]:
        ws = await find_workspace(s, workspace_ref)
        return [
            {
                "id": r.id,
                "name": r.name,
                "trigger": r.schedule or r.trigger,
                "priority": r.priority,
                "active": r.active,
                "fired": r.execution_count,
                "last_fired_at": r.last_fired_at,
            }
            for r in await listing(s, workspace_id=ws.id)
        ]

    rows = with_db(go)
    if as_json:
        out(rows)
        return
    for r in rows:
        state = "on " if r["active"] else "off"
        click.echo(f"{state} {r['priority']:>5}  {r['name']:<40} {r['trigger']:<24} fired {r['fired']}x")
    if not rows:
        click.echo("no rules yet: `frontdesk rules templates`")


@rules.group("hours")
def hours() -> None:
    """A workspace's time zone, weekly opening hours and closures (holidays)."""


def _hours_command(workspace_ref: str, change: Any, as_json: bool) -> None:
    """Run `change(ws)` (None: only show) on the workspace's hours, then show them."""
    from pydantic import ValidationError

    from rules import business_hours

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> dict[str, Any]:
        ws = await find_workspace(s, workspace_ref)
        if change is not None:
            try:
                return await change(s, ws)
            except ValidationError as exc:
                problems = business_hours.problems(exc)
                raise click.ClickException("; ".join(f"{k}: {v}" if k else v for k, v in problems.items())) from exc
            except business_hours.NoSuchClosure as exc:
                raise click.ClickException(str(exc)) from exc
        return business_hours.shown(ws)

    data = with_db(go)
    if as_json:
        out(data)
        return
    click.echo(f"{data['described']} ({data['timezone']})")
    for c in data["closures"]:
        days = c["start"] if not c.get("end") or c["end"] == c["start"] else f"{c['start']} to {c['end']}"
        spans = ", ".join(f"{a}-{b}" for a, b in c.get("hours") or []) or "closed"
        click.echo(f"  {days}: {spans}" + (f" ({c['label']})" if c.get("label") else ""))


WORKSPACE = click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
AS_JSON = click.option("--json", "as_json", is_flag=True)


@hours.command("show")
@WORKSPACE
@AS_JSON
def hours_show(workspace_ref: str, as_json: bool) -> None:
    """The time zone, the weekly hours in words, and the closures."""
    _hours_command(workspace_ref, None, as_json)


@hours.command("set")
@WORKSPACE
@click.option("--timezone", help="IANA name, e.g. Europe/Madrid.")
@click.option("--week", help='Weekly spans as JSON, e.g. \'{"tue": [["09:00", "13:00"], ["14:00", "18:00"]]}\'.')
@click.option("--always-open", is_flag=True, help="Forget the weekly hours and closures: always open.")
@AS_JSON
def hours_set(workspace_ref: str, timezone: str | None, week: str | None, always_open: bool, as_json: bool) -> None:
    """Set the time zone and/or the weekly hours (the closures are kept), as PUT .../business-hours does."""
    import json

    from rules import business_hours
    from rules.api.schemas import BusinessHoursUpdate

    try:
        spans = json.loads(week) if week is not None else None
    except ValueError as exc:
        raise click.ClickException(f"--week is not JSON: {exc}") from exc

    async def change(s: AsyncSession, ws: Any) -> dict[str, Any]:
        BusinessHoursUpdate(timezone=timezone)  # the API's check of the zone
        if always_open:
            return await business_hours.save(s, ws, timezone=timezone, set_hours=True)
        new = business_hours.with_week(ws, spans) if spans is not None else None
        return await business_hours.save(s, ws, timezone=timezone, business_hours=new, set_hours=new is not None)

    _hours_command(workspace_ref, change, as_json)


@hours.command("close")
@WORKSPACE
@click.argument("start")
@click.option("--until", "end", help="The last day closed (default: just START).")
@click.option("--label", help='What it is, e.g. "Christmas".')
@click.option("--open", "spans", multiple=True, help="Special hours that day instead, e.g. 10:00-14:00 (repeatable).")
@AS_JSON
def hours_close(
    workspace_ref: str, start: str, end: str | None, label: str | None, spans: tuple[str, ...], as_json: bool
) -> None:
    """Close on START (YYYY-MM-DD), or START to --until, or open only --open hours then."""
    from rules import business_hours
    from rules.hours import Closure

    async def change(s: AsyncSession, ws: Any) -> dict[str, Any]:
        given = {"start": start, "end": end, "label": label, "hours": [tuple(x.split("-", 1)) for x in spans]}
        closure = Closure.model_validate({k: v for k, v in given.items() if v})
        return await business_hours.save(s, ws, business_hours=business_hours.with_closure(ws, closure), set_hours=True)

    _hours_command(workspace_ref, change, as_json)


@hours.command("reopen")
@WORKSPACE
@click.argument("start")
@AS_JSON
def hours_reopen(workspace_ref: str, start: str, as_json: bool) -> None:
    """Remove the closure that starts on START (YYYY-MM-DD)."""
    from datetime import date

    from rules import business_hours

    try:
        day = date.fromisoformat(start)
    except ValueError as exc:
        raise click.ClickException(f"{start!r} is not a date like 2026-12-25") from exc

    async def change(s: AsyncSession, ws: Any) -> dict[str, Any]:
        return await business_hours.save(s, ws, business_hours=business_hours.without_closure(ws, day), set_hours=True)

    _hours_command(workspace_ref, change, as_json)


COMMANDS: list[click.Command] = [rules]
