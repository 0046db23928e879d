"""/context/intents: the intents messages are sorted into, with their example phrases; an intent
added, edited (its phrases a line each) or removed; and the check that embeds the phrases with the
classifier's own encoder and names the intents too alike to tell apart. A workspace that has none
of its own sees the shipped ones, and its first edit makes them its own. Saved through
understanding.service.replace_intents, each intent validated by the API's IntentUpdate."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from core.db import Database
from core.web import Db, part
from understanding import service
from understanding.alike import too_alike
from understanding.api.schemas import IntentUpdate
from understanding.pages.common import FORM, HOME, form_fields, placed
from understanding.stage import UnderstandStage

router = page_router()
Understanding = Annotated[UnderstandStage, Depends(part("understanding"))]
INPUTS = ("name", "description", "examples")
DONE = {"saved": "Saved: the next message is sorted with these.", "removed": "Removed."}


async def _intents(db: Database, workspace_id: str) -> tuple[list[service.IntentDraft], bool]:
    """The intents in use, and whether they are the shipped ones (the workspace has none of its own)."""
    async with db.reader() as s:
        own = await service.own_intents(s, workspace_id)
        if own:
            return [service.IntentDraft(r.name, r.description, list(r.examples or [])) for r in own], False
        shipped = await service.intents_for(s, workspace_id)
    return [service.IntentDraft(n, "", list(e)) for n, e in shipped.items()], True


async def _page(request: Request, db: Database, me: SignedIn, *, status: int = 200, **shown: Any) -> Response:
    intents, shipped = await _intents(db, me.workspace_id)
    context: dict[str, Any] = {"notice": None, "errors": {}, "sent": {}, "editing": None, "alike": None}
    return render(
        request, "understanding/intents.html", status=status, intents=intents, shipped=shipped,
        **{**context, **shown},
    )  # fmt: skip


@router.get(HOME + "/intents")
async def intents_page(request: Request, db: Db, me: CurrentAdmin, understanding: Understanding) -> Response:
    alike = None
    if request.query_params.get("check"):
        intents, _ = await _intents(db, me.workspace_id)
        phrases = {i.name: i.examples for i in intents}
        alike = await asyncio.to_thread(too_alike, phrases, understanding.classifiers.encoder)
    return await _page(request, db, me, notice=DONE.get(request.query_params.get("done", "")), alike=alike)


async def _replace(db: Database, workspace_id: str, intents: list[service.IntentDraft]) -> str | None:
    """Save these as the workspace's intents, or say why they cannot be."""
    if (problem := service.intents_problem(intents)) is not None:
        return problem
    async with db.session() as s:
        await service.replace_intents(s, workspace_id, intents)
    return None


@router.post(HOME + "/intents")
async def save_intent(request: Request, db: Db, me: CurrentAdmin) -> Response:
    """Add an intent (no `original`) or replace the one named `original`."""
    form = await form_fields(request, "original", *INPUTS)
    original = form["original"].strip()
    again: dict[str, Any] = {"status": 422, "sent": form, "editing": original}
    examples = [line.strip() for line in form["examples"].splitlines() if line.strip()]
    try:
        checked = IntentUpdate.model_validate(
            {"name": form["name"].strip(), "description": form["description"].strip(), "examples": examples}
        )
    except ValidationError as exc:
        return await _page(request, db, me, errors=placed(exc, INPUTS), **again)
    intents, _ = await _intents(db, me.workspace_id)
    if original and original not in {i.name for i in intents}:
        return await _page(request, db, me, errors={FORM: f"There is no intent {original!r} any more."}, **again)
    draft = service.IntentDraft(checked.name, checked.description, checked.examples)
    kept = [draft if i.name == original else i for i in intents] if original else [*intents, draft]
    if (problem := await _replace(db, me.workspace_id, kept)) is not None:
        return await _page(request, db, me, errors={"name": problem}, **again)
    return see_other(f"{HOME}/intents?done=saved")


@router.post(HOME + "/intents/remove")
async def remove_intent(request: Request, db: Db, me: CurrentAdmin) -> Response:
    name = (await form_fields(request, "name"))["name"]
    intents, _ = await _intents(db, me.workspace_id)
    if name not in {i.name for i in intents}:
        return await _page(request, db, me, status=422, errors={FORM: f"There is no intent {name!r}."})
    if (problem := await _replace(db, me.workspace_id, [i for i in intents if i.name != name])) is not None:
        return await _page(request, db, me, status=422, errors={FORM: f"{name} was not removed: {problem}."})
    return see_other(f"{HOME}/intents?done=removed")
