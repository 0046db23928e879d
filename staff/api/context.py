"""Staff's edits of a conversation's context under /context/workspaces/{id}/conversations/{cid}:
set fields, and move the status along the workflow. Reading the context (and the schema and
intents beside it) is understanding's API; both answer the same view of the context.

A workspace in the path must be the caller's, or one the calling user belongs to.
"""

from __future__ import annotations

from fastapi import APIRouter

from admin.common import not_found
from admin.deps import Caller, CurrentCaller
from admin.workspaces.service import membership_for
from core.db import Database
from core.models import Conversation, Workspace
from core.web import Db
from staff.actor import Actor
from staff.api.deps import Staff, actor_of, answering
from staff.api.schemas import ContextUpdate, StatusUpdate
from understanding.api.routes import context_view
from understanding.api.schemas import ContextPublic

router = APIRouter(tags=["context"])
CONVERSATION = "/context/workspaces/{workspace_id}/conversations/{conversation_id}"


async def _actor(db: Database, caller: Caller, ref: str) -> Actor:
    """The caller acting in the workspace the path names."""
    async with db.reader() as s:
        own = await s.get(Workspace, caller.workspace_id)
        if own is not None and ref in (own.id, own.slug):
            return actor_of(caller)
        found = await membership_for(s, user_id=caller.user_id, ref=ref) if caller.user_id else None
    if found is None:
        raise not_found("workspace")
    return actor_of(caller, found[0].id)


async def _context(db: Database, actor: Actor, conversation_id: str) -> ContextPublic:
    async with db.reader() as s:
        workspace = await s.get(Workspace, actor.workspace_id)
        conversation = await s.get(Conversation, conversation_id)
        if workspace is None or conversation is None or conversation.workspace_id != workspace.id:
            raise not_found("conversation")
        return await context_view(s, workspace, conversation)


@router.patch(CONVERSATION, response_model=ContextPublic, summary="Staff edit a context")
async def edit_context(
    workspace_id: str, conversation_id: str, body: ContextUpdate, caller: CurrentCaller, db: Db, staff: Staff
) -> ContextPublic:
    actor = await _actor(db, caller, workspace_id)
    with answering():
        await staff.edit_context(actor, conversation_id, body.fields)
    return await _context(db, actor, conversation_id)


@router.post(
    CONVERSATION + "/status",
    response_model=ContextPublic,
    summary="Move a conversation along the workflow",
    responses={409: {"description": "the workflow does not allow this move"}},
)
async def move_status(
    workspace_id: str, conversation_id: str, body: StatusUpdate, caller: CurrentCaller, db: Db, staff: Staff
) -> ContextPublic:
    actor = await _actor(db, caller, workspace_id)
    with answering():
        await staff.move_status(actor, conversation_id, body.status)
    return await _context(db, actor, conversation_id)
