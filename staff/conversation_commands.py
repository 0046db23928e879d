"""Staff's conversations from the terminal: `conversation list|show|reply|takeover|handback|set|
context|move`, and `inbox list|retry` for turns that failed.

Each change is the staff service's (face "cli"), so it has the same consequences as from the API or
Slack: the owner's rules run, the context history and the audit log record it. A conversation is
its id or the start of it (six characters or more, like the short id on a Slack card). Every
command takes --json; a missing conversation or a refused change exits non-zero with the reason.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import click

from core.cli import find_workspace, out, with_db
from staff.cli import Desk, act, conversation_id, json_option, workspace_option
from staff.conversations import PRIORITIES, STATUSES

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db import Database
    from core.models import Conversation, InboxItem
    from understanding.models import ContextChange

NOBODY = "nobody"


@click.group()
def conversation() -> None:
    """Read conversations, reply, take over, hand back, triage and edit their context."""


_LISTED = ("id", "channel", "contact_name", "status", "priority", "tags", "assigned_user_id", "bot_paused",
           "last_message_at", "created_at")  # fmt: skip


def _row(c: Conversation, contact: str | None) -> dict[str, Any]:
    return {
        "id": c.id,
        "channel": c.channel,
        "contact_name": contact,
        "status": c.status,
        "priority": c.priority,
        "tags": list(c.tags or []),
        "assigned_user_id": c.assigned_user_id,
        "bot_paused": c.bot_paused,
        "last_message_at": c.last_message_at,
        "created_at": c.created_at,
    }


async def _read(desk: Desk, conversation_id: str) -> dict[str, Any]:
    from staff import queries

    async with desk.runtime.db.reader() as s:
        found = await queries.conversation(s, workspace_id=desk.workspace.id, conversation_id=conversation_id)
    assert found is not None  # the service just acted on it
    return _row(*found)


def _line(r: dict[str, Any]) -> str:
    when = r["last_message_at"].strftime("%Y-%m-%d %H:%M") if r["last_message_at"] else "-"
    flags = "paused" if r["bot_paused"] else ""
    tags = ",".join(r["tags"])
    return (
        f"{r['id'][:8]}  {r['status']:<7}  {r['priority']:<6}  {flags:<6}  {r['channel']:<8}  "
        f"{when:<16}  {(r['contact_name'] or '-')[:24]:<24}  {tags}"
    ).rstrip()


@conversation.command("list")
@workspace_option
@click.option("--status", type=click.Choice(STATUSES), help="Only conversations in this status.")
@click.option("--channel", help="Only this channel (web, telegram, whatsapp, slack).")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@json_option
def conversation_list(workspace_ref: str, status: str | None, channel: str | None, limit: int, as_json: bool) -> None:
    """List conversations, newest activity first."""

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> dict[str, Any]:
        from staff import listing

        ws = await find_workspace(s, workspace_ref)
        listed = await listing.conversations(
            s, workspace_id=ws.id, user_id=None, filters=listing.Filters(status=status, channel=channel), limit=limit
        )
        return {"items": [{key: getattr(r, key) for key in _LISTED} for r in listed.rows], "total": listed.total}

    data = with_db(go)
    if as_json:
        out(data)
        return
    if not data["items"]:
        click.echo("no conversations")
        return
    click.echo(f"{'id':<8}  {'status':<7}  {'prio':<6}  {'bot':<6}  {'channel':<8}  {'last message':<16}  contact")
    for r in data["items"]:
        click.echo(_line(r))
    if data["total"] > len(data["items"]):
        click.echo(f"({len(data['items'])} of {data['total']}: --limit shows more)")


@conversation.command("show")
@click.argument("conversation_ref", metavar="CONVERSATION")
@workspace_option
@click.option("--messages", "limit", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="How many of the latest messages.")  # fmt: skip
@json_option
def conversation_show(conversation_ref: str, workspace_ref: str, limit: int, as_json: bool) -> None:
    """Show a conversation and its latest messages as a transcript."""

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> dict[str, Any]:
        from staff import queries
        from staff.cli import conversation as find

        ws = await find_workspace(s, workspace_ref)
        c = await find(s, ws, conversation_ref)
        found = await queries.conversation(s, workspace_id=ws.id, conversation_id=c.id)
        assert found is not None
        _, total = await queries.messages(s, workspace_id=ws.id, conversation_id=c.id, limit=1, offset=0)
        rows, _ = await queries.messages(
            s, workspace_id=ws.id, conversation_id=c.id, limit=limit, offset=max(0, total - limit)
        )
        messages = [{"id": m.id, "direction": m.direction, "author": m.author, "text": m.text,
                     "status": m.status, "created_at": m.created_at} for m in rows]  # fmt: skip
        return _row(*found) | {"messages": messages, "message_count": total}

    data = with_db(go)
    if as_json:
        out(data)
        return
    assignee = data["assigned_user_id"] or "nobody"
    click.echo(f"{data['id']}  {data['channel']}  {data['contact_name'] or '(no name)'}")
    click.echo(f"status {data['status']}, priority {data['priority']}, assigned to {assignee}, "
               f"tags: {', '.join(data['tags']) or 'none'}"
               + (" (taken over: the assistant is paused)" if data["bot_paused"] else ""))  # fmt: skip
    if data["message_count"] > len(data["messages"]):
        click.echo(f"... {data['message_count'] - len(data['messages'])} earlier message(s)")
    for m in data["messages"]:
        when = m["created_at"].strftime("%Y-%m-%d %H:%M")
        click.echo(f"[{when}] {m['author']}: {m['text']}")


@conversation.command("reply")
@click.argument("conversation_ref", metavar="CONVERSATION")
@click.argument("text")
@workspace_option
@click.option("--save-answer", is_flag=True, help="Also save the customer's last question and this reply as an answer.")
@click.option("--key", "idempotency_key", help="Sending the same key again sends the reply once.")
@json_option
def conversation_reply(
    conversation_ref: str, text: str, workspace_ref: str, save_answer: bool, idempotency_key: str | None, as_json: bool
) -> None:
    """Reply to the customer as staff (the server's outbox sends it)."""

    async def go(desk: Desk) -> dict[str, Any]:
        cid = await conversation_id(desk, conversation_ref)
        key = idempotency_key or str(uuid.uuid4())
        queued = await desk.staff.reply(desk.actor, cid, text, idempotency_key=key, save_answer=save_answer)
        return {"conversation_id": cid, "queued": queued is not None, "outbox_id": queued}

    data = act(workspace_ref, go)
    if as_json:
        out(data)
    elif data["queued"]:
        click.echo(f"Reply to {data['conversation_id'][:8]} is on its way")
    else:
        click.echo("Already sent with this key: nothing more was sent")


def _pause(conversation_ref: str, workspace_ref: str, paused: bool) -> dict[str, Any]:
    async def go(desk: Desk) -> dict[str, Any]:
        cid = await conversation_id(desk, conversation_ref)
        if paused:
            await desk.staff.take_over_conversation(desk.actor, cid)
        else:
            await desk.staff.hand_back(desk.actor, cid)
        return await _read(desk, cid)

    return act(workspace_ref, go)


@conversation.command("takeover")
@click.argument("conversation_ref", metavar="CONVERSATION")
@workspace_option
@json_option
def conversation_takeover(conversation_ref: str, workspace_ref: str, as_json: bool) -> None:
    """Take a conversation over: the assistant stays quiet there until it is handed back."""
    data = _pause(conversation_ref, workspace_ref, True)
    out(data) if as_json else click.echo(f"Took over {data['id'][:8]}: the assistant is paused there")


@conversation.command("handback")
@click.argument("conversation_ref", metavar="CONVERSATION")
@workspace_option
@json_option
def conversation_handback(conversation_ref: str, workspace_ref: str, as_json: bool) -> None:
    """Hand a conversation back to the assistant."""
    data = _pause(conversation_ref, workspace_ref, False)
    out(data) if as_json else click.echo(f"{data['id'][:8]} is back with the assistant")


@conversation.command("set")
@click.argument("conversation_ref", metavar="CONVERSATION")
@workspace_option
@click.option("--status", type=click.Choice(STATUSES), help="The conversation's status.")
@click.option("--priority", type=click.Choice(PRIORITIES), help="Its priority.")
@click.option("--tag", "tag", multiple=True, help="Add this tag (repeatable).")
@click.option("--untag", multiple=True, help="Remove this tag (repeatable).")
@click.option("--assign", help='A member\'s email, or "nobody".')
@json_option
def conversation_set(
    conversation_ref: str,
    workspace_ref: str,
    status: str | None,
    priority: str | None,
    tag: tuple[str, ...],
    untag: tuple[str, ...],
    assign: str | None,
    as_json: bool,
) -> None:
    """Triage a conversation: status, priority, tags, who it is assigned to."""
    if status is None and priority is None and not tag and not untag and assign is None:
        raise click.UsageError("nothing to change: give --status, --priority, --tag, --untag or --assign")

    async def go(desk: Desk) -> dict[str, Any]:
        from staff import queries
        from staff.cli import conversation as find
        from staff.conversations import ConversationChanges

        changes: ConversationChanges = {}
        async with desk.runtime.db.reader() as s:
            found = await find(s, desk.workspace, conversation_ref)
            if assign is not None and assign.strip().lower() != NOBODY:
                user_id = await queries.member_by_email(s, workspace_id=desk.workspace.id, email=assign)
                if user_id is None:
                    raise click.ClickException(f"{assign} is not a member of {desk.workspace.slug}")
                changes["assigned_user_id"] = user_id
            elif assign is not None:
                changes["assigned_user_id"] = None
        if status is not None:
            changes["status"] = status
        if priority is not None:
            changes["priority"] = priority
        if tag or untag:
            kept = [t for t in found.tags or [] if t not in untag]
            changes["tags"] = list(dict.fromkeys([*kept, *(t.strip() for t in tag if t.strip())]))
        await desk.staff.change_conversation(desk.actor, found.id, changes)
        return await _read(desk, found.id)

    data = act(workspace_ref, go)
    if as_json:
        out(data)
        return
    click.echo(_line(data))


def _changes(changes: list[ContextChange]) -> list[dict[str, Any]]:
    return [{"field": c.field, "old": c.old_value, "new": c.new_value} for c in changes]


def _echo_changes(cid: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo(f"{cid[:8]}: nothing changed")
    for r in rows:
        new = "(cleared)" if r["new"] is None else r["new"]
        click.echo(f"{cid[:8]}: {r['field']}: {new}" + ("" if r["old"] is None else f" (was {r['old']})"))


@conversation.command("context")
@click.argument("conversation_ref", metavar="CONVERSATION")
@click.argument("assignments", nargs=-1, required=True, metavar="FIELD=VALUE...")
@workspace_option
@json_option
def conversation_context(
    conversation_ref: str, assignments: tuple[str, ...], workspace_ref: str, as_json: bool
) -> None:
    """Set context fields (FIELD= clears one); all or nothing, checked against the workspace's schema."""
    fields: dict[str, Any] = {}
    for pair in assignments:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"{pair!r} is not FIELD=VALUE")
        fields[name.strip()] = value.strip() or None

    async def go(desk: Desk) -> dict[str, Any]:
        cid = await conversation_id(desk, conversation_ref)
        return {"conversation_id": cid, "changes": _changes(await desk.staff.edit_context(desk.actor, cid, fields))}

    data = act(workspace_ref, go)
    out(data) if as_json else _echo_changes(data["conversation_id"], data["changes"])


@conversation.command("move")
@click.argument("conversation_ref", metavar="CONVERSATION")
@click.argument("status")
@workspace_option
@json_option
def conversation_move(conversation_ref: str, status: str, workspace_ref: str, as_json: bool) -> None:
    """Move a conversation along the workspace's workflow (e.g. new -> booked)."""

    async def go(desk: Desk) -> dict[str, Any]:
        cid = await conversation_id(desk, conversation_ref)
        return {"conversation_id": cid, "changes": _changes(await desk.staff.move_status(desk.actor, cid, status))}

    data = act(workspace_ref, go)
    out(data) if as_json else _echo_changes(data["conversation_id"], data["changes"])


# --- the inbox: turns that failed ----------------------------------------------------------------


@click.group()
def inbox() -> None:
    """Customers' messages the pipeline could not handle: list them, put them back in the queue."""


def _item(row: InboxItem) -> dict[str, Any]:
    sender = row.message.get("sender") or {}
    return {"id": row.id, "channel": row.channel, "state": row.state, "attempts": row.attempts,
            "last_error": row.last_error, "text": str(row.message.get("text") or ""),
            "sender": sender.get("display_name") or sender.get("id"), "created_at": row.created_at}  # fmt: skip


@inbox.command("list")
@workspace_option
@click.option("--state", type=click.Choice(["failed", "pending", "processing", "done"]), default="failed",
              show_default=True)  # fmt: skip
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@json_option
def inbox_list(workspace_ref: str, state: str, limit: int, as_json: bool) -> None:
    """List inbound turns, newest first (failed ones by default: what `inbox retry` takes)."""

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> dict[str, Any]:
        from staff import queries

        ws = await find_workspace(s, workspace_ref)
        rows, total = await queries.inbox_items(s, workspace_id=ws.id, state=state, limit=limit, offset=0)
        return {"items": [_item(r) for r in rows], "total": total}

    data = with_db(go)
    if as_json:
        out(data)
        return
    for r in data["items"]:
        click.echo(f"{r['id']:>6}  {r['channel']:<8}  {r['attempts']} attempt(s)  {r['sender'] or '-'}: {r['text']!r}")
        if r["last_error"]:
            click.echo(f"        error: {r['last_error'].splitlines()[0][:200]}")
    if not data["items"]:
        click.echo(f"no {state} turns")


@inbox.command("retry")
@click.argument("inbox_id", type=click.IntRange(1, 2**63 - 1))
@workspace_option
@json_option
def inbox_retry(inbox_id: int, workspace_ref: str, as_json: bool) -> None:
    """Put a turn that failed back in the queue (the server's worker picks it up)."""

    async def go(desk: Desk) -> dict[str, Any]:
        await desk.staff.retry_turn(desk.actor, inbox_id)
        return {"id": inbox_id, "queued": True}

    data = act(workspace_ref, go)
    out(data) if as_json else click.echo(f"Turn {inbox_id} is back in the queue")


COMMANDS: list[click.Command] = [conversation, inbox]
