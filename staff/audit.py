"""Writing and reading the audit log (staff.models.AuditEntry).

An entry is written in the staff action's own transaction, so a change and its entry are kept or
lost together. Reading is the owners' view: one workspace's entries, newest first, filtered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.messages import utcnow
from core.models import Draft
from staff.actor import Actor
from staff.models import AuditEntry


async def record(
    s: AsyncSession,
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    entry = AuditEntry(
        workspace_id=actor.workspace_id,
        actor_user_id=actor.user_id,
        actor_label=actor.label[:200],
        face=actor.face,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        created_at=utcnow(),
    )
    s.add(entry)
    await s.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    user_id: str | None = None  # who acted
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None


async def entries(
    s: AsyncSession, *, workspace_id: str, where: AuditFilter, limit: int, offset: int
) -> tuple[Sequence[AuditEntry], int]:
    """One workspace's entries matching `where`, newest first, and how many match in all."""
    conditions = [AuditEntry.workspace_id == workspace_id]
    if where.user_id is not None:
        conditions.append(AuditEntry.actor_user_id == where.user_id)
    if where.object_type is not None:
        conditions.append(AuditEntry.object_type == where.object_type)
    if where.object_id is not None:
        conditions.append(AuditEntry.object_id == where.object_id)
    if where.action is not None:
        conditions.append(AuditEntry.action == where.action)
    total = (await s.execute(select(func.count()).select_from(AuditEntry).where(*conditions))).scalar_one()
    rows = (
        await s.execute(
            select(AuditEntry)
            .where(*conditions)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).scalars()
    return list(rows), total


async def actions_used(s: AsyncSession, *, workspace_id: str) -> list[str]:
    """The actions this workspace's log holds, for a filter's choices."""
    found = await s.execute(
        select(AuditEntry.action).where(AuditEntry.workspace_id == workspace_id).group_by(AuditEntry.action)
    )
    return sorted(found.scalars())


async def conversations_of(s: AsyncSession, *, workspace_id: str, rows: Sequence[AuditEntry]) -> dict[int, str]:
    """Each entry's conversation, where it has one (a draft's is its conversation), by entry id."""
    draft_ids = {r.object_id for r in rows if r.object_type == "draft"}
    of_draft: dict[str, str] = {}
    if draft_ids:
        found = await s.execute(
            select(Draft.id, Draft.conversation_id).where(Draft.workspace_id == workspace_id, Draft.id.in_(draft_ids))
        )
        of_draft = dict(found.tuples().all())
    conversation = {"conversation": lambda r: r.object_id, "draft": lambda r: of_draft.get(r.object_id)}
    return {r.id: c for r in rows if r.object_type in conversation and (c := conversation[r.object_type](r))}
