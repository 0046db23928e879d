"""/rules: the workspace's rules in the order they run (higher priority first), each with its trigger
in words, on or off, moved up or down, how often it fired, and deleted after a confirmation; and the
industry packs to install. Every change goes through rules.service (templates.install for packs), as
the API's does, and the engine forgets the workspace's cached rules after it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from admin.web.errors import not_found
from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from core.crypto import SecretBox
from core.db import Database
from core.web import Db, part
from rules import schema, service, templates
from rules.models import Rule
from rules.pages import words
from rules.runtime import RuleEngine

router = page_router()
HOME = "/rules"
Engine = Annotated[RuleEngine, Depends(part("rules"))]
Box = Annotated[SecretBox, Depends(part("box"))]
DONE = {
    "on": "{rule} is on.",
    "off": "{rule} is off: it does not run until you turn it on.",
    "up": "{rule} runs earlier now.",
    "down": "{rule} runs later now.",
    "still": "{rule} is already at that end of the order.",
    "saved": "Saved {rule}.",
    "deleted": "Deleted the rule.",
    "installed": "Installed the {pack} pack: its rules are below (any it had by name were kept as they were).",
}


async def _page(request: Request, db: Database, me: SignedIn, *, status: int = 200, **shown: Any) -> Response:
    async with db.reader() as s:
        rules = await service.listing(s, workspace_id=me.workspace_id)
    return render(
        request,
        "rules/rules.html",
        status=status,
        rules=rules,
        trigger=words.trigger,
        packs=templates.PACKS.values(),
        **{"notice": None, "problem": None, **shown},
    )


def done(key: str, rule_id: str | None = None, pack: str | None = None) -> str:
    """Where to go after a change: the list, saying what was done."""
    query = f"?done={key}" + (f"&rule={rule_id}" if rule_id else "") + (f"&pack={pack}" if pack else "")
    return HOME + query


@router.get(HOME)
async def rules_page(request: Request, db: Db, me: CurrentAdmin) -> Response:
    q = request.query_params
    notice = DONE.get(q.get("done", ""))
    if notice:
        async with db.reader() as s:
            rule = await service.get(s, workspace_id=me.workspace_id, rule_id=q.get("rule", ""))
        pack = templates.PACKS.get(q.get("pack", ""))
        notice = notice.format(rule=rule.name if rule else "The rule", pack=pack.name if pack else "")
    return await _page(request, db, me, notice=notice)


async def rule_of(db: Database, me: SignedIn, rule_id: str) -> Rule:
    """The workspace's rule by id, or the 404 page (another workspace's id is simply not found)."""
    async with db.reader() as s:
        rule = await service.get(s, workspace_id=me.workspace_id, rule_id=rule_id)
    if rule is None:
        raise not_found("There is no such rule in this workspace.")
    return rule


@router.post(HOME + "/packs/{pack}")
async def install_pack(request: Request, pack: str, db: Db, me: CurrentAdmin, box: Box, engine: Engine) -> Response:
    if pack not in templates.PACKS:
        raise not_found("There is no such pack.")
    try:
        async with db.session() as s:
            await templates.install(s, workspace_id=me.workspace_id, pack=pack, box=box)
    except schema.RuleInvalid as exc:
        return await _page(request, db, me, status=422, problem=f"The pack was not installed: {exc}")
    engine.book.forget(me.workspace_id)
    return see_other(done("installed", pack=pack))


@router.post(HOME + "/{rule_id}/active")
async def set_active(request: Request, rule_id: str, db: Db, me: CurrentAdmin, box: Box, engine: Engine) -> Response:
    """Turn a rule on (active=on) or off."""
    active = (await request.form()).get("active") == "on"
    await rule_of(db, me, rule_id)
    try:
        async with db.session() as s:
            rule = await service.get(s, workspace_id=me.workspace_id, rule_id=rule_id)
            assert rule is not None
            await service.set_active(s, workspace_id=me.workspace_id, rule=rule, active=active, box=box)
    except schema.RuleInvalid as exc:
        return await _page(request, db, me, status=422, problem=f"That rule cannot be changed: {exc}")
    engine.book.forget(me.workspace_id)
    return see_other(done("on" if active else "off", rule_id))


@router.post(HOME + "/{rule_id}/move")
async def move(request: Request, rule_id: str, db: Db, me: CurrentAdmin, box: Box, engine: Engine) -> Response:
    """One place earlier (direction=up) or later (down) in the run order."""
    direction = (await request.form()).get("direction")
    await rule_of(db, me, rule_id)
    if direction not in ("up", "down"):
        return await _page(request, db, me, status=422, problem="Say which way to move the rule: up or down.")
    try:
        async with db.session() as s:
            rule = await service.get(s, workspace_id=me.workspace_id, rule_id=rule_id)
            assert rule is not None
            moved = await service.move(s, workspace_id=me.workspace_id, rule=rule, up=direction == "up", box=box)
    except schema.RuleInvalid as exc:
        return await _page(request, db, me, status=422, problem=f"The rules cannot be reordered: {exc}")
    engine.book.forget(me.workspace_id)
    return see_other(done(direction if moved else "still", rule_id))


@router.post(HOME + "/{rule_id}/delete")
async def delete(rule_id: str, db: Db, me: CurrentAdmin, engine: Engine) -> Response:
    await rule_of(db, me, rule_id)
    async with db.session() as s:
        if not await service.delete(s, workspace_id=me.workspace_id, rule_id=rule_id):
            raise not_found("There is no such rule in this workspace.")
    engine.book.forget(me.workspace_id)
    return see_other(done("deleted"))
