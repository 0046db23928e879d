"""Context: the workspace's schema and intents, and each conversation's context, under
/context/workspaces/{id}/ (seed 1's paths, beside the rules).

Staff read everything; owners change the schema and the intents. (Staff's edits to a conversation's
context and status are staff actions, with their own routes.) A workspace in the path must be the
caller's (or one a user belongs to).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import not_found
from admin.deps import Caller, CurrentCaller
from admin.roles import may_configure
from admin.workspaces.service import membership_for
from core.models import Conversation, Workspace
from core.web import Db
from understanding import context, service
from understanding.api.schemas import ChangePublic, ContextPublic, IntentsPublic, IntentUpdate
from understanding.schema import STATUS, SchemaSpec
from understanding.sentiment import trend
from understanding.stage import NEEDS_LLM
from understanding.templates import DEFAULT_INTENTS, TEMPLATES

router = APIRouter(tags=["context"])
BASE = "/context/workspaces/{workspace_id}"
SCHEMA_EXAMPLE = {"template": "front_desk"}


async def _workspace(s: AsyncSession, caller: Caller, ref: str, *, write: bool) -> Workspace:
    own = await s.get(Workspace, caller.workspace_id)
    workspace, role = (own, caller.role) if own is not None and ref in (own.id, own.slug) else (None, caller.role)
    if workspace is None and caller.user_id is not None:
        found = await membership_for(s, user_id=caller.user_id, ref=ref)
        if found is not None:
            workspace, role = found
    if workspace is None:
        raise not_found("workspace")
    if write and not may_configure(role):
        raise HTTPException(403, "only the workspace's owners and admins can change its context schema and intents")
    return workspace


async def context_view(s: AsyncSession, ws: Workspace, conv: Conversation) -> ContextPublic:
    """A conversation's context as staff see it: fields, status and where it may go, what is missing,
    what understanding read, and the history. Also the answer to staff's edits."""
    schema = await context.schema_for(s, ws.id)
    values = await context.read_context(s, conv.id)
    reading = await service.reading_of(s, conv.id)
    status = values.get(STATUS)
    workflow = schema.workflow if schema is not None else None
    nexts = workflow.transitions.get(status or workflow.initial, []) if workflow is not None else []
    return ContextPublic(
        conversation_id=conv.id,
        fields={k: v for k, v in values.items() if k != STATUS},
        status=status,
        next_statuses=list(nexts),
        missing=schema.missing(values) if schema is not None else [],
        priority=conv.priority,
        intent=None
        if reading is None or reading.intent is None
        else {"name": reading.intent, "confidence": reading.intent_confidence},
        sentiment=None
        if reading is None or reading.sentiment is None
        else {
            "label": reading.sentiment,
            "score": reading.sentiment_score,
            "cause": reading.sentiment_cause,
            "trend": trend(reading.sentiment_history or []),
        },
        summary=(
            reading.summary if reading is not None and reading.summary else {"needs_llm": True, "note": NEEDS_LLM}
        ),
        history=[ChangePublic.of(c) for c in await context.history(s, conv.id)],
    )


@router.get(BASE + "/schema", summary="The workspace's context schema (null when it has none)")
async def get_schema(workspace_id: str, caller: CurrentCaller, db: Db) -> dict[str, Any] | None:
    async with db.reader() as s:
        ws = await _workspace(s, caller, workspace_id, write=False)
        spec = await context.schema_for(s, ws.id)
        return spec.model_dump(mode="json") if spec is not None else None


@router.put(BASE + "/schema", summary='Save the context schema, or install a template ({"template": ...})')
async def put_schema(
    workspace_id: str, caller: CurrentCaller, db: Db, body: dict[str, Any] = Body(..., examples=[SCHEMA_EXAMPLE])
) -> dict[str, Any]:
    data = body
    if set(body) == {"template"}:
        found = TEMPLATES.get(str(body["template"]))
        if found is None:
            raise HTTPException(422, f"no such template; there are {', '.join(TEMPLATES)}")
        data = found
    try:
        spec = SchemaSpec.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise HTTPException(422, {"message": "this schema cannot be saved", "problems": problems}) from None
    async with db.session() as s:
        ws = await _workspace(s, caller, workspace_id, write=True)
        await context.save_schema(s, workspace_id=ws.id, spec=spec)
    return spec.model_dump(mode="json")


@router.get(BASE + "/intents", response_model=IntentsPublic, summary="The intents messages are sorted into")
async def get_intents(workspace_id: str, caller: CurrentCaller, db: Db) -> IntentsPublic:
    async with db.reader() as s:
        ws = await _workspace(s, caller, workspace_id, write=False)
        own = [
            IntentUpdate(name=r.name, description=r.description, examples=list(r.examples))
            for r in await service.own_intents(s, ws.id)
        ]
    if own:
        return IntentsPublic(template=False, intents=own)
    shipped = [IntentUpdate(name=n, examples=e) for n, e in DEFAULT_INTENTS.items()]
    return IntentsPublic(template=True, intents=shipped)


@router.put(BASE + "/intents", response_model=IntentsPublic, summary="Replace the workspace's intents")
async def put_intents(workspace_id: str, body: list[IntentUpdate], caller: CurrentCaller, db: Db) -> IntentsPublic:
    drafts = [service.IntentDraft(i.name, i.description, i.examples) for i in body]
    if (problem := service.intents_problem(drafts)) is not None:
        raise HTTPException(422, problem)
    async with db.session() as s:
        ws = await _workspace(s, caller, workspace_id, write=True)
        current = await service.replace_intents(s, ws.id, drafts)
    return IntentsPublic(template=not body, intents=[IntentUpdate(name=n, examples=e) for n, e in current.items()])


@router.get(BASE + "/conversations/{conversation_id}", response_model=ContextPublic, summary="A conversation's context")
async def get_context(workspace_id: str, conversation_id: str, caller: CurrentCaller, db: Db) -> ContextPublic:
    async with db.reader() as s:
        ws = await _workspace(s, caller, workspace_id, write=False)
        conv = await service.conversation_of(s, ws.id, conversation_id)
        if conv is None:
            raise not_found("conversation")
        return await context_view(s, ws, conv)
