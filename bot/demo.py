"""`frontdesk demo`: the demo workspace "Bella's Salon", seeded with rules, a context schema and an
FAQ, and how to try it."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.commands import describe_workspace
from bot.settings import Settings
from core.cli import cli_path, out, with_database, with_db
from core.db import Database
from core.models import Assistant, Workspace

DEMO_NAME = "Bella's Salon"
DEMO_COMPLAINT = "hi I'm furious, my booking for tomorrow 3pm was cancelled, call me on 07700 900123"
DEMO_INSTRUCTIONS = (
    "You are the friendly front desk of Bella's Salon, a hair and beauty salon. Help "
    "customers with opening hours, services, prices and bookings."
)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print ids, URLs, the token and commands as JSON.")
def demo(as_json: bool) -> None:
    """Create the demo workspace "Bella's Salon" (once) and print how to try it."""
    from core.workspaces import create_workspace, issue_token

    async def go(settings: Settings, _db: Database, s: AsyncSession) -> dict[str, Any]:
        ws = (await s.execute(select(Workspace).where(Workspace.name == DEMO_NAME))).scalars().first()
        if ws is None:
            new = await create_workspace(s, name=DEMO_NAME, approval_policy="autopilot", instructions=DEMO_INSTRUCTIONS)
            ws, assistant, token = new.workspace, new.assistant, new.token
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
        data["api_drafts"] = f"curl -H 'Authorization: Bearer {token}' {data['api_url']}/drafts?state=pending"
        data["llm"] = settings.llm_base_url or None
        data["rules"] = await _install_salon_rules(s, settings, ws.id, data, token)
        data["context"] = await _install_context_schema(s, ws.id, f"{cli} context show --workspace {ws.slug}")
        return data

    data = with_db(go)
    data["knowledge_base"] = with_database(lambda s, db: _seed_faq(s, db, data["workspace"]["id"]))
    if as_json:
        out(data)
        return
    llm = data["llm"] or "none configured: FAQ questions are answered from the knowledge base, the rest go to staff"
    click.echo(f"""
  {DEMO_NAME} is ready.

  1. Chat as a customer:    {data["chat_url"]}
                            (try "are you open on Sunday?", then "is there parking?")
  2. See drafts waiting:    {data["list_command"]}
  3. Answer as staff:       {data["approve_command"]}

  Admin API token:          {data["token"]}   (shown once)
  Admin API:                {data["api_url"]}  (docs at {data["api_url"].rsplit("/api", 1)[0]}/docs)
  LLM:                      {llm}
  Understanding:            try "{DEMO_COMPLAINT}",
                            then see its intent, sentiment, context and history: {data["context"]["show_command"]}
  Rules:                    the salon pack (after-hours reply, escalation, bookings, SLA nudge);
                            why the after-hours reply fires at night: {data["rules"]["test_command"]}
""")


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
    s: AsyncSession, settings: Settings, workspace_id: str, data: dict[str, Any], token: str
) -> dict[str, Any]:
    """The salon rule pack (once), and a command that asks rules/test why a message at 22:00 gets
    the after-hours reply."""
    import json
    from datetime import datetime

    from core.crypto import SecretBox
    from rules.service import listing
    from rules.templates import install

    done = await install(s, workspace_id=workspace_id, pack="salon", box=SecretBox(settings.key))
    rule = next(r for r in await listing(s, workspace_id=workspace_id) if r.name == "after-hours reply")
    night = datetime.now().astimezone().replace(hour=22, minute=0, second=0, microsecond=0)
    body = json.dumps({"rule_id": rule.id, "message": {"text": "Can I book a haircut?"}, "at": night.isoformat()})
    test = (
        f"curl -s -X POST -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
        f"{data['api_url']}/rules/test -d '{body}'"
    )
    return {"installed": done.installed, "after_hours_rule_id": rule.id, "test_command": test}


COMMANDS: list[click.Command] = [demo]
