"""Staff's actions on a conversation's context, under /context/workspaces/{id}/ (seed 1's paths):
editing its fields and moving its status along the workflow. The schema, the intents and reading a
context are understanding's (understanding.api).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import not_found
from admin.context.schemas import ContextUpdate, StatusUpdate
from admin.deps import Caller, CallerDependency
from admin.workspaces.service import membership_for
from core.models import Conversation, Workspace
from understanding import context
from understanding.api.routes import context_view
from understanding.api.schemas import ContextPublic
from understanding.schema import STATUS

if TYPE_CHECKING:
    from bot.runtime import Runtime


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
            return await context_view(s, ws, await _conversation(s, ws, conversation_id))

    return router
