"""`frontdesk demo`: the demo workspace "Bella's Salon", seeded with rules, a context schema, an FAQ
and an owner who signs in to the web admin, and how to try it.

The walkthrough must work at any hour: the salon keeps its hours (in this machine's time zone), but
its after-hours reply starts switched off, so every question the FAQ cannot answer waits for staff.
The demo prints the dry run that shows the reply firing at night, and how to switch it on."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.commands import describe_workspace
from bot.settings import Settings
from core.cli import cli_path, out, with_database, with_db
from core.db import Database
from core.models import Assistant, Workspace

DEMO_NAME = "Bella's Salon"
DEMO_OWNER = "owner@bellas-salon.example"
DEMO_COMPLAINT = "hi I'm furious, my booking for tomorrow 3pm was cancelled, call me on 07700 900123"
DEMO_INSTRUCTIONS = (
    "You are the friendly front desk of Bella's Salon, a hair and beauty salon. Help "
    "customers with opening hours, services, prices and bookings."
)
AFTER_HOURS = "after-hours reply"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print ids, URLs, the token and commands as JSON.")
@click.option(
    "--env",
    "as_env",
    is_flag=True,
    help='Print `export API=… WS=… TOKEN=…` for the README\'s examples: eval "$(frontdesk demo --env)".',
)
def demo(as_json: bool, as_env: bool) -> None:
    """Create the demo workspace "Bella's Salon" (once) and print how to try it."""
    data = with_db(_set_up)
    workspace_id = data["workspace"]["id"]
    data["knowledge_base"] = with_database(lambda s, db: _seed_faq(s, db, workspace_id))
    data["admin"] = with_database(lambda s, db: _add_owner(s, db, workspace_id, data["reset_command"]))
    if as_json:
        out(data)
    elif as_env:
        _print_env(data)
    else:
        _print_welcome(data)


async def _set_up(settings: Settings, _db: Database, s: AsyncSession) -> dict[str, Any]:
    from core.workspaces import create_workspace, issue_token

    ws = (await s.execute(select(Workspace).where(Workspace.name == DEMO_NAME))).scalars().first()
    if ws is None:
        new = await create_workspace(s, name=DEMO_NAME, approval_policy="autopilot", instructions=DEMO_INSTRUCTIONS)
        ws, assistant, token = new.workspace, new.assistant, new.token
        ws.timezone = machine_timezone()  # "22:00" in the printed dry run is the reader's 22:00
    else:
        assistant = (
            await s.execute(
                select(Assistant).where(Assistant.workspace_id == ws.id).order_by(Assistant.created_at).limit(1)
            )
        ).scalar_one()
        token = await issue_token(s, workspace_id=ws.id, user_id=None, name="demo token")
    data = describe_workspace(settings, ws, assistant, token)
    # In dev mode the secret key lives in the data directory; the printed commands must find it.
    cli = ("FRONTDESK_DEV=1 " if settings.dev else "") + cli_path()
    data["approve_command"] = (
        f'{cli} draft approve --workspace {ws.slug} --latest --text "Yes, we have free parking behind the salon."'
    )
    data["list_command"] = f"{cli} draft list --workspace {ws.slug}"
    data["reset_command"] = f"{cli} user reset-password {DEMO_OWNER}"
    data["api_drafts"] = f"curl -H 'Authorization: Bearer {token}' {data['api_url']}/drafts?state=pending"
    data["llm"] = settings.llm_base_url or None
    data["rules"] = await _install_salon_rules(s, settings, ws, data, token)
    data["context"] = await _install_context_schema(s, ws.id, f"{cli} context show --workspace {ws.slug}")
    return data


def machine_timezone() -> str:
    """This machine's IANA time zone (TZ, then /etc/localtime, then /etc/timezone), or UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():  # e.g. /usr/share/zoneinfo/Europe/Madrid
        candidates.append(str(localtime.resolve()).partition("zoneinfo/")[2])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    for name in candidates:
        try:
            if name and not name.startswith("/"):
                ZoneInfo(name)
                return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


def _print_welcome(data: dict[str, Any]) -> None:
    llm = data["llm"] or "none configured: FAQ questions are answered from the knowledge base, the rest go to staff"
    admin = data["admin"]
    if admin["password"]:
        sign_in = f"{admin['email']}  password: {admin['password']}   (shown once)"
    else:
        sign_in = f"{admin['email']} (already there; forgot the password? {data['reset_command']})"
    rules = data["rules"]
    click.echo(f"""
  {DEMO_NAME} is ready.

  1. Chat as a customer:    {data["chat_url"]}
                            (try "are you open on Sunday?", then "is there parking?")
  2. Answer as staff:       {admin["url"]}   sign in as {sign_in}
                            the parking question waits in the inbox: open it, write the answer, send it
     or from a terminal:    {data["list_command"]}
                            {data["approve_command"]}

  Admin API token:          {data["token"]}   (shown once)
  Admin API:                {data["api_url"]}  (docs at {data["api_url"].rsplit("/api", 1)[0]}/docs)
  LLM:                      {llm}
  Understanding:            try "{DEMO_COMPLAINT}",
                            then see its intent, sentiment, context and history: {data["context"]["show_command"]}
  Rules:                    the salon pack, open {rules["business_hours"]} ({rules["timezone"]}); its after-hours
                            reply is off, so the walkthrough works at any hour.
                            Why it would answer at night: {rules["test_command"]}
                            Switch it on: {rules["enable_command"]}
""")


def _print_env(data: dict[str, Any]) -> None:
    """Shell lines to eval; what a person must see (the owner's password) goes to stderr."""
    values = {"API": data["api_url"], "WS": data["workspace"]["id"], "TOKEN": data["token"]}
    click.echo("export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in values.items()))
    admin = data["admin"]
    if admin["password"]:
        click.echo(f"web admin {admin['url']}: {admin['email']}, password {admin['password']} (shown once)", err=True)


async def _add_owner(settings: Settings, db: Database, workspace_id: str, reset_command: str) -> dict[str, Any]:
    """The demo owner who signs in to the web admin (once), with a generated password shown once."""
    from admin.auth.service import add_owner

    password = secrets.token_urlsafe(12)
    added = await add_owner(db, workspace_id=workspace_id, email=DEMO_OWNER, name="Bella", password=password)
    return {
        "url": settings.public_url.rstrip("/") + "/",
        "email": DEMO_OWNER,
        "password": password if added is not None else None,
        "created": added is not None,
        "reset_command": reset_command,
    }


async def _install_context_schema(s: AsyncSession, workspace_id: str, show_command: str) -> dict[str, Any]:
    """The front-desk context schema (once), reading phone numbers as UK ones (the salon's)."""
    from understanding import context
    from understanding.schema import SchemaSpec
    from understanding.templates import FRONT_DESK_SCHEMA

    installed = await context.schema_for(s, workspace_id) is None
    if installed:
        data = dict(FRONT_DESK_SCHEMA)
        data["fields"] = [dict(f, region="GB") if f["type"] == "phone" else f for f in data["fields"]]
        await context.save_schema(s, workspace_id=workspace_id, spec=SchemaSpec.model_validate(data))
    return {"installed": installed, "show_command": show_command}


async def _seed_faq(settings: Settings, db: Database, workspace_id: str) -> dict[str, Any]:
    from kb.commands import embedders_for
    from kb.demo import seed_demo_faq

    embedders = embedders_for(settings, db)
    try:
        stored = await seed_demo_faq(db, workspace_id=workspace_id, embedders=embedders)
    finally:
        await embedders.aclose()
    return {"document": stored.document.title, "chunks": stored.document.chunk_count, "outcome": stored.outcome}


async def _install_salon_rules(
    s: AsyncSession, settings: Settings, ws: Workspace, data: dict[str, Any], token: str
) -> dict[str, Any]:
    """The salon rule pack (once) with its after-hours reply switched off, a command that asks
    rules/test why a message at 22:00 would get that reply, and one that switches it on."""
    from core.crypto import SecretBox
    from rules.hours import describe
    from rules.service import listing, save
    from rules.templates import install

    box = SecretBox(settings.key)
    done = await install(s, workspace_id=ws.id, pack="salon", box=box)
    rule = next(r for r in await listing(s, workspace_id=ws.id) if r.name == AFTER_HOURS)
    if AFTER_HOURS in done.installed:
        rule = await save(s, workspace_id=ws.id, data={**rule.spec, "active": False}, box=box, rule=rule)
    night = datetime.now(ZoneInfo(ws.timezone or "UTC")).replace(hour=22, minute=0, second=0, microsecond=0)
    body = json.dumps({"rule_id": rule.id, "message": {"text": "Can I book a haircut?"}, "at": night.isoformat()})
    auth = f"-H 'Authorization: Bearer {token}' -H 'Content-Type: application/json'"
    return {
        "installed": done.installed,
        "after_hours_rule_id": rule.id,
        "after_hours_active": rule.active,
        "timezone": ws.timezone,
        "business_hours": describe(ws.business_hours),
        "test_command": f"curl -fsS -X POST {auth} {data['api_url']}/rules/test -d '{body}'",
        "enable_command": (
            f"curl -fsS -X PATCH {auth} {data['api_url']}/context/workspaces/{ws.id}/rules/{rule.id} "
            """-d '{"active": true}'"""
        ),
    }


COMMANDS: list[click.Command] = [demo]
