"""/context/fields: the schema's typed fields (type, required, a pattern, bounds, enum options and
the words for each, a phone region), listed, added, edited and removed. A workspace with no schema is
offered the front-desk template. Every save is the whole schema through SchemaSpec, as the API's."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from core.db import Database
from core.web import Db
from understanding.pages.common import FORM, HOME, form_fields, placed, save, schema_of
from understanding.schema import FieldSpec
from understanding.templates import TEMPLATES

router = page_router()
INPUTS = ("name", "type", "label", "description", "pattern", "max_length", "minimum", "maximum", "keywords",
          "region", "options")  # fmt: skip
TYPES = (("text", "Text"), ("number", "Number"), ("datetime", "Date and time"), ("enum", "One of a list"),
         ("phone", "Phone number"), ("email", "Email address"), ("boolean", "Yes or no"))  # fmt: skip
DONE = {"installed": "The front-desk template is installed.", "saved": "Saved.", "removed": "Removed."}


def options_text(spec: FieldSpec) -> str:
    """An enum's options as the form shows them: a line each, "value: word, word"."""
    return "\n".join(f"{value}: {', '.join(words)}" if words else value for value, words in spec.options.items())


def as_form(spec: FieldSpec) -> dict[str, str]:
    """A stored field as its edit form's values."""
    number = {k: "" if v is None else f"{v:g}" for k, v in (("minimum", spec.minimum), ("maximum", spec.maximum))}
    return {
        "name": spec.name, "type": spec.type, "label": spec.label, "description": spec.description,
        "pattern": spec.pattern or "", "max_length": str(spec.max_length), "keywords": ", ".join(spec.keywords),
        "region": spec.region or "", "options": options_text(spec), "required": "on" if spec.required else "", **number,
    }  # fmt: skip


def from_form(form: dict[str, str]) -> dict[str, Any]:
    """The form as a FieldSpec's data: blanks left out, so the model's defaults and checks apply."""
    data: dict[str, Any] = {k: form[k].strip() for k in ("name", "type", "label", "description")}
    data["required"] = bool(form["required"])
    for key in ("pattern", "max_length", "minimum", "maximum", "region"):
        if form[key].strip():
            data[key] = form[key].strip()
    if keywords := [w.strip() for w in form["keywords"].split(",") if w.strip()]:
        data["keywords"] = keywords
    options: dict[str, list[str]] = {}
    for line in form["options"].splitlines():
        value, _, words = line.partition(":")
        if value.strip():
            options[value.strip()] = [w.strip() for w in words.split(",") if w.strip()]
    if options:
        data["options"] = options
    return data


async def _page(request: Request, db: Database, me: SignedIn, *, status: int = 200, **shown: Any) -> Response:
    spec = await schema_of(db, me.workspace_id)
    context: dict[str, Any] = {"notice": None, "errors": {}, "sent": {}, "editing": None}
    forms = {f.name: as_form(f) for f in spec.fields} if spec is not None else {}
    return render(
        request, "understanding/fields.html", status=status, spec=spec, forms=forms, types=TYPES,
        templates=list(TEMPLATES), **{**context, **shown},
    )  # fmt: skip


@router.get(HOME)
async def context_home(me: CurrentAdmin) -> Response:
    return see_other(f"{HOME}/fields")


@router.get(HOME + "/fields")
async def fields(request: Request, db: Db, me: CurrentAdmin) -> Response:
    return await _page(request, db, me, notice=DONE.get(request.query_params.get("done", "")))


@router.post(HOME + "/template")
async def install_template(db: Db, me: CurrentAdmin) -> Response:
    """The front-desk template, for a workspace with no schema yet (one that has a schema keeps it)."""
    if await schema_of(db, me.workspace_id) is None:
        await save(db, me.workspace_id, TEMPLATES["front_desk"])
    return see_other(f"{HOME}/fields?done=installed")


@router.post(HOME + "/fields")
async def save_field(request: Request, db: Db, me: CurrentAdmin) -> Response:
    """Add a field (no `original`) or replace the field named `original`."""
    form = await form_fields(request, "original", "required", *INPUTS)
    spec = await schema_of(db, me.workspace_id)
    current = [f.model_dump(mode="json") for f in spec.fields] if spec is not None else []
    names = [f["name"] for f in current]
    original = form["original"].strip()
    if original and original not in names:
        return await _page(request, db, me, status=404, errors={FORM: f"There is no field {original!r} any more."})
    data = from_form(form)
    fields = [data if n == original else f for n, f in zip(names, current, strict=True)]
    if not original:
        fields.append(data)
    whole = spec.model_dump(mode="json") if spec is not None else {}
    try:
        await save(db, me.workspace_id, {**whole, "fields": fields})
    except ValidationError as exc:
        errors = placed(exc, INPUTS)
        return await _page(request, db, me, status=422, errors=errors, sent=form, editing=original or "")
    return see_other(f"{HOME}/fields?done=saved")


@router.post(HOME + "/fields/remove")
async def remove_field(request: Request, db: Db, me: CurrentAdmin) -> Response:
    name = (await form_fields(request, "name"))["name"]
    spec = await schema_of(db, me.workspace_id)
    if spec is None or spec.field(name) is None:
        return await _page(request, db, me, status=422, errors={FORM: f"There is no field {name!r}."}, editing=None)
    whole = spec.model_dump(mode="json")
    whole["fields"] = [f for f in whole["fields"] if f["name"] != name]
    try:
        await save(db, me.workspace_id, whole)
    except ValidationError as exc:
        message = placed(exc, ())[FORM]
        return await _page(request, db, me, status=422, errors={FORM: f"{name} was not removed: {message}"})
    return see_other(f"{HOME}/fields?done=removed")
