"""/context/priority: the schema's priority rules, added and removed on the workflow page. A rule is
read from the form into the shape `PUT .../schema` takes (intents, sentiments, fields known, field
values, statuses; a priority) and saved as the whole schema through SchemaSpec, as the API's."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.web.pages import page_router, see_other
from admin.web.session import CurrentAdmin
from core.web import Db
from understanding.pages.common import HOME, placed, save, schema_of
from understanding.pages.workflow import show

router = page_router()
INPUTS = ("priority", "intent", "sentiment", "fields_set", "field_equals", "status")
SENTIMENTS = ("positive", "neutral", "negative")


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.replace("\n", ",").split(",") if w.strip()]


def from_form(form: dict[str, Any]) -> dict[str, Any]:
    """The rule as the API takes it. "field = value" lines become field_equals; a value that reads as
    a whole number is one (party_size = 8)."""
    equals: dict[str, Any] = {}
    for line in str(form.get("field_equals", "")).splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip():
            text = value.strip()
            equals[name.strip()] = int(text) if text.lstrip("-").isdigit() else text
    when = {"intent": _words(form.get("intent", "")), "sentiment": form.get("sentiment", []),
            "fields_set": _words(form.get("fields_set", "")), "field_equals": equals,
            "status": _words(form.get("status", ""))}  # fmt: skip
    return {"when": when, "priority": form.get("priority", "")}


def _beside(errors: dict[str, str], form: dict[str, Any]) -> dict[str, str]:
    """The schema's complaint about unknown fields, beside the input that named them."""
    said = errors.get("form", "")
    if "fields the schema does not have" in said:
        errors.pop("form")
        errors["fields_set" if form.get("fields_set", "").strip() else "field_equals"] = said
    return errors


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    read: dict[str, Any] = {k: str(form.get(k, ""))[:2000] for k in INPUTS if k != "sentiment"}
    read["sentiment"] = [str(v) for v in form.getlist("sentiment")][:3]
    return read


@router.post(HOME + "/priority")
async def add_rule(request: Request, db: Db, me: CurrentAdmin) -> Response:
    form = await _form(request)
    spec = await schema_of(db, me.workspace_id)
    whole = spec.model_dump(mode="json") if spec is not None else {}
    rules = [*whole.get("priority_rules", []), from_form(form)]
    try:
        await save(db, me.workspace_id, {**whole, "priority_rules": rules})
    except ValidationError as exc:
        return await show(request, db, me, status=422, rule_errors=_beside(placed(exc, INPUTS), form), rule_sent=form)
    return see_other(f"{HOME}/workflow?done=rule#priority-title")


@router.post(HOME + "/priority/remove")
async def remove_rule(request: Request, db: Db, me: CurrentAdmin) -> Response:
    index = str((await request.form()).get("index", ""))
    spec = await schema_of(db, me.workspace_id)
    rules = spec.model_dump(mode="json")["priority_rules"] if spec is not None else []
    if not index.isdigit() or int(index) >= len(rules):
        return await show(request, db, me, status=422, notice=None, rule_errors={"form": "That rule is gone already."})
    assert spec is not None
    del rules[int(index)]
    await save(db, me.workspace_id, {**spec.model_dump(mode="json"), "priority_rules": rules})
    return see_other(f"{HOME}/workflow?done=removed#priority-title")
