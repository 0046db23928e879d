"""`frontdesk rules`: list the industry packs, install one into a workspace, list a workspace's rules."""

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
        click.echo("    business hours set from the pack (change them with PUT .../business-hours)")


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


COMMANDS: list[click.Command] = [rules]
