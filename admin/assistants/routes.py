"""/assistants: the workspace's assistants. Owners change them; staff may look."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Response
from sqlalchemy.exc import IntegrityError

from admin.assistants import checks, service, trial
from admin.assistants.schemas import (
    AssistantCreate,
    AssistantPublic,
    AssistantUpdate,
    ModelCheckPublic,
    ModelSettingsUpdate,
    TryCreate,
    TryPublic,
)
from admin.common import conflict, not_found, unprocessable
from admin.deps import Caller, CurrentCaller, require_admin
from core.assistants import LLMProvider
from core.models import Assistant
from core.pipeline import Pipeline
from core.web import Box, Db, part

Models = Annotated[LLMProvider, Depends(part("llms"))]
Stages = Annotated[Pipeline, Depends(part("pipeline"))]
Limits = Annotated[trial.TryLimits, Depends(part("try_limits"))]

SLUG_TAKEN = "that slug is taken"

router = APIRouter(prefix="/assistants", tags=["assistants"])


@router.get("", response_model=list[AssistantPublic])
async def list_assistants(caller: CurrentCaller, db: Db) -> list[AssistantPublic]:
    async with db.reader() as s:
        rows = await service.list_all(s, workspace_id=caller.workspace_id)
    return [AssistantPublic.of(a) for a in rows]


@router.post("", status_code=201, response_model=AssistantPublic)
async def create(body: AssistantCreate, caller: CurrentCaller, db: Db, box: Box) -> AssistantPublic:
    require_admin(caller)
    try:
        async with db.session() as s:
            assistant = await service.create(s, box, workspace_id=caller.workspace_id, data=body)
    except (service.SlugTaken, IntegrityError) as exc:
        raise conflict(SLUG_TAKEN) from exc
    except ValueError as exc:
        raise unprocessable(str(exc)) from exc
    return AssistantPublic.of(assistant)


@router.get("/{assistant_id}", response_model=AssistantPublic)
async def get(assistant_id: str, caller: CurrentCaller, db: Db) -> AssistantPublic:
    async with db.reader() as s:
        assistant = await service.get(s, workspace_id=caller.workspace_id, assistant_id=assistant_id)
    if assistant is None:
        raise not_found("assistant")
    return AssistantPublic.of(assistant)


@router.patch("/{assistant_id}", response_model=AssistantPublic)
async def patch(assistant_id: str, body: AssistantUpdate, caller: CurrentCaller, db: Db, box: Box) -> AssistantPublic:
    try:
        async with db.session() as s:
            assistant = await service.get(s, workspace_id=caller.workspace_id, assistant_id=assistant_id)
            if assistant is None:
                raise not_found("assistant")
            require_admin(caller)
            assistant = await service.update(s, box, assistant=assistant, changes=body.changes())
    except (service.SlugTaken, IntegrityError) as exc:
        raise conflict(SLUG_TAKEN) from exc
    except ValueError as exc:
        raise unprocessable(str(exc)) from exc
    return AssistantPublic.of(assistant)


@router.delete("/{assistant_id}", status_code=204)
async def remove(assistant_id: str, caller: CurrentCaller, db: Db) -> Response:
    try:
        async with db.session() as s:
            assistant = await service.get(s, workspace_id=caller.workspace_id, assistant_id=assistant_id)
            if assistant is None:
                raise not_found("assistant")
            require_admin(caller)
            await service.remove(s, assistant=assistant)
    except service.LastAssistant as exc:
        raise conflict(str(exc)) from exc
    return Response(status_code=204)


async def _owned(db: Db, caller: Caller, assistant_id: str) -> Assistant:
    async with db.reader() as s:
        assistant = await service.get(s, workspace_id=caller.workspace_id, assistant_id=assistant_id)
    if assistant is None:
        raise not_found("assistant")
    require_admin(caller)
    return assistant


def too_many(exc: trial.TooMany) -> HTTPException:
    return HTTPException(429, str(exc), headers={"Retry-After": str(max(1, round(exc.seconds)))})


@router.post(
    "/{assistant_id}/model-check",
    response_model=list[ModelCheckPublic],
    summary="Call the model endpoint once (and its fallback) and say whether it answers; nothing is saved",
)
async def model_check(
    assistant_id: str,
    caller: CurrentCaller,
    db: Db,
    box: Box,
    llms: Models,
    limits: Limits,
    body: Annotated[ModelSettingsUpdate | None, Body()] = None,
) -> list[ModelCheckPublic]:
    """The body is settings as PATCH takes them (a redacted key means the stored one); without one,
    the assistant's settings as they are (its own, or the server's defaults)."""
    assistant = await _owned(db, caller, assistant_id)
    try:
        settings = checks.to_check(box, assistant, body) if body and body.model_fields_set else None
    except ValueError as exc:
        raise unprocessable(str(exc)) from exc
    wait = limits.rate.take(f"{caller.workspace_id}:{caller.user_id or caller.token_id}")
    if wait:
        raise too_many(trial.TooMany(wait))
    found = await checks.check_model(settings or llms.settings_for(assistant))
    return [ModelCheckPublic(endpoint=c.endpoint, ok=c.ok, message=c.message) for c in found]


@router.post(
    "/{assistant_id}/try",
    response_model=TryPublic,
    summary="Run a sample message through the pipeline as a dry run: each stage's result, nothing sent",
)
async def try_it(
    assistant_id: str, body: TryCreate, caller: CurrentCaller, db: Db, pipeline: Stages, limits: Limits
) -> TryPublic:
    assistant = await _owned(db, caller, assistant_id)
    try:
        return await trial.try_message(
            pipeline, limits, who=f"{caller.workspace_id}:{caller.user_id or caller.token_id}",
            assistant=assistant, text=body.message, channel=body.channel.value,
        )  # fmt: skip
    except trial.TooMany as exc:
        raise too_many(exc) from exc
    except ValueError as exc:
        raise unprocessable(str(exc)) from exc
