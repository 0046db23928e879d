"""/context/workflow: the statuses and the moves allowed between them, drawn as a diagram and
written as a list; edited as text (a line per status: "booked: rescheduled, cancelled"); and the
schema's priority rules in words, added and removed by understanding/pages/priority.py. Saved as
the whole schema through SchemaSpec, as the API's."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from core.db import Database
from core.web import Db
from understanding.pages.common import HOME, form_fields, placed, save, schema_of
from understanding.pages.diagram import draw
from understanding.schema import PriorityRule, Workflow

router = page_router()
INPUTS = ("initial", "moves")


def moves_text(workflow: Workflow) -> str:
    return "\n".join(f"{source}: {', '.join(targets)}" for source, targets in workflow.transitions.items())


def from_form(form: dict[str, str]) -> dict[str, Any]:
    transitions: dict[str, list[str]] = {}
    for line in form["moves"].splitlines():
        source, _, targets = line.partition(":")
        if source.strip():
            transitions[source.strip()] = [t.strip() for t in targets.split(",") if t.strip()]
    return {"initial": form["initial"].strip(), "transitions": transitions}


def rule_words(rule: PriorityRule) -> str:
    """A priority rule as a sentence: "When the intent is complaint and the sentiment is negative: urgent"."""
    w = rule.when
    parts = [f"the intent is {' or '.join(w.intent)}" if w.intent else "",
             f"the sentiment is {' or '.join(w.sentiment)}" if w.sentiment else "",
             f"{', '.join(w.fields_set)} {'is' if len(w.fields_set) == 1 else 'are'} known" if w.fields_set else "",
             " and ".join(f"{k} is {v}" for k, v in w.field_equals.items()),
             f"the status is {' or '.join(w.status)}" if w.status else ""]  # fmt: skip
    said = " and ".join(p for p in parts if p)
    return f"When {said}: {rule.priority}" if said else f"Always: {rule.priority}"


async def show(request: Request, db: Database, me: SignedIn, *, status: int = 200, **shown: Any) -> Response:
    """The workflow page; `shown` overrides what it says (a notice, errors, what was sent)."""
    spec = await schema_of(db, me.workspace_id)
    workflow = spec.workflow if spec is not None else None
    sent = {"initial": workflow.initial, "moves": moves_text(workflow)} if workflow else {"initial": "", "moves": ""}
    context: dict[str, Any] = {"notice": None, "errors": {}, "sent": sent, "rule_errors": {},
                               "rule_sent": {"priority": "high", "sentiment": []}}  # fmt: skip
    return render(
        request, "understanding/workflow.html", status=status, spec=spec, workflow=workflow,
        diagram=draw(workflow) if workflow else None,
        rules=[rule_words(r) for r in spec.priority_rules] if spec is not None else [], **{**context, **shown},
    )  # fmt: skip


@router.get(HOME + "/workflow")
async def workflow_page(request: Request, db: Db, me: CurrentAdmin) -> Response:
    done = request.query_params.get("done")
    notice = {"saved": "Saved.", "rule": "Priority rule added.", "removed": "Priority rule removed."}.get(done or "")
    return await show(request, db, me, notice=notice)


@router.post(HOME + "/workflow")
async def save_workflow(request: Request, db: Db, me: CurrentAdmin) -> Response:
    form = await form_fields(request, *INPUTS)
    spec = await schema_of(db, me.workspace_id)
    whole = spec.model_dump(mode="json") if spec is not None else {}
    try:
        await save(db, me.workspace_id, {**whole, "workflow": from_form(form)})
    except ValidationError as exc:
        return await show(request, db, me, status=422, errors=placed(exc, INPUTS), sent=form)
    return see_other(f"{HOME}/workflow?done=saved")
