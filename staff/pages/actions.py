"""The conversation page's actions, as POST forms (with the session's CSRF token, admin.web.pages):
approve (as it is, or edited), reject with a reason, take over, hand back, reply, save as an answer,
context fields, the workflow's status, the inbox status, priority, assignee and tags, and retrying a
turn that failed (as `POST /api/v1/inbox/{inbox_id}/retry`).

Each is one call of the staff service (staff.service.StaffActions, face "web"), which checks the
workspace: another workspace's conversation or draft is the 404 page, and nothing changes. Done, it
answers 303 back to the conversation (htmx follows it and swaps the page's parts); refused, the
conversation page says why (409 or 422), with what was typed kept in its field.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from admin.common import MAX_ROW_ID
from admin.web.pages import page_router, see_other
from admin.web.session import CurrentPerson, SignedIn
from core.db import Database
from core.media.storage import Storage
from core.web import Db
from staff import queries
from staff.conversations import ConversationChanges
from staff.errors import Conflict, NotFound, Refused
from staff.pages.common import CurrentList, ListQuery, Staff, acting, actor, refusal
from staff.pages.conversation import Files, show
from understanding.context import read_context

router = page_router()
BASE = "/inbox/{conversation_id}"
LONGEST = {
    "inbox_id": 20,
    "text": 4000,
    "reason": 500,
    "tag": 50,
    "draft_id": 64,
    "key": 100,
    "assignee": 64,
    "value": 500,
}


class Bad(Exception):
    """A form no page of ours sends."""


def _field(form: FormData, name: str, *, longest: int | None = None) -> str:
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > (longest or LONGEST.get(name, 500)):
        raise Bad(name)
    return value


class Action:
    """One action's request: who, which conversation, the form, and how to answer."""

    def __init__(
        self, request: Request, db: Database, me: SignedIn, storage: Storage, conversation_id: str, query: ListQuery
    ) -> None:
        self.request, self.db, self.me, self.storage = request, db, me, storage
        self.conversation_id, self.query = conversation_id, query
        self.actor = actor(me)
        self.form = FormData()

    async def read(self) -> Action:
        self.form = await self.request.form()
        return self

    def get(self, name: str, *, longest: int | None = None) -> str:
        return _field(self.form, name, longest=longest)

    def done(self, what: str) -> Response:
        return see_other(f"/inbox/{self.conversation_id}{self.query.link(done=what)}")

    async def refused(self, exc: Conflict | Refused, *, field: str | None = None) -> Response:
        status = 409 if isinstance(exc, Conflict) else 422
        problems = dict(exc.problems) if isinstance(exc, Refused) else {}
        if field and not problems:
            problems[field] = refusal(exc)
        sent = {name: value for name, value in self.form.items() if isinstance(value, str) and name != "csrf_token"}
        return await show(
            self.request, self.db, self.me, self.storage, self.conversation_id, self.query,
            status=status, error=refusal(exc), problems=problems, sent=sent,
        )  # fmt: skip

    async def bad(self) -> Response:
        message = "This form was not sent as the page makes it. Reload the page and try again."
        return await show(
            self.request, self.db, self.me, self.storage, self.conversation_id, self.query, status=400, error=message
        )


async def _action(
    request: Request, db: Database, me: SignedIn, storage: Storage, conversation_id: str, query: ListQuery
) -> Action:
    return await Action(request, db, me, storage, conversation_id[:64], query).read()


async def _draft_state(a: Action, draft_id: str) -> str | None:
    """The draft's state, when it is of this conversation (and so of this workspace)."""
    async with a.db.reader() as s:
        draft = await queries.draft(s, workspace_id=a.actor.workspace_id, draft_id=draft_id)
    return draft.state if draft is not None and draft.conversation_id == a.conversation_id else None


@router.post(BASE + "/approve")
async def approve(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, staff: Staff, query: CurrentList
) -> Response:
    a = await _action(request, db, me, storage, conversation_id, query)
    try:
        draft_id, text, save = a.get("draft_id"), a.get("text"), a.get("save_answer") == "yes"
    except Bad:
        return await a.bad()
    state = await _draft_state(a, draft_id)
    with acting():
        if state is None:
            raise NotFound("conversation")
        if state in ("approved", "edited", "sent"):
            return await a.refused(Conflict("This draft was already sent; it was not sent again."))
        try:
            await staff.approve(a.actor, draft_id, text=text or None, save_answer=save)
        except (Conflict, Refused) as exc:
            return await a.refused(exc, field="text")
    return a.done("answer_saved" if save else "approved")


@router.post(BASE + "/reject")
async def reject(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, staff: Staff, query: CurrentList
) -> Response:
    a = await _action(request, db, me, storage, conversation_id, query)
    try:
        draft_id, reason = a.get("draft_id"), a.get("reason")
    except Bad:
        return await a.bad()
    with acting():
        if await _draft_state(a, draft_id) is None:
            raise NotFound("conversation")
        try:
            await staff.reject(a.actor, draft_id, reason=reason)
        except Conflict as exc:
            return await a.refused(exc)
    return a.done("rejected")


@router.post(BASE + "/takeover")
async def take_over(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, staff: Staff, query: CurrentList
) -> Response:
    a = await _action(request, db, me, storage, conversation_id, query)
    try:
        draft_id = a.get("draft_id")
    except Bad:
        return await a.bad()
    state = await _draft_state(a, draft_id) if draft_id else None
    with acting():
        if draft_id and state is None:  # not a draft of this conversation
            raise NotFound("conversation")
        try:
            if state == "pending":
                await staff.take_over(a.actor, draft_id)  # the draft is answered by staff, not sent
            else:
                await staff.take_over_conversation(a.actor, a.conversation_id)
        except Conflict as exc:
            return await a.refused(exc)
    return a.done("taken_over")


@router.post(BASE + "/handback")
async def hand_back(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, staff: Staff, query: CurrentList
) -> Response:
    a = await _action(request, db, me, storage, conversation_id, query)
    with acting():
        await staff.hand_back(a.actor, a.conversation_id)
    return a.done("handed_back")


@router.post(BASE + "/reply")
async def reply(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, staff: Staff, query: CurrentList
) -> Response:
    a = await _action(request, db, me, storage, conversation_id, query)
    try:
        text, key, save = a.get("text"), a.get("key") or str(uuid.uuid4()), a.get("save_answer") == "yes"
    except Bad:
        return await a.bad()
    with acting():
        try:
            await staff.reply(a.actor, a.conversation_id, text, idempotency_key=key, save_answer=save)
        except (Conflict, Refused) as exc:
            return await a.refused(Refused("Write the reply first.") if not text.strip() else exc, field="reply")
    return a.done("replied")


@router.post(BASE + "/triage")
async def triage(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, staff: Staff, query: CurrentList
) -> Response:
    """The inbox status, priority and assignee, as the sidebar's form sends them."""
    a = await _action(request, db, me, storage, conversation_id, query)
    changes: ConversationChanges = {}
    try:
        if status := a.get("status", longest=16):
            changes["status"] = status
        if priority := a.get("priority", longest=16):
            changes["priority"] = priority
        if "assignee" in a.form:
            changes["assigned_user_id"] = a.get("assignee") or None
    except Bad:
        return await a.bad()
    with acting():
        try:
            await staff.change_conversation(a.actor, a.conversation_id, changes)
        except (Conflict, Refused) as exc:
            return await a.refused(exc)
    return a.done("saved")


@router.post(BASE + "/tags")
async def tags(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, staff: Staff, query: CurrentList
) -> Response:
    """Add the typed tag (`add`), or remove one (`remove`)."""
    a = await _action(request, db, me, storage, conversation_id, query)
    try:
        add, remove = " ".join(a.get("add", longest=200).split()), a.get("remove", longest=50)
    except Bad:
        return await a.bad()
    if len(add) > 50:
        return await a.refused(Refused("A tag is at most 50 characters.", {"tag": "At most 50 characters."}))
    async with db.reader() as s:
        found = await queries.conversation(s, workspace_id=me.workspace_id, conversation_id=a.conversation_id)
    with acting():
        if found is None:
            raise NotFound("conversation")
        current = list(found[0].tags or [])
        wanted = [t for t in current if t != remove] + ([add] if add and add not in current else [])
        if wanted == current:
            return a.done("saved")
        if len(wanted) > 20:
            return await a.refused(Refused("At most 20 tags.", {"tag": "At most 20 tags on a conversation."}))
        await staff.change_conversation(a.actor, a.conversation_id, {"tags": wanted})
    return a.done("saved")


@router.post(BASE + "/status")
async def workflow_status(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, staff: Staff, query: CurrentList
) -> Response:
    """A move along the workspace's workflow (only the allowed ones are offered)."""
    a = await _action(request, db, me, storage, conversation_id, query)
    try:
        status = a.get("status", longest=64)
    except Bad:
        return await a.bad()
    with acting():
        try:
            await staff.move_status(a.actor, a.conversation_id, status)
        except (Conflict, Refused) as exc:
            return await a.refused(exc, field="workflow")
    return a.done("saved")


@router.post(BASE + "/context")
async def context(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, staff: Staff, query: CurrentList
) -> Response:
    """The context fields as edited: those that changed are set (an emptied one is cleared); all or
    nothing, each checked against the workspace's schema, problems shown beside their fields."""
    a = await _action(request, db, me, storage, conversation_id, query)
    try:
        sent = {name[6:]: a.get(name, longest=500).strip() for name in a.form if name.startswith("field.")}
    except Bad:
        return await a.bad()
    with acting():
        async with db.reader() as s:
            if await queries.conversation(s, workspace_id=me.workspace_id, conversation_id=a.conversation_id) is None:
                raise NotFound("conversation")
            current = await read_context(s, a.conversation_id)
        changed: dict[str, Any] = {
            name: value or None for name, value in sent.items() if value != _shown(current.get(name))
        }
        if not changed:
            return a.done("saved")
        try:
            await staff.edit_context(a.actor, a.conversation_id, changed)
        except (Conflict, Refused) as exc:
            return await a.refused(exc)
    return a.done("saved")


@router.post(BASE + "/retry")
async def retry(
    conversation_id: str, request: Request, db: Db, me: CurrentPerson, storage: Files, staff: Staff, query: CurrentList
) -> Response:
    """Put a turn that failed for good back in the queue (StaffActions.retry_turn, as the API does)."""
    a = await _action(request, db, me, storage, conversation_id, query)
    try:
        inbox_id = a.get("inbox_id")
    except Bad:
        return await a.bad()
    with acting():
        async with db.reader() as s:
            if not await queries.exists(s, workspace_id=me.workspace_id, conversation_id=a.conversation_id):
                raise NotFound("conversation")
        if not inbox_id.isdigit() or not 0 < int(inbox_id) <= MAX_ROW_ID:
            return await a.bad()
        try:
            await staff.retry_turn(a.actor, int(inbox_id))
        except NotFound:
            # Not a failed turn of this workspace: retried meanwhile, or an id the page never showed.
            return await a.refused(
                Refused("That message is not waiting to be retried: it may have been retried already.")
            )
    return a.done("retried")


def _shown(value: Any) -> str:
    """A context value as its field shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
