"""A conversation's context: reading it, changing it, and the history of every change.

All writers come through `change()`: the understand stage (source "ai"), the workflow's first
status and the owner's rules' `set_context` ("rule"), and staff through the API ("staff"). Each
value is checked against its field first, the status against the workflow, and each change that
really changes something gets a history row in the same transaction. The AI never overwrites what
staff set: a person's correction stands until a person changes it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import insert_for
from core.messages import utcnow
from core.models import Workspace
from understanding.models import ContextChange, ContextSchema, ConversationContext
from understanding.schema import STATUS, InvalidValue, SchemaSpec, coerce

SOURCES = ("ai", "rule", "staff")


class ContextRefused(ValueError):
    """A change that cannot be made; `problems` says why, field by field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Proposed:
    field: str
    value: Any
    evidence: str | None = None


async def read_context(s: AsyncSession, conversation_id: str) -> dict[str, Any]:
    """The conversation's context values by field name (empty when it has none yet)."""
    row = await s.get(ConversationContext, conversation_id)
    return dict(row.fields) if row is not None else {}


async def schema_for(s: AsyncSession, workspace_id: str) -> SchemaSpec | None:
    row = (
        await s.execute(select(ContextSchema).where(ContextSchema.workspace_id == workspace_id))
    ).scalar_one_or_none()
    return SchemaSpec.model_validate(row.spec) if row is not None else None


async def save_schema(s: AsyncSession, *, workspace_id: str, spec: SchemaSpec) -> ContextSchema:
    row = (
        await s.execute(select(ContextSchema).where(ContextSchema.workspace_id == workspace_id))
    ).scalar_one_or_none()
    data = spec.model_dump(mode="json", exclude_defaults=False)
    if row is None:
        row = ContextSchema(workspace_id=workspace_id, spec=data)
        s.add(row)
    else:
        row.spec, row.updated_at = data, utcnow()
    await s.flush()
    return row


async def locked_row(
    s: AsyncSession, *, workspace_id: str, conversation_id: str, now: datetime | None = None
) -> ConversationContext:
    """The conversation's context row, locked for this transaction; made (empty) on first use. One
    read once it exists; the insert ignores a row another transaction made meanwhile."""
    row = await s.get(ConversationContext, conversation_id, with_for_update=True, populate_existing=True)
    if row is not None:
        return row
    insert = insert_for(s)
    await s.execute(
        insert(ConversationContext)
        .values(conversation_id=conversation_id, workspace_id=workspace_id, fields={}, updated_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["conversation_id"])
    )
    row = await s.get(ConversationContext, conversation_id, with_for_update=True, populate_existing=True)
    if row is None:  # pragma: no cover - inserted just above
        raise ContextRefused({"context": "could not store the context"})
    return row


async def staff_set_fields(s: AsyncSession, conversation_id: str) -> set[str]:
    """Fields whose latest change was made by staff."""
    rows = await s.execute(
        select(ContextChange.field, ContextChange.source)
        .where(ContextChange.conversation_id == conversation_id)
        .order_by(ContextChange.id)
    )
    latest: dict[str, str] = {}
    for name, source in rows.all():
        latest[name] = source
    return {name for name, source in latest.items() if source == "staff"}


def check(
    schema: SchemaSpec | None,
    current: dict[str, Any],
    proposed: list[Proposed],
    *,
    timezone: str,
    strict: bool,
    region: str | None = None,
) -> tuple[list[Proposed], dict[str, str]]:
    """The proposals as they would be stored, and the problems of those refused."""
    ok: list[Proposed] = []
    problems: dict[str, str] = {}
    for p in proposed:
        try:
            if p.field == STATUS:
                if schema is None or schema.workflow is None:
                    raise InvalidValue("this workspace's context schema has no status workflow")
                schema.workflow.check(current.get(STATUS), str(p.value))
                value: Any = str(p.value)
            elif schema is None:
                if strict:
                    raise InvalidValue("this workspace has no context schema yet")
                value = p.value
            else:
                spec = schema.field(p.field)
                if spec is None:
                    raise InvalidValue(f"the context schema has no field {p.field!r}")
                value = coerce(spec, p.value, timezone=timezone, region=region)
        except InvalidValue as exc:
            problems[p.field] = str(exc)
            continue
        ok.append(Proposed(p.field, value, p.evidence))
    return ok, problems


async def phone_region(s: AsyncSession, workspace_id: str, *, default: str | None) -> str | None:
    """Where the workspace reads national phone numbers: its own choice, else the server's."""
    own = (await s.execute(select(Workspace.phone_region).where(Workspace.id == workspace_id))).scalar_one_or_none()
    return own or default


async def change(
    s: AsyncSession,
    *,
    workspace_id: str,
    conversation_id: str,
    proposed: list[Proposed],
    source: str,
    actor: str,
    schema: SchemaSpec | None,
    timezone: str = "UTC",
    now: datetime | None = None,
    region: str | None = None,
    region_resolved: bool = False,
    row: ConversationContext | None = None,
) -> list[ContextChange]:
    """Apply the changes that pass their checks; staff's and rules' are all-or-nothing
    (ContextRefused), the AI's that fail are dropped (a misheard phone number is no reason to lose
    the date). `region` is the server's default, which the workspace's own choice overrides, unless
    `region_resolved` says the caller already chose between them (the pipeline, from its cache).
    `row` is the context row when the caller has locked it already (`locked_row`)."""
    if source not in SOURCES:
        raise ValueError(f"unknown context source {source!r}")
    now = now or utcnow()
    if not region_resolved:
        region = await phone_region(s, workspace_id, default=region)
    row = row or await locked_row(s, workspace_id=workspace_id, conversation_id=conversation_id, now=now)
    current = dict(row.fields or {})
    ok, problems = check(schema, current, proposed, timezone=timezone, strict=source == "staff", region=region)
    if problems and source != "ai":
        raise ContextRefused(problems)
    if source == "ai" and ok:
        kept = await staff_set_fields(s, conversation_id)
        ok = [p for p in ok if p.field not in kept]
    changes: list[ContextChange] = []
    for p in ok:
        old = current.get(p.field)
        if old == p.value:
            continue
        current[p.field] = p.value
        changes.append(
            ContextChange(
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                field=p.field,
                old_value=old,
                new_value=p.value,
                source=source,
                actor=actor[:200],
                evidence=(p.evidence or None) and str(p.evidence)[:500],
                created_at=now,
            )
        )
    if changes:
        row.fields = {k: v for k, v in current.items() if v is not None}
        row.updated_at = now
        s.add_all(changes)
        await s.flush()
    return changes


async def history(s: AsyncSession, conversation_id: str, *, limit: int = 200) -> list[ContextChange]:
    rows = await s.execute(
        select(ContextChange)
        .where(ContextChange.conversation_id == conversation_id)
        .order_by(ContextChange.id.desc())
        .limit(limit)
    )
    return list(reversed(rows.scalars().all()))
