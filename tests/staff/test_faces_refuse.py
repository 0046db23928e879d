"""What the CLI and Slack say when a staff action cannot be done: a conversation that is not there
(or is another business's), an id too short or matching several, a change the service refuses (a
priority it does not know, a field value the schema does not allow, a move the workflow does not
allow). The CLI exits non-zero with the reason, Slack answers the caller with it, and nothing is
changed or audited. Also what the read commands print for people rather than scripts."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.cli import main
from core.models import Conversation
from staff.models import AuditEntry
from tests.channels.test_slack import Customer
from tests.staff.faces import Desk, cli, desk, fake, llm, settings
from tests.support import new_workspace

__all__ = ["cli", "desk", "fake", "llm", "settings"]  # the harness's fixtures
STRANGER = "USTRANGER1"  # a Slack user who is no staff member


async def _elsewhere(desk: Desk) -> str:
    """A conversation in another business."""
    other = await new_workspace(desk.runtime.db, "Other Salon")
    await Customer(desk.client, other.assistant.slug).say("Hello?")
    async with desk.runtime.db.reader() as s:
        found = await s.execute(select(Conversation.id).where(Conversation.workspace_id == other.workspace.id))
        return str(found.scalar_one())


async def _audited(desk: Desk) -> int:
    async with desk.runtime.db.reader() as s:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.workspace_id == desk.workspace_id)
        return int((await s.execute(query)).scalar_one())


async def test_the_cli_says_why_and_exits_non_zero(desk: Desk) -> None:
    [target] = await desk.waiting(1)
    conv, other = target.conversation, await _elsewhere(desk)
    assert "no conversation" in await desk.cli_refuses("conversation", "show", other)
    assert "no conversation" in await desk.cli_refuses("conversation", "takeover", other[:8])
    assert "at least 6 characters" in await desk.cli_refuses("conversation", "handback", conv[:4])
    assert "cannot go from 'new' to 'rescheduled'" in await desk.cli_refuses(
        "conversation", "move", conv, "rescheduled"
    )
    assert "service:" in await desk.cli_refuses("conversation", "context", conv, "service=perm")
    assert "not FIELD=VALUE" in await desk.cli_refuses("conversation", "context", conv, "service")
    assert "not a member" in await desk.cli_refuses("conversation", "set", conv, "--assign", "eve@example.com")
    assert "Invalid value" in await desk.cli_refuses("conversation", "set", conv, "--priority", "extreme")
    assert "nothing to change" in await desk.cli_refuses("conversation", "set", conv)
    assert "text is empty" in await desk.cli_refuses("conversation", "reply", conv, "   ")
    assert "not found" in await desk.cli_refuses("inbox", "retry", "999999")
    elsewhere = await asyncio.to_thread(desk.runner.invoke, main, ["inbox", "list", "--workspace", "nope"])
    assert elsewhere.exit_code == 1 and "no workspace 'nope'" in elsewhere.output
    assert await _audited(desk) == 0


async def test_slack_says_why_to_the_caller_only(desk: Desk) -> None:
    [target] = await desk.waiting(1)
    short, other = target.conversation[:8], await _elsewhere(desk)
    assert "not linked" in await desk.command(f"priority {short} high", user=STRANGER)
    assert "No conversation" in await desk.command(f"status {other[:8]} closed")
    assert "No conversation" in await desk.command("tag ffffffff vip")
    assert "Give the conversation's id" in await desk.command("tag 1a2 vip")
    assert "Which conversation, and what?" in await desk.command(f"tag {short}")
    assert "priority must be one of" in await desk.command(f"priority {short} extreme")
    assert "Nothing was changed: a conversation cannot go" in await desk.command(f"move {short} rescheduled")
    assert "Nothing was changed: service:" in await desk.command(f"context {short} service=perm")
    assert "`field=value`" in await desk.command(f"context {short} colour please")
    assert "Whom?" in await desk.command(f"assign {short} @ann")  # a mention Slack did not escape
    assert "not linked" in await desk.command(f"assign {short} <@{STRANGER}|eve>")
    assert "not a member" in await desk.command(f"assign {short} <mailto:eve@example.com|eve@example.com>")
    assert "No failed turn 999999" in await desk.command("retry 999999")
    assert "Which turn?" in await desk.command("retry soon")
    assert "/frontdesk assign" in await desk.command("help")
    assert await _audited(desk) == 0


async def test_conversations_read_for_people(desk: Desk) -> None:
    [target] = await desk.waiting(1)
    listed = await desk.cli("conversation", "list")
    assert target.conversation[:8] in listed and "waiting" in listed
    shown = await desk.cli("conversation", "show", target.conversation[:8])
    assert shown.startswith(target.conversation) and "contact: When are you open?" in shown
    assert "status waiting, priority normal, assigned to nobody" in shown
    assert await desk.cli("inbox", "list") == "no failed turns\n"
