"""/channels/new/{kind}: the guided form that connects a Telegram bot, a WhatsApp sender, an SMS number
or a Slack app. It is validated by the API's ConnectionCreate, tested by connections.tested (the Test
button, and again before storing) and stored by connections.create, as POST /api/v1/channels does."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.assistants import service as assistants
from admin.web.errors import not_found
from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from channels import connections
from channels.health import webhook_url
from channels.pages.guides import GUIDES, Guide
from channels.schemas import ConnectionCreate
from core.db import Database
from core.web import Box, Db

router = page_router()
PAGE = "/channels/new/{kind}"
MAX_FIELD = 5000  # more than the API takes in any field: the schema refuses, with its own words


def guide_of(kind: str) -> Guide:
    guide = GUIDES.get(kind)
    if guide is None:
        raise not_found("There is no such channel to connect.")
    return guide


async def read_form(request: Request, guide: Guide) -> dict[str, str]:
    form = await request.form()
    names = ("name", "assistant_id", *guide.keys)
    return {n: v[:MAX_FIELD] if isinstance(v := form.get(n), str) else "" for n in names}


def _body(guide: Guide, form: dict[str, str]) -> ConnectionCreate:
    """The form as the API's body. Raises ValidationError."""
    data = {"kind": guide.kind, "name": form["name"], "assistant_id": form["assistant_id"] or None}
    return ConnectionCreate.model_validate({**data, "config": guide.config(form)})


def problems(guide: Guide, exc: ValidationError) -> dict[str, str]:
    """The schema's complaints by the field they are about ("" for the form as a whole)."""
    found: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        message = str(error["msg"]).removeprefix("Value error, ")
        key = loc[0] if loc and loc[0] in ("name", "assistant_id") else ""
        if loc[:1] == ["config"]:
            key = loc[1] if len(loc) > 1 and loc[1] in guide.keys else guide.field_for(message)
            message = message.split(": ", 1)[1] if message.startswith("config.") else message
        found.setdefault(key, message[:1].upper() + message[1:])
    return found


async def assistant_problem(db: Database, me: SignedIn, assistant_id: str | None) -> dict[str, str]:
    try:
        async with db.reader() as s:
            await connections.check_assistant(s, me.workspace_id, assistant_id)
    except connections.BadAssistant:
        return {"assistant_id": "Choose one of this workspace's assistants."}
    return {}


async def show(
    request: Request, db: Database, me: SignedIn, guide: Guide, *, status: int = 200, **shown: Any
) -> Response:
    async with db.reader() as s:
        choices = await assistants.list_all(s, workspace_id=me.workspace_id)
    public_url: str = request.app.state.runtime.settings.public_url
    context: dict[str, Any] = {"form": {}, "errors": {}, "tested": None}
    return render(
        request, "channels/new.html", status=status, guide=guide, assistants=choices,
        webhook=webhook_url(public_url, guide.kind, "<connection id>"), **{**context, **shown},
    )  # fmt: skip


def shown_back(guide: Guide, form: dict[str, str]) -> dict[str, str]:
    """What goes back into the form: all but the secrets."""
    secret = {f.key for f in guide.fields if f.secret}
    return {k: v for k, v in form.items() if k not in secret}


@router.get(PAGE)
async def new_page(request: Request, kind: str, db: Db, me: CurrentAdmin) -> Response:
    return await show(request, db, me, guide_of(kind))


@router.post(PAGE + "/test")
async def test_new(request: Request, kind: str, db: Db, me: CurrentAdmin) -> Response:
    """The Test button: the credentials asked of the provider, nothing stored. With htmx only the
    result is sent (the form keeps what was typed); without, the page again with it."""
    guide = guide_of(kind)
    form = await read_form(request, guide)
    fragment = bool(request.headers.get("HX-Request"))
    try:
        body = _body(guide, form)
        errors = await assistant_problem(db, me, body.assistant_id)
    except ValidationError as exc:
        errors = problems(guide, exc)
    tested = None if errors else await connections.tested(body.new())
    if fragment:
        return render(request, "channels/_tested.html", guide=guide, tested=tested, errors=errors)
    status = 200 if tested and tested.ok else 422
    return await show(request, db, me, guide, status=status, form=shown_back(guide, form), errors=errors, tested=tested)


@router.post(PAGE)
async def connect(request: Request, kind: str, db: Db, box: Box, me: CurrentAdmin) -> Response:
    """Test the credentials with the provider, then store the connection; or the form again, with
    what is wrong beside its field."""
    guide = guide_of(kind)
    form = await read_form(request, guide)

    async def again(status: int, errors: dict[str, str]) -> Response:
        return await show(request, db, me, guide, status=status, form=shown_back(guide, form), errors=errors)

    try:
        body = _body(guide, form)
    except ValidationError as exc:
        return await again(422, problems(guide, exc))
    if errors := await assistant_problem(db, me, body.assistant_id):
        return await again(422, errors)
    tested = await connections.tested(body.new())
    if not tested.ok or tested.checked is None:
        return await again(422, {guide.field_for(tested.message): tested.message})
    try:
        async with db.session() as s:
            row = await connections.create(s, box, workspace_id=me.workspace_id, new=tested.checked)
    except connections.AccountTaken:
        taken = "This account is already connected (to this workspace or another); one connection per account."
        return await again(409, {guide.checked_beside: taken})
    except (connections.BadAssistant, ValueError) as exc:
        return await again(422, {"": str(exc)})
    return see_other(f"/channels?connected={row.id}#connection-{row.id}")
