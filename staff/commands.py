"""Staff commands from the terminal: `draft list|approve|reject|takeover`. Conversations (read,
reply, take over, hand back, triage, context, workflow moves) and failed turns (`inbox list|retry`)
are in staff.conversation_commands.

Each action is the staff service's (face "cli"), run on the process's own parts (core.cli
`with_runtime`), so it has the same consequences as from the API or Slack: the owner's rules run,
and an audit entry is written. The CLI has no in-process sender: the server's polls send replies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from core.cli import find_workspace, out, with_db
from staff.cli import Desk, act

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db import Database
    from core.models import Draft


@click.group()
def draft() -> None:
    """Review drafts waiting for staff: approve (optionally edited), reject, take over."""


def _draft_row(d: Draft, question: str | None) -> dict[str, Any]:
    return {
        "id": d.id,
        "conversation_id": d.conversation_id,
        "state": d.state,
        "decision": d.decision,
        "text": d.text,
        "question": question,
        "created_at": d.created_at,
    }


@draft.command("list")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
@click.option("--all", "show_all", is_flag=True, help="Include drafts already handled.")
@click.option("--json", "as_json", is_flag=True)
def draft_list(workspace_ref: str, show_all: bool, as_json: bool) -> None:
    """List drafts waiting for staff, newest first."""

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> list[dict[str, Any]]:
        from staff import queries

        ws = await find_workspace(s, workspace_ref)
        found = await queries.drafts_with_questions(s, workspace_id=ws.id, pending_only=not show_all)
        return [_draft_row(d, q) for d, q in found]

    rows = with_db(go)
    if as_json:
        out(rows)
        return
    for r in rows:
        click.echo(f"{r['id']}  [{r['state']}/{r['decision']}]  customer: {r['question']!r}")
        click.echo(f"    draft: {r['text'] or '(empty: write the answer with --text)'}")
    if not rows:
        click.echo("no drafts waiting")


def _act(action: str, draft_id: str | None, latest: bool, workspace_ref: str, **options: Any) -> dict[str, Any]:
    if not draft_id and not latest:
        raise click.UsageError("give a DRAFT_ID or --latest")

    async def go(desk: Desk) -> dict[str, Any]:
        from staff import queries

        target = draft_id
        if target is None:
            async with desk.runtime.db.reader() as r:
                pending = await queries.latest_pending(r, workspace_id=desk.workspace.id)
            if pending is None:
                raise click.ClickException("no draft is waiting for staff")
            target = pending.id
        if action == "approve":
            result = await desk.staff.approve(desk.actor, target, **options)
        elif action == "reject":
            result = await desk.staff.reject(desk.actor, target, **options)
        else:
            result = await desk.staff.take_over(desk.actor, target)
        return _draft_row(result, None) | {"final_text": result.final_text}

    return act(workspace_ref, go)


_workspace_opt = click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
_latest_opt = click.option("--latest", is_flag=True, help="The newest draft waiting for staff.")


@draft.command("approve")
@click.argument("draft_id", required=False)
@_workspace_opt
@_latest_opt
@click.option("--text", help="Send this instead of the draft's text (an edited approval).")
@click.option("--save-answer", is_flag=True, help="Also save the customer's question and this reply as an answer.")
@click.option("--json", "as_json", is_flag=True)
def draft_approve(
    draft_id: str | None, workspace_ref: str, latest: bool, text: str | None, save_answer: bool, as_json: bool
) -> None:
    """Approve a draft: its text, or --text, goes to the customer."""
    data = _act("approve", draft_id, latest, workspace_ref, text=text, save_answer=save_answer)
    out(data) if as_json else click.echo(f"Approved {data['id']}: {data['final_text']!r} is on its way")


@draft.command("reject")
@click.argument("draft_id", required=False)
@_workspace_opt
@_latest_opt
@click.option("--reason", help="Why (kept in the audit log).")
@click.option("--json", "as_json", is_flag=True)
def draft_reject(draft_id: str | None, workspace_ref: str, latest: bool, reason: str | None, as_json: bool) -> None:
    """Reject a draft: nothing is sent; the conversation keeps waiting for staff."""
    data = _act("reject", draft_id, latest, workspace_ref, reason=reason)
    out(data) if as_json else click.echo(f"Rejected {data['id']}")


@draft.command("takeover")
@click.argument("draft_id", required=False)
@_workspace_opt
@_latest_opt
@click.option("--json", "as_json", is_flag=True)
def draft_takeover(draft_id: str | None, workspace_ref: str, latest: bool, as_json: bool) -> None:
    """Take the conversation over: the assistant stays quiet until `conversation handback`."""
    data = _act("takeover", draft_id, latest, workspace_ref)
    out(data) if as_json else click.echo(f"Took over conversation {data['conversation_id']}")


COMMANDS: list[click.Command] = [draft]
