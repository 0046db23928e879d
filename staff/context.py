"""Staff's edits of a conversation's context, through understanding's one writer (`context.change`,
source "staff"): checked against the workspace's schema and workflow, all or nothing, each change
with its history row."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Workspace
from staff import drafts
from staff.actor import Actor
from staff.errors import NotFound, Refused
from understanding import context
from understanding.models import ContextChange


async def change_context(
    s: AsyncSession, actor: Actor, conversation_id: str, proposed: list[context.Proposed], *, region: str | None
) -> list[ContextChange]:
    workspace = await s.get(Workspace, actor.workspace_id)
    if workspace is None:
        raise NotFound("workspace")
    await drafts.conversation(s, actor.workspace_id, conversation_id, lock=False)
    try:
        return await context.change(
            s,
            workspace_id=workspace.id,
            conversation_id=conversation_id,
            proposed=proposed,
            source="staff",
            actor=actor.name,
            schema=await context.schema_for(s, workspace.id),
            timezone=workspace.timezone or "UTC",
            region=region,
        )
    except context.ContextRefused as exc:
        raise Refused("this change cannot be made", exc.problems) from None
