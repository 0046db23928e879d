"""Context: the workspace's schema and intents, and each conversation's context, under
/context/workspaces/{id}/ (seed 1's paths, beside the rules).

Staff read everything and edit a conversation's context and status; owners change the schema and
the intents. A workspace in the path must be the caller's (or one a user belongs to).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Body, Depends, HTTPException
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import not_found
from admin.context.schemas import (
    ChangePublic,
    ContextPublic,
    ContextUpdate,
    IntentsPublic,
    IntentUpdate,
    StatusUpdate,
)
from admin.deps import Caller, CallerDependency
from admin.workspaces.service import membership_for
from core.models import Conversation, Workspace
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


def refused(exc: context.ContextRefused) -> HTTPException:
    return HTTPException(422, {"message": "this change cannot be made", "problems": exc.problems})


async def _view(s: AsyncSession, ws: Workspace, conv: Conversation) -> ContextPublic:
    schema = await context.schema_for(s, ws.id)
    values = await context.read_context(s, conv.id)
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

    async def _fire(ws_id: str, conv_id: str, changes: list[Any]) -> None:
        """The owner's context_changed / status_changed rules, as for a rule's own change."""
        previous = {f"context.{c.field}": c.old_value for c in changes}
        if previous:
            await runtime.rules.events.fire_safely(
                "context_changed", workspace_id=ws_id, conversation_id=conv_id, previous=previous,
                key=f"staff:{uuid.uuid4()}",
            )  # fmt: skip

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

    @router.patch(
        base + "/conversations/{conversation_id}", response_model=ContextPublic, summary="Staff edit a context"
    )
    async def edit_context(
        workspace_id: str, conversation_id: str, body: ContextUpdate, caller: Caller = Depends(current_caller)
    ) -> ContextPublic:
        proposed = [context.Proposed(k, v) for k, v in body.fields.items()]
        return await _change(workspace_id, conversation_id, proposed, caller)

    @router.post(
        base + "/conversations/{conversation_id}/status",
        response_model=ContextPublic,
        summary="Move a conversation along the workflow",
        responses={409: {"description": "the workflow does not allow this move"}},
    )
    async def move_status(
        workspace_id: str, conversation_id: str, body: StatusUpdate, caller: Caller = Depends(current_caller)
    ) -> ContextPublic:
        try:
            return await _change(workspace_id, conversation_id, [context.Proposed(STATUS, body.status)], caller)
        except HTTPException as exc:
            if exc.status_code == 422 and isinstance(exc.detail, dict) and STATUS in exc.detail.get("problems", {}):
                raise HTTPException(409, exc.detail["problems"][STATUS]) from None
            raise

    async def _change(
        workspace_id: str, conversation_id: str, proposed: list[context.Proposed], caller: Caller
    ) -> ContextPublic:
        try:
            async with db.session() as s:
                ws = await _workspace(s, caller, workspace_id, write=False)
                conv = await _conversation(s, ws, conversation_id)
                changes = await context.change(
                    s, workspace_id=ws.id, conversation_id=conv.id, proposed=proposed, source="staff",
                    actor=caller.user_id or f"api token {caller.token_id[:8]}",
                    schema=await context.schema_for(s, ws.id), timezone=ws.timezone or "UTC",
                    region=runtime.settings.understanding_phone_region,
                )  # fmt: skip
        except context.ContextRefused as exc:
            raise refused(exc) from None
        await _fire(ws.id, conv.id, changes)
        async with db.reader() as s:
            return await _view(s, ws, await _conversation(s, ws, conversation_id))

    return router
