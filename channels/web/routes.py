"""Web chat routes: POST /api/v1/chat, GET /api/v1/chat/{session_id}/messages, GET /chat/{slug}.

`build_router` (the channel's `router()`) declares the routes; what each one does is a function
below, given the channel's parts."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import or_, select

from channels.web.schemas import ChatHistoryPublic, ChatMessagePublic, ChatPublic, ChatStatus
from channels.web.upload import CHAT_REQUEST_BODY, max_upload_bytes, read_chat_request
from core.channels import AcceptFn
from core.inbox import TurnOutcome, turn_outcome
from core.messages import ChannelKind, Citation, InboundMessage, Sender
from core.models import Assistant, Conversation, Message, Workspace
from core.ratelimit import RateLimiter

if TYPE_CHECKING:
    from channels.web.channel import WebChannel
    from core.db import Database

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
STATUS: dict[str | None, ChatStatus] = {
    "auto_send": "sent",
    "needs_approval": "pending_approval",
    "handoff": "handed_off",
    "silent": "handed_off",
}
ROLE: dict[str, Literal["customer", "assistant", "staff", "system"]] = {
    "contact": "customer",
    "assistant": "assistant",
    "staff": "staff",
    "system": "system",
}


def build_router(channel: WebChannel, accept: AcceptFn) -> APIRouter:
    limits = ChatLimits(channel.settings.chat_rate_per_minute)
    router = APIRouter(tags=["web chat"])

    @router.post(
        "/api/v1/chat",
        response_model=ChatPublic,
        summary="Send a customer message (JSON), or a voice note or file (multipart), and get the reply "
        "if it is ready in time",
        openapi_extra=CHAT_REQUEST_BODY,
    )
    async def chat(request: Request) -> ChatPublic:
        return await send_message(channel, accept, limits, request)

    @router.get(
        "/api/v1/chat/{session_id}/messages",
        response_model=ChatHistoryPublic,
        summary="The conversation so far; pass ?after=<message id> to poll for new messages",
    )
    async def history(
        request: Request,
        session_id: uuid.UUID,
        after: str | None = Query(None, max_length=64),
        agent: str | None = Query(None, max_length=64),
    ) -> ChatHistoryPublic:
        return await chat_history(channel, request, session_id, after=after, agent=agent)

    @router.get("/chat/{workspace_slug}", response_class=HTMLResponse, include_in_schema=False)
    async def page(workspace_slug: str, request: Request) -> HTMLResponse:
        return await chat_page(channel, workspace_slug, request)

    return router


class ChatLimits:
    """Messages per minute per chat session, and four times that per client address."""

    def __init__(self, per_minute: int) -> None:
        self.per_session = RateLimiter(per_minute)
        self.per_ip = RateLimiter(per_minute * 4)

    def take(self, request: Request, session_id: uuid.UUID) -> None:
        ip = request.client.host if request.client else "unknown"
        wait = max(self.per_session.take(f"s:{session_id}"), self.per_ip.take(f"ip:{ip}"))
        if wait:
            raise HTTPException(429, "too many messages; slow down", headers={"Retry-After": str(max(1, round(wait)))})


async def find_assistant(db: Database, agent: str) -> Assistant:
    async with db.reader() as s:
        assistant = (
            await s.get(Assistant, agent)
            or (await s.execute(select(Assistant).where(Assistant.slug == agent))).scalar_one_or_none()
        )
    if assistant is None:
        raise HTTPException(404, "unknown agent")
    return assistant


async def send_message(channel: WebChannel, accept: AcceptFn, limits: ChatLimits, request: Request) -> ChatPublic:
    settings = channel.settings
    body = await read_chat_request(
        request, storage=channel.storage, max_json=settings.max_body_bytes, max_file=max_upload_bytes(settings)
    )
    if len(body.message) > settings.max_message_chars:
        raise HTTPException(413, f"message is longer than {settings.max_message_chars} characters")
    assistant = await find_assistant(channel.db, body.agent)
    await channel.origins.check(request, assistant.workspace_id)
    session_id = body.session_id or uuid.uuid4()
    limits.take(request, session_id)
    result = await accept(
        InboundMessage(
            workspace_id=assistant.workspace_id,
            channel=ChannelKind.web,
            account=assistant.id,
            assistant_id=assistant.id,
            external_id=body.message_id or str(uuid.uuid4()),
            thread=str(session_id),
            sender=Sender(id=str(session_id), display_name="Web visitor"),
            text=body.message,
            attachments=(body.attachment,) if body.attachment else (),
            raw={"agent": body.agent, "session_id": str(session_id), "message_id": body.message_id},
        )
    )
    outcome = await await_outcome(channel, result.inbox_id)
    status: ChatStatus = STATUS.get(outcome.decision, "handed_off") if outcome.finished else "processing"
    return ChatPublic(
        agent=assistant.slug,
        message=body.message,
        session_id=session_id,
        response=outcome.reply,
        status=status,
        citations=[Citation.model_validate(c) for c in outcome.citations],
    )


async def await_outcome(channel: WebChannel, inbox_id: int) -> TurnOutcome:
    """The turn's outcome once it is finished, or as it stands when the chat's wait is over."""
    deadline = time.monotonic() + channel.settings.chat_wait_seconds
    with channel.wakeup.watching_turn(inbox_id) as finished:
        while True:
            outcome = await turn_outcome(channel.db, inbox_id)
            remaining = deadline - time.monotonic()
            if outcome.finished or remaining <= 0:
                return outcome
            # An in-process worker wakes us at once; a separate worker process is polled for.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), min(remaining, 0.5))
            finished.clear()


async def chat_history(
    channel: WebChannel, request: Request, session_id: uuid.UUID, *, after: str | None, agent: str | None
) -> ChatHistoryPublic:
    db = channel.db
    async with db.reader() as s:
        query = select(Conversation).where(Conversation.channel == "web", Conversation.thread == str(session_id))
        if agent:
            query = query.where(Conversation.account == (await find_assistant(db, agent)).id)
        conversation = (await s.execute(query.order_by(Conversation.created_at.desc()).limit(1))).scalar_one_or_none()
        if conversation is None:
            raise HTTPException(404, "no such chat session")
        await channel.origins.check(request, conversation.workspace_id)
        rows = select(Message).where(
            Message.conversation_id == conversation.id,
            or_(Message.direction == "in", Message.status.in_(("sent", "delivered", "read"))),
        )
        if after:
            anchor = (
                await s.execute(
                    select(Message.created_at).where(Message.id == after, Message.conversation_id == conversation.id)
                )
            ).scalar_one_or_none()
            if anchor is None:
                raise HTTPException(400, "`after` is not a message of this chat")
            rows = rows.where(Message.created_at > anchor)
        messages = (await s.execute(rows.order_by(Message.created_at, Message.id).limit(500))).scalars()
        return ChatHistoryPublic(
            session_id=session_id,
            messages=[
                ChatMessagePublic(
                    id=m.id,
                    role=ROLE.get(m.author, "system"),
                    text=m.text,
                    created_at=m.created_at,
                    citations=[Citation.model_validate(c) for c in m.citations or []],
                )
                for m in messages
            ],
        )


async def chat_page(channel: WebChannel, workspace_slug: str, request: Request) -> HTMLResponse:
    async with channel.db.reader() as s:
        workspace = (await s.execute(select(Workspace).where(Workspace.slug == workspace_slug))).scalar_one_or_none()
        assistant = None
        if workspace is not None:
            first = select(Assistant).where(Assistant.workspace_id == workspace.id).order_by(Assistant.created_at)
            assistant = (await s.execute(first.limit(1))).scalar_one_or_none()
    if workspace is None or assistant is None:
        raise HTTPException(404, "no such chat")
    return TEMPLATES.TemplateResponse(
        request,
        "chat.html",
        {"workspace": workspace, "assistant": assistant, "wait_ms": int(channel.settings.chat_wait_seconds * 1000)},
        # Only this server and the business's own sites may show the page in a frame.
        headers={"Content-Security-Policy": channel.origins.frame_ancestors(workspace.chat_origins or [])},
    )
