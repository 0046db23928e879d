"""Rules: CRUD under /context/workspaces/{id}/rules/ (seed 1's paths), the execution log, business
hours, and /rules/test, /rules/{id}/replay, /rules/vocabulary and /rules/templates.

Reading is for staff; changing rules, hours and installing packs is for owners. A workspace in the
path must be the caller's (or, for a user, one they belong to); any other is simply not found.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import not_found, unprocessable
from admin.deps import Caller, CurrentCaller, require_admin
from admin.roles import may_configure
from admin.workspaces.service import membership_for
from core.crypto import SecretBox
from core.db import Database
from core.models import Workspace
from core.web import Db, part
from rules import business_hours, schema, service, templates, trial, vocabulary
from rules.api.schemas import (
    BusinessHoursUpdate,
    ExecutionPublic,
    InstallResult,
    RulePublic,
    RuleTest,
)
from rules.runtime import RuleEngine

Engine = Annotated[RuleEngine, Depends(part("rules"))]
Box = Annotated[SecretBox, Depends(part("box"))]

router = APIRouter(tags=["rules"])
BASE = "/context/workspaces/{workspace_id}"

RULE_EXAMPLE = {
    "name": "after-hours reply",
    "trigger": {"type": "message_received"},
    "conditions": {"variable": "time.within_business_hours", "operator": "is_false"},
    "actions": [{"type": "reply", "template": "We're closed; we open {{ next_opening }}."}],
}


def invalid(exc: schema.RuleInvalid) -> HTTPException:
    return HTTPException(422, {"message": "this rule cannot be saved", "problems": exc.problems})


async def _workspace(s: AsyncSession, caller: Caller, ref: str, *, write: bool) -> Workspace:
    """The workspace in the path, if the caller may see it (and change it, for writes)."""
    own = await s.get(Workspace, caller.workspace_id)
    workspace, role = (own, caller.role) if own is not None and ref in (own.id, own.slug) else (None, caller.role)
    if workspace is None and caller.user_id is not None:  # a user may name another workspace of theirs
        found = await membership_for(s, user_id=caller.user_id, ref=ref)
        if found is not None:
            workspace, role = found
    if workspace is None:
        raise not_found("workspace")
    if write and not may_configure(role):
        raise HTTPException(403, "only the workspace's owners and admins can change its rules")
    return workspace


@router.get(BASE + "/rules/", response_model=list[RulePublic], summary="The workspace's rules, first-run first")
async def list_rules(workspace_id: str, caller: CurrentCaller, db: Db) -> list[RulePublic]:
    async with db.reader() as s:
        ws = await _workspace(s, caller, workspace_id, write=False)
        return [RulePublic.of(r) for r in await service.listing(s, workspace_id=ws.id)]


@router.post(BASE + "/rules/", status_code=201, response_model=RulePublic, summary="Create a rule")
async def create(
    workspace_id: str,
    caller: CurrentCaller,
    db: Db,
    box: Box,
    engine: Engine,
    body: dict[str, Any] = Body(..., examples=[RULE_EXAMPLE]),
) -> RulePublic:
    try:
        async with db.session() as s:
            ws = await _workspace(s, caller, workspace_id, write=True)
            rule = await service.save(s, workspace_id=ws.id, data=body, box=box)
    except schema.RuleInvalid as exc:
        raise invalid(exc) from exc
    except service.NameTaken as exc:
        raise HTTPException(409, str(exc)) from exc
    engine.book.forget(rule.workspace_id)
    return RulePublic.of(rule)


@router.get(BASE + "/rules/{rule_id}", response_model=RulePublic)
async def get(workspace_id: str, rule_id: str, caller: CurrentCaller, db: Db) -> RulePublic:
    async with db.reader() as s:
        ws = await _workspace(s, caller, workspace_id, write=False)
        rule = await service.get(s, workspace_id=ws.id, rule_id=rule_id)
    if rule is None:
        raise not_found("rule")
    return RulePublic.of(rule)


async def _change(
    db: Database,
    box: SecretBox,
    engine: RuleEngine,
    *,
    workspace_id: str,
    rule_id: str,
    caller: Caller,
    body: dict[str, Any],
    merge: bool,
) -> RulePublic:
    try:
        async with db.session() as s:
            ws = await _workspace(s, caller, workspace_id, write=True)
            rule = await service.get(s, workspace_id=ws.id, rule_id=rule_id)
            if rule is None:
                raise not_found("rule")
            if merge:
                rule = await service.change(s, workspace_id=ws.id, rule=rule, changes=body, box=box)
            else:
                rule = await service.save(s, workspace_id=ws.id, data=body, box=box, rule=rule)
    except schema.RuleInvalid as exc:
        raise invalid(exc) from exc
    except service.NameTaken as exc:
        raise HTTPException(409, str(exc)) from exc
    engine.book.forget(rule.workspace_id)
    return RulePublic.of(rule)


@router.put(BASE + "/rules/{rule_id}", response_model=RulePublic, summary="Replace a rule")
async def replace(
    workspace_id: str,
    rule_id: str,
    caller: CurrentCaller,
    db: Db,
    box: Box,
    engine: Engine,
    body: dict[str, Any] = Body(..., examples=[RULE_EXAMPLE]),
) -> RulePublic:
    return await _change(
        db, box, engine, workspace_id=workspace_id, rule_id=rule_id, caller=caller, body=body, merge=False
    )


@router.patch(
    BASE + "/rules/{rule_id}",
    response_model=RulePublic,
    summary='Change some of a rule\'s fields (e.g. {"active": false})',
)
async def patch(
    workspace_id: str,
    rule_id: str,
    caller: CurrentCaller,
    db: Db,
    box: Box,
    engine: Engine,
    body: dict[str, Any] = Body(..., examples=[{"active": False}]),
) -> RulePublic:
    return await _change(
        db, box, engine, workspace_id=workspace_id, rule_id=rule_id, caller=caller, body=body, merge=True
    )


@router.delete(BASE + "/rules/{rule_id}", status_code=204)
async def delete(workspace_id: str, rule_id: str, caller: CurrentCaller, db: Db, engine: Engine) -> Response:
    async with db.session() as s:
        ws = await _workspace(s, caller, workspace_id, write=True)
        if not await service.delete(s, workspace_id=ws.id, rule_id=rule_id):
            raise not_found("rule")
    engine.book.forget(ws.id)
    return Response(status_code=204)


@router.get(
    BASE + "/rules/{rule_id}/executions",
    response_model=list[ExecutionPublic],
    summary="The rule's execution log, newest first: whether it matched, why, and what each action did",
)
async def executions(
    workspace_id: str, rule_id: str, caller: CurrentCaller, db: Db, limit: int = Query(50, ge=1, le=500)
) -> list[ExecutionPublic]:
    async with db.reader() as s:
        ws = await _workspace(s, caller, workspace_id, write=False)
        if await service.get(s, workspace_id=ws.id, rule_id=rule_id) is None:
            raise not_found("rule")
        return [
            ExecutionPublic.of(r) for r in await service.executions(s, workspace_id=ws.id, rule_id=rule_id, limit=limit)
        ]


@router.get(BASE + "/business-hours", summary="The workspace's timezone, business hours and closures")
async def read_business_hours(workspace_id: str, caller: CurrentCaller, db: Db) -> dict[str, Any]:
    async with db.reader() as s:
        return business_hours.shown(await _workspace(s, caller, workspace_id, write=False))


@router.put(BASE + "/business-hours", summary="Set the workspace's timezone, business hours and closures")
async def set_business_hours(
    workspace_id: str, body: BusinessHoursUpdate, caller: CurrentCaller, db: Db
) -> dict[str, Any]:
    async with db.session() as s:
        ws = await _workspace(s, caller, workspace_id, write=True)
        return await business_hours.save(
            s,
            ws,
            timezone=body.timezone,
            business_hours=body.business_hours,
            set_hours="business_hours" in body.model_fields_set,
        )


# --- trying rules, the vocabulary, templates -----------------------------------------------------


@router.post("/rules/test", summary="Run a rule (saved or not) against a sample message; nothing is sent")
async def test(body: RuleTest, caller: CurrentCaller, db: Db, engine: Engine) -> dict[str, Any]:
    async with db.reader() as s:
        ws = await s.get(Workspace, caller.workspace_id)
        if ws is None:
            raise not_found("workspace")
        rule_id = "unsaved"
        if body.rule_id is not None:
            rule = await service.get(s, workspace_id=ws.id, rule_id=body.rule_id)
            if rule is None:
                raise not_found("rule")
            spec_data, rule_id = rule.spec, rule.id
        else:
            spec_data = body.rule or {}
    try:
        spec = schema.validate(spec_data)
    except schema.RuleInvalid as exc:
        raise invalid(exc) from exc
    sit = trial.sample_situation(
        ws,
        now=body.at or engine.clock(),
        text=body.message.text,
        channel=body.message.channel,
        attachments=list(body.message.attachments),
        context=body.context,
        conversation=body.conversation.model_dump(),
        contact=body.contact.model_dump(),
        understanding=body.understanding,
        minutes_since_staff_message=body.minutes_since_staff_message,
    )
    return await trial.test(engine.services, spec, sit, rule_id=rule_id)


@router.post(
    "/rules/{rule_id}/replay",
    summary="Dry-run a saved rule over the past days' customer messages: what would have fired",
)
async def replay(
    rule_id: str, caller: CurrentCaller, db: Db, engine: Engine, days: int = Query(30, ge=1, le=365)
) -> dict[str, Any]:
    async with db.reader() as s:
        ws = await s.get(Workspace, caller.workspace_id)
        rule = await service.get(s, workspace_id=caller.workspace_id, rule_id=rule_id)
    if ws is None or rule is None:
        raise not_found("rule")
    try:
        return await trial.replay_rule(engine.services, rule, workspace=ws, days=days, now=engine.clock())
    except trial.NotReplayable as exc:
        raise unprocessable(f"{exc}; test others with /rules/test") from exc


@router.get("/rules/vocabulary", summary="Variables, operators per type, triggers and actions, for an editor")
async def vocab() -> dict[str, Any]:
    return vocabulary.export() | {
        "triggers": {"events": list(schema.EVENT_TRIGGERS), "scheduled": list(schema.SCHEDULES)},
        "actions": list(schema.ACTION_TYPES),
        "template_variables": [
            "contact",
            "conversation",
            "message",
            "context",
            "workspace",
            "business_hours",
            "next_opening",
            "now",
        ],
        "rule_schema": schema.RuleSpec.model_json_schema(by_alias=True),
    }


@router.get("/rules/templates", summary="Industry rule packs")
async def list_templates(caller: CurrentCaller) -> list[dict[str, Any]]:
    return templates.listing()


@router.post("/rules/templates/{pack}/install", response_model=InstallResult, summary="Install a pack's rules")
async def install(pack: str, caller: CurrentCaller, db: Db, box: Box, engine: Engine) -> InstallResult:
    require_admin(caller)
    if pack not in templates.PACKS:
        raise not_found("template pack")
    try:
        async with db.session() as s:
            done = await templates.install(s, workspace_id=caller.workspace_id, pack=pack, box=box)
    except schema.RuleInvalid as exc:
        raise invalid(exc) from exc
    engine.book.forget(caller.workspace_id)
    return InstallResult(pack=pack, **done.__dict__)
