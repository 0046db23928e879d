"""Staff's triage of a conversation: status, priority, tags, assignee and the bot's pause, applied
in the caller's unit of work with one audit entry per thing that really changed."""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Conversation, Membership
from staff import audit
from staff.actor import Actor
from staff.errors import Refused

STATUSES = ("open", "waiting", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")


class ConversationChanges(TypedDict, total=False):
    status: str
    priority: str
    tags: list[str]
    assigned_user_id: str | None
    bot_paused: bool


# What each change is called in the audit log, and the fields its entry shows before and after.
_ENTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "status": ("conversation.status", ("status",)),
    "priority": ("conversation.priority", ("priority",)),
    "tags": ("conversation.tags", ("tags",)),
    "assigned_user_id": ("conversation.assign", ("assigned_user_id",)),
}


def _snapshot(conversation: Conversation, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(conversation, name)) for name in fields}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


async def _check(s: AsyncSession, workspace_id: str, changes: ConversationChanges) -> None:
    if "status" in changes and changes["status"] not in STATUSES:
        raise Refused(f"status must be one of {', '.join(STATUSES)}")
    if "priority" in changes and changes["priority"] not in PRIORITIES:
        raise Refused(f"priority must be one of {', '.join(PRIORITIES)}")
    user_id = changes.get("assigned_user_id")
    if user_id is not None:
        found = (
            await s.execute(
                select(Membership.id).where(Membership.workspace_id == workspace_id, Membership.user_id == user_id)
            )
        ).first()
        if found is None:
            raise Refused("assigned_user_id is not a member of this workspace")


async def apply_changes(
    s: AsyncSession, actor: Actor, conversation: Conversation, changes: ConversationChanges
) -> bool:
    """Check everything, then change it; False when nothing really changed. Pausing assigns the
    conversation to the actor, as a takeover does, unless the same request names an assignee."""
    await _check(s, actor.workspace_id, changes)
    entries = dict(_ENTRIES)
    if changes.get("bot_paused") is True:  # a takeover assigns the conversation to the actor
        entries["bot_paused"] = ("conversation.take_over", ("bot_paused", "assigned_user_id"))
    elif "bot_paused" in changes:
        entries["bot_paused"] = ("conversation.hand_back", ("bot_paused",))
    asked = [name for name in entries if name in changes]
    before = {name: _snapshot(conversation, entries[name][1]) for name in asked}
    if "bot_paused" in changes:
        conversation.bot_paused = changes["bot_paused"]
        if changes["bot_paused"] and actor.user_id is not None:
            conversation.assigned_user_id = actor.user_id
    for name in ("status", "priority", "tags", "assigned_user_id"):
        if name in changes:
            setattr(conversation, name, changes[name])
    changed = False
    for name in asked:
        action, fields = entries[name]
        after = _snapshot(conversation, fields)
        if after != before[name]:
            changed = True
            await audit.record(
                s, actor, action, object_type="conversation", object_id=conversation.id,
                before=before[name], after=after,
            )  # fmt: skip
    return changed
