"""The rule editor: /rules/new and /rules/{id}. A form built from the vocabulary (trigger, a tree of
all/any/not groups whose conditions offer the operators their variable's type allows, actions with
their settings); its buttons add and remove conditions, groups and actions (htmx swaps the form the
server renders again; without script the page reloads the same). Saving validates the spec with
rules.schema through rules.service.save, as the API does; each problem is shown beside its input.
The test panel runs trial.test on the unsaved form against a sample message; a saved rule shows its
replay over the last days (trial.replay_rule) and its execution log (service.executions)."""

from __future__ import annotations

import typing
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from core.crypto import SecretBox
from core.db import Database
from core.models import Workspace
from core.web import Db, part
from rules import schema, service, trial
from rules.api.schemas import Channel, RuleTest
from rules.models import Rule
from rules.pages import draft as drafts
from rules.pages import words
from rules.pages.draft import FORM, Draft, from_form, placed, to_spec
from rules.pages.edits import apply, from_spec
from rules.pages.listing import HOME, done, rule_of
from rules.runtime import RuleEngine
from understanding import context

router = page_router()
Engine = Annotated[RuleEngine, Depends(part("rules"))]
Box = Annotated[SecretBox, Depends(part("box"))]
MAX_FIELD = 20_000
CHANNELS = typing.get_args(Channel)
LOG_LENGTH = 50
MAX_REPLAY_DAYS = 90


def _used(node: drafts.Cond) -> set[str]:
    return {node.variable} if node.kind == "leaf" else set().union(*(_used(c) for c in node.children))


async def _editor(
    request: Request, db: Database, me: SignedIn, draft: Draft, rule: Rule | None, *, status: int = 200, **shown: Any
) -> Response:
    async with db.reader() as s:
        fields = await context.schema_for(s, me.workspace_id)
        log = (
            await service.executions(s, workspace_id=me.workspace_id, rule_id=rule.id, limit=LOG_LENGTH) if rule else []
        )
    return render(
        request,
        "rules/rule.html",
        status=status,
        rule=rule,
        draft=draft,
        action=f"{HOME}/{rule.id}" if rule else f"{HOME}/new",
        log=log,
        variables=words.variables([f.name for f in fields.fields] if fields else [], _used(draft.conditions)),
        w=words,
        inputs=drafts.ACTION_INPUTS,
        channels=CHANNELS,
        **{"errors": {}, "sample": {}, "result": None, "replay": None, "doing": "saved", **shown},
    )


@router.get(HOME + "/new")
async def new_rule(request: Request, db: Db, me: CurrentAdmin) -> Response:
    return await _editor(request, db, me, Draft(), None)


@router.post(HOME + "/new")
async def post_new(request: Request, db: Db, me: CurrentAdmin, box: Box, engine: Engine) -> Response:
    return await _submit(request, db, me, box, engine, None)


@router.get(HOME + "/{rule_id}")
async def edit_rule(request: Request, rule_id: str, db: Db, me: CurrentAdmin, engine: Engine) -> Response:
    rule = await rule_of(db, me, rule_id)
    draft = from_spec(service.public(rule.spec))
    days = request.query_params.get("replay_days")
    if days is None:
        return await _editor(request, db, me, draft, rule)
    shown: dict[str, Any] = {"sample": {"replay_days": days[:10]}}
    if not days.isdigit() or not 1 <= int(days) <= MAX_REPLAY_DAYS:
        problem = f"Enter a whole number of days from 1 to {MAX_REPLAY_DAYS}."
        return await _editor(request, db, me, draft, rule, status=422, errors={"replay-days": problem}, **shown)
    async with db.reader() as s:
        ws = await s.get(Workspace, me.workspace_id)
    assert ws is not None
    try:
        report = await trial.replay_rule(engine.services, rule, workspace=ws, days=int(days), now=engine.clock())
    except trial.NotReplayable as exc:
        problem = f"Not for this rule: {exc}. Use the test above instead."
        return await _editor(request, db, me, draft, rule, status=422, errors={"replay-days": problem}, **shown)
    return await _editor(request, db, me, draft, rule, replay=report, **shown)


@router.post(HOME + "/{rule_id}")
async def post_rule(request: Request, rule_id: str, db: Db, me: CurrentAdmin, box: Box, engine: Engine) -> Response:
    return await _submit(request, db, me, box, engine, await rule_of(db, me, rule_id))


async def _submit(
    request: Request, db: Database, me: SignedIn, box: SecretBox, engine: RuleEngine, rule: Rule | None
) -> Response:
    """The form's buttons: save, test, or one change to the form (an htmx swap, or the page again)."""
    form = {k: v[:MAX_FIELD] for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    draft = from_form(form)
    op = form.get("op", "save")
    if op == "test":
        return await _test(request, db, me, engine, draft, rule, form)
    if op != "save":
        return await _editor(request, db, me, apply(draft, op), rule, sample=_sample(form))
    built = to_spec(draft)
    problems = list(built.problems)
    if not problems:
        try:
            async with db.session() as s:
                saved = await service.save(s, workspace_id=me.workspace_id, data=built.spec, box=box, rule=rule)
                saved_id = saved.id
        except schema.RuleInvalid as exc:
            problems = exc.problems
        except service.NameTaken as exc:
            problems = [{"where": "name", "problem": str(exc)}]
        else:
            engine.book.forget(me.workspace_id)
            return see_other(done("saved", saved_id))
    errors = placed(problems, built)
    return await _editor(request, db, me, draft, rule, status=422, errors=errors, sample=_sample(form))


def _sample(form: dict[str, str]) -> dict[str, str]:
    return {k: form.get(f"sample-{k}", "") for k in ("text", "channel", "at")}


async def _test(
    request: Request,
    db: Database,
    me: SignedIn,
    engine: RuleEngine,
    draft: Draft,
    rule: Rule | None,
    form: dict[str, str],
) -> Response:
    """The unsaved form against a sample message, checked as POST /rules/test checks it."""
    sample = _sample(form)
    async with db.reader() as s:
        ws = await s.get(Workspace, me.workspace_id)
    assert ws is not None
    built = to_spec(draft)
    errors: dict[str, str] = {}
    at: datetime | None = None
    if sample["at"]:
        try:
            at = datetime.fromisoformat(sample["at"]).replace(tzinfo=ZoneInfo(ws.timezone or "UTC"))
        except ValueError:
            errors["sample-at"] = "Enter a date and time, e.g. 2026-11-17 22:00."
    try:
        body = RuleTest.model_validate(
            {"rule": built.spec, "message": {"text": sample["text"], "channel": sample["channel"] or "web"}, "at": at}
        )
    except ValidationError as exc:
        for e in exc.errors():
            errors.setdefault(f"sample-{e['loc'][-1]}", str(e["msg"]))
    problems = list(built.problems)
    try:
        spec = schema.validate(built.spec)
    except schema.RuleInvalid as exc:
        problems += exc.problems
    if problems or errors:
        errors = {**placed(problems, built), **errors}
        if not problems:
            errors.pop(FORM, None)
        return await _editor(request, db, me, draft, rule, status=422, errors=errors, sample=sample, doing="tested")
    sit = trial.sample_situation(
        ws, now=body.at or engine.clock(), text=body.message.text, channel=body.message.channel
    )
    result = await trial.test(engine.services, spec, sit, rule_id=rule.id if rule else "unsaved")
    return await _editor(request, db, me, draft, rule, result=result, sample=sample)
