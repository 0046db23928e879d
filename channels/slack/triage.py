"""`/frontdesk priority|status|tag|untag|assign|context|move <conversation> …` and `/frontdesk retry
<turn>`: staff triage from Slack, each the same staff action as from the API and the CLI (face
"slack"), done as the Slack user's linked staff member. The answer goes to the caller only; the
conversation's cards are refreshed, since they show its priority, tags and context.

Slack sends the command's text escaped (the manifest's `should_escape: true`): a mention as
`<@U123|ann>`, an email as `<mailto:…|…>`, and `&`, `<`, `>` as entities.
"""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from channels.slack.cards import short_id
from channels.slack.connection import Connection
from channels.slack.console import Console, actor
from channels.slack.mrkdwn import escape, unescape
from channels.slack.services import BEFORE_ACK, BUSY, Busy
from channels.slack.staff import Staff
from core.models import Conversation
from staff import queries
from staff.conversations import PRIORITIES, STATUSES, ConversationChanges
from staff.errors import NotFound, Refused, StaffError
from understanding.models import ContextChange

VERBS = ("priority", "status", "tag", "untag", "assign", "context", "move", "retry")
USAGE = {
    "priority": f"`/frontdesk priority 1a2b3c4d {'|'.join(PRIORITIES)}`",
    "status": f"`/frontdesk status 1a2b3c4d {'|'.join(STATUSES)}`",
    "tag": "`/frontdesk tag 1a2b3c4d vip`",
    "untag": "`/frontdesk untag 1a2b3c4d vip`",
    "assign": "`/frontdesk assign 1a2b3c4d @someone` (or an email, `me`, or `nobody`)",
    "context": "`/frontdesk context 1a2b3c4d service=colour name=Ann Lee` (`field=` clears one)",
    "move": "`/frontdesk move 1a2b3c4d booked`",
    "retry": "`/frontdesk retry 123` (the failed turns are in `/frontdesk status`)",
}
HELP = """• `/frontdesk priority <conversation> low|normal|high|urgent`, `/frontdesk status <conversation> \
open|waiting|closed`: triage it
• `/frontdesk tag <conversation> <tag>`, `/frontdesk untag <conversation> <tag>`
• `/frontdesk assign <conversation> @someone|email|me|nobody`
• `/frontdesk context <conversation> field=value …`: set context fields (`field=` clears one)
• `/frontdesk move <conversation> <status>`: move it along the workflow (e.g. `booked`)
• `/frontdesk retry <turn>`: put a turn that failed back in the queue"""
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")
_FIELD = re.compile(r"(?:^|\s)([a-z][a-z0-9_]*)=")


async def find(console: Console, connection: Connection, ref: str) -> Conversation | str:
    """The conversation a short id names, or what to tell the caller."""
    ref = ref.strip().strip("`")
    if len(ref) < queries.MIN_PREFIX:
        return "Give the conversation's id from its card, e.g. `/frontdesk pause 1a2b3c4d`."
    async with console.services.db.reader() as s:
        found = await queries.conversations_by_prefix(s, workspace_id=connection.workspace_id, prefix=ref)
    if not found:
        return f"No conversation `{escape(ref)}` in this business."
    if len(found) > 1:
        return f"`{escape(ref)}` matches several conversations: give more of the id."
    return found[0]


def fields(text: str) -> dict[str, Any] | None:
    """`service=colour name=Ann Lee` → {"service": "colour", "name": "Ann Lee"}: a value runs to the
    next `field=`, so it may have spaces; an empty one clears the field. None if there is no pair."""
    text = unescape(text).strip()
    starts = list(_FIELD.finditer(text))
    if not starts or text[: starts[0].start()].strip():
        return None
    found: dict[str, Any] = {}
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        found[m.group(1)] = text[m.end() : end].strip() or None
    return found


def _refused(exc: StaffError, conversation: str) -> str:
    if isinstance(exc, NotFound):
        return f"`{conversation}` is gone." if conversation else f"Nothing to do: {exc}."
    if isinstance(exc, Refused) and exc.problems:
        return "Nothing was changed: " + "; ".join(f"{k}: {escape(v)}" for k, v in exc.problems.items())
    return f"Nothing was changed: {escape(str(exc))}"


async def run(
    console: Console, connection: Connection, client: AsyncWebClient, staff: Staff, verb: str, text: str
) -> str:
    """Do `verb` with the rest of the command's `text`; the answer for the caller."""
    if verb == "retry":
        return await _retry(console, connection, staff, text.strip())
    ref, rest = [*text.split(None, 1), "", ""][:2]
    rest = rest.strip()
    if not ref or not rest:
        return f"Which conversation, and what? {USAGE[verb]}"
    found = await find(console, connection, ref)
    if isinstance(found, str):
        return found
    short = short_id(found.id)
    try:
        staff_actions, by = console.services.actions, actor(connection, staff)
        if verb == "context":
            given = fields(rest)
            if given is None:
                return f"Give fields as `field=value`: {USAGE[verb]}"
            answer = _context(short, await staff_actions.edit_context(by, found.id, given))
        elif verb == "move":
            answer = _context(short, await staff_actions.move_status(by, found.id, unescape(rest).strip()))
        else:
            asked = await _change(console, connection, client, staff, verb, found, rest)
            if isinstance(asked, str):
                return asked
            change, answer = asked
            await staff_actions.change_conversation(by, found.id, change)
    except StaffError as exc:
        return _refused(exc, short)
    card_drafts = await console.services.cards_of(connection, found.id)
    await console.services.refresh(connection, conversation_id=found.id, draft_ids=card_drafts)
    return answer


async def _change(
    console: Console,
    connection: Connection,
    client: AsyncWebClient,
    staff: Staff,
    verb: str,
    conversation: Conversation,
    rest: str,
) -> tuple[ConversationChanges, str] | str:
    """The change `verb` asks for and the answer once it is made, or what to tell the caller."""
    short, value = short_id(conversation.id), unescape(rest).strip()
    if verb == "priority":
        return {"priority": value.lower()}, f"`{short}` is now *{escape(value.lower())}* priority."
    if verb == "status":
        return {"status": value.lower()}, f"`{short}` is now *{escape(value.lower())}*."
    if verb in ("tag", "untag"):
        current = list(conversation.tags or [])
        tags = list(dict.fromkeys([*current, value])) if verb == "tag" else [t for t in current if t != value]
        return {"tags": tags}, f"`{short}` tags: {escape(', '.join(tags)) or 'none'}."
    assignee = await _assignee(console, connection, client, staff, rest.strip())
    if isinstance(assignee, str):
        return assignee
    user_id, name = assignee
    return {"assigned_user_id": user_id}, f"`{short}` is assigned to {name}."


async def _assignee(
    console: Console, connection: Connection, client: AsyncWebClient, staff: Staff, who: str
) -> tuple[str | None, str] | str:
    """The user id `who` names (a Slack mention, an email, `me`, or `nobody` for None) and how to
    name them in the answer; or what to tell the caller."""
    word = unescape(who).strip().lower()
    if word == "nobody":
        return None, "nobody"
    if word == "me":
        return staff.user_id, "you"
    mention = _MENTION.match(who)
    if mention:
        try:
            found = await console.services.staff(connection, client, mention.group(1), budget=BEFORE_ACK)
        except Busy:
            return BUSY
        if found is None:
            return f"<@{mention.group(1)}> is not linked to a frontdesk staff member of this business."
        return found.user_id, f"<@{mention.group(1)}>"
    if "@" in word and not word.startswith("@"):
        async with console.services.db.reader() as s:
            user_id = await queries.member_by_email(s, workspace_id=connection.workspace_id, email=word)
        if user_id is None:
            return f"{escape(word)} is not a member of this business."
        return user_id, escape(word)
    return f"Whom? {USAGE['assign']}"


def _context(short: str, changes: list[ContextChange]) -> str:
    if not changes:
        return f"`{short}`: nothing changed."
    lines = [
        f"• {c.field}: {escape(str(c.new_value)) if c.new_value is not None else '(cleared)'}"
        + (f" (was {escape(str(c.old_value))})" if c.old_value is not None else "")
        for c in changes
    ]
    return f"`{short}` context:\n" + "\n".join(lines)


async def _retry(console: Console, connection: Connection, staff: Staff, ref: str) -> str:
    if not ref.isdigit() or not 0 < int(ref) < 2**63:
        return f"Which turn? {USAGE['retry']}"
    try:
        await console.services.actions.retry_turn(actor(connection, staff), int(ref))
    except StaffError:
        return f"No failed turn {ref} in this business (`/frontdesk status` lists them)."
    return f"Turn {ref} is back in the queue."
