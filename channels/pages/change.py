"""/channels/{connection_id}: change a connection (its name, the assistant that answers, its kind's
settings from the same guide the connect form uses), as PATCH /api/v1/channels/{connection_id} does:
validated by the API's ConnectionUpdate and saved by connections.update. New credentials are tested
with the provider first (connections.tested, as the connect form does before storing); secrets are
never shown, and one left empty keeps the stored one."""

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
from channels.pages.connect import assistant_problem, problems, read_form, shown_back
from channels.pages.guides import GUIDES, Guide
from channels.pages.listing import KIND_NAMES, connection_of
from channels.schemas import ConnectionUpdate
from core.crypto import REDACTED, SecretBox
from core.db import Database
from core.models import ChannelConnection
from core.web import Box, Db

router = page_router()
PAGE = "/channels/{connection_id}"
TAKEN = "This account is already connected (to this workspace or another); one connection per account."


def guide_of(row: ChannelConnection) -> Guide:
    """The kind's guide; a kind with nothing to configure (web chat) has a guide without fields."""
    title = KIND_NAMES.get(row.kind, row.kind)
    return GUIDES.get(row.kind) or Guide(row.kind, title, title, (), (), "", checked_beside="")


def _stored(row: ChannelConnection, guide: Guide) -> dict[str, str]:
    """What the form shows of the stored connection: its name, assistant and settings, no secret."""
    shown = connections.shown_config(row)
    form = {"name": row.name, "assistant_id": row.assistant_id or ""}
    for f in guide.fields:
        if not f.secret and shown.get(f.key) not in (None, ""):
            form[f.key] = str(shown[f.key])
    if guide.kind == "whatsapp":
        form["from"] = form.get("from", "").removeprefix("whatsapp:")
    return form


def _config(row: ChannelConnection, guide: Guide, form: dict[str, str]) -> dict[str, Any]:
    """The new config as the API takes it: what the form does not show (a Telegram bot's mode and
    webhook secret) as stored, each field as typed, a secret left empty redacted (kept)."""
    shown = connections.shown_config(row)
    config = {k: v for k, v in shown.items() if k not in guide.keys}
    typed = guide.config(form)
    for f in guide.fields:
        if f.key in typed:
            config[f.key] = typed[f.key]
        elif f.secret and shown.get(f.key):
            config[f.key] = REDACTED
    return config


def _body(row: ChannelConnection, guide: Guide, form: dict[str, str]) -> ConnectionUpdate:
    """The form as the API's PATCH body: an empty name or assistant is left as it is. Raises
    ValidationError."""
    data: dict[str, Any] = {"config": _config(row, guide, form)}
    if form["name"].strip():
        data["name"] = form["name"]
    if form["assistant_id"]:
        data["assistant_id"] = form["assistant_id"]
    return ConnectionUpdate.model_validate(data)


async def _changes(
    box: SecretBox, row: ChannelConnection, guide: Guide, body: ConnectionUpdate
) -> tuple[dict[str, Any], connections.Tested | None]:
    """The changes to save, and the test of new credentials (None if the settings are unchanged).
    A config the provider refused is not in the changes. Raises ValueError."""
    changes = body.changes()
    new = connections.with_config(box, row, changes.pop("config"))
    if new.config == box.open(row.config or {}):
        return changes, None
    tested = await connections.tested(new)
    if tested.ok and tested.checked is not None:
        changes["config"] = tested.checked.config
        if tested.checked.account and tested.checked.account != row.account:
            changes["account"] = tested.checked.account
    return changes, tested


async def show(
    request: Request, db: Database, me: SignedIn, row: ChannelConnection, *, status: int = 200, **shown: Any
) -> Response:
    guide = guide_of(row)
    async with db.reader() as s:
        choices = await assistants.list_all(s, workspace_id=me.workspace_id)
    stored = connections.shown_config(row)
    context: dict[str, Any] = {"form": _stored(row, guide), "errors": {}, "tested": None}
    return render(
        request, "channels/change.html", status=status, connection=row, guide=guide, assistants=choices,
        secrets_set={f.key for f in guide.fields if f.secret and stored.get(f.key)}, **{**context, **shown},
    )  # fmt: skip


@router.get(PAGE)
async def change_page(request: Request, connection_id: str, db: Db, me: CurrentAdmin) -> Response:
    return await show(request, db, me, await connection_of(db, me, connection_id))


@router.post(PAGE + "/test-changes")
async def test_changes(request: Request, connection_id: str, db: Db, box: Box, me: CurrentAdmin) -> Response:
    """The form's Test button: the settings as typed (stored secrets where left empty) asked of the
    provider, nothing stored. With htmx only the result is sent; without, the page again with it."""
    row = await connection_of(db, me, connection_id)
    guide = guide_of(row)
    form = await read_form(request, guide)
    errors: dict[str, str] = {}
    tested = None
    try:
        body = _body(row, guide, form)
        if not (errors := await assistant_problem(db, me, body.assistant_id)):
            tested = await connections.tested(connections.with_config(box, row, body.changes()["config"]))
    except ValidationError as exc:
        errors = problems(guide, exc)
    except ValueError as exc:
        errors = {"": str(exc)}
    if request.headers.get("HX-Request"):
        return render(request, "channels/_tested.html", guide=guide, tested=tested, errors=errors, until="save")
    status = 200 if tested and tested.ok else 422
    return await show(request, db, me, row, status=status, form=shown_back(guide, form), errors=errors, tested=tested)


@router.post(PAGE)
async def change(request: Request, connection_id: str, db: Db, box: Box, me: CurrentAdmin) -> Response:
    """Save the changes, new credentials once the provider accepts them; or the form again, with
    what is wrong beside its field and nothing saved."""
    row = await connection_of(db, me, connection_id)
    guide = guide_of(row)
    form = await read_form(request, guide)

    async def again(status: int, errors: dict[str, str], tested: connections.Tested | None = None) -> Response:
        return await show(
            request, db, me, row, status=status, form=shown_back(guide, form), errors=errors, tested=tested
        )

    try:
        body = _body(row, guide, form)
        if errors := await assistant_problem(db, me, body.assistant_id):
            return await again(422, errors)
        changes, tested = await _changes(box, row, guide, body)
    except ValidationError as exc:
        return await again(422, problems(guide, exc))
    except ValueError as exc:
        return await again(422, {"": str(exc)})
    if tested is not None and not tested.ok:
        return await again(422, {guide.field_for(tested.message): tested.message})
    try:
        async with db.session() as s:
            found = await connections.get(s, workspace_id=me.workspace_id, connection_id=row.id)
            if found is None:
                raise not_found("There is no such channel connection in this workspace.")
            await connections.update(s, box, connection=found, changes=changes)
    except connections.AccountTaken:
        return await again(409, {guide.checked_beside: TAKEN})
    except (connections.BadAssistant, ValueError) as exc:
        return await again(422, {"": str(exc)})
    return see_other(f"/channels?changed={row.id}#connection-{row.id}")
