"""Context: the workspace's schema and intents, and each conversation's context, under
/context/workspaces/{id}/ (seed 1's paths, beside the rules).

Staff read everything; owners change the schema and the intents. Staff's edits of a conversation's
context and status are staff actions (staff/api/context.py). A workspace in the path must be the
caller's (or one a user belongs to).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Body, Depends, HTTPException
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import not_found
from admin.context.schemas import ChangePublic, ContextPublic, IntentsPublic, IntentUpdate
from admin.deps import Caller, CallerDependency
from admin.workspaces.service import membership_for
from core.models import Conversation, Workspace
from rules.facts import read_context
from understanding import context
from understanding.models import ConversationReading, Intent
from understanding.schema import STATUS, SchemaSpec
from understanding.sentiment import trend
from understanding.stage import NEEDS_LLM, intents_for
from understanding.templates import DEFAULT_INTENTS, TEMPLATES

if TYPE_CHECKING:
    from bot.runtime import Runtime

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
    if write and role != "owner":
        raise HTTPException(403, "only the workspace's owners can change its context schema and intents")
    return workspace


async def _conversation(s: AsyncSession, ws: Workspace, conversation_id: str) -> Conversation:
    conv = await s.get(Conversation, conversation_id)
    if conv is None or conv.workspace_id != ws.id:
        raise not_found("conversation")
    return conv


async def _view(s: AsyncSession, ws: Workspace, conv: Conversation) -> ContextPublic:
    schema = await context.schema_for(s, ws.id)
    values = await read_context(s, conv.id)
    reading = await s.get(ConversationReading, conv.id)
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


def build_router(runtime: Runtime, current_caller: CallerDependency) -> APIRouter:
    db = runtime.db
    router = APIRouter(tags=["context"])
    base = "/context/workspaces/{workspace_id}"

    @router.get(base + "/schema", summary="The workspace's context schema (null when it has none)")
    async def get_schema(workspace_id: str, caller: Caller = Depends(current_caller)) -> dict[str, Any] | None:
        async with db.reader() as s:
            ws = await _workspace(s, caller, workspace_id, write=False)
            spec = await context.schema_for(s, ws.id)
            return spec.model_dump(mode="json") if spec is not None else None

    @router.put(base + "/schema", summary='Save the context schema, or install a template ({"template": ...})')
    async def put_schema(
        workspace_id: str,
        body: dict[str, Any] = Body(..., examples=[SCHEMA_EXAMPLE]),
        caller: Caller = Depends(current_caller),
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

    @router.get(base + "/intents", response_model=IntentsPublic, summary="The intents messages are sorted into")
    async def get_intents(workspace_id: str, caller: Caller = Depends(current_caller)) -> IntentsPublic:
        async with db.reader() as s:
            ws = await _workspace(s, caller, workspace_id, write=False)
            rows = (await s.execute(select(Intent).where(Intent.workspace_id == ws.id).order_by(Intent.name))).scalars()
            own = [IntentUpdate(name=r.name, description=r.description, examples=list(r.examples)) for r in rows]
        if own:
            return IntentsPublic(template=False, intents=own)
        shipped = [IntentUpdate(name=n, examples=e) for n, e in DEFAULT_INTENTS.items()]
        return IntentsPublic(template=True, intents=shipped)

    @router.put(base + "/intents", response_model=IntentsPublic, summary="Replace the workspace's intents")
    async def put_intents(
        workspace_id: str, body: list[IntentUpdate], caller: Caller = Depends(current_caller)
    ) -> IntentsPublic:
        names = [i.name for i in body]
        if len(names) != len(set(names)):
            raise HTTPException(422, "two intents have the same name")
        if len(body) == 1:
            raise HTTPException(422, "define two intents at least (or none, for the shipped ones)")
        async with db.session() as s:
            ws = await _workspace(s, caller, workspace_id, write=True)
            await s.execute(delete(Intent).where(Intent.workspace_id == ws.id))
            s.add_all(
                Intent(workspace_id=ws.id, name=i.name, description=i.description, examples=i.examples) for i in body
            )
            await s.flush()
            current = await intents_for(s, ws.id)
        return IntentsPublic(template=not body, intents=[IntentUpdate(name=n, examples=e) for n, e in current.items()])

    @router.get(
        base + "/conversations/{conversation_id}", response_model=ContextPublic, summary="A conversation's context"
    )
    async def get_context(
        workspace_id: str, conversation_id: str, caller: Caller = Depends(current_caller)
    ) -> ContextPublic:
        async with db.reader() as s:
            ws = await _workspace(s, caller, workspace_id, write=False)
            return await _view(s, ws, await _conversation(s, ws, conversation_id))

    return router
