"""/assistants: the workspace's assistants, one page each (basics and approval, the model endpoint,
delete) and its try panel. Owners only. Every form is validated by the API's own schemas and saved
by admin.assistants.service; the model check and the try are admin.assistants.checks and .trial,
which `POST /api/v1/assistants/{id}/model-check` and `/try` call too."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from admin.assistants import checks, service, trial
from admin.assistants.routes import Limits, Models, Stages
from admin.assistants.schemas import AssistantCreate, AssistantUpdate, ModelSettingsUpdate
from admin.web.errors import not_found
from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from core.assistants import SECRET_FIELDS, ModelSettings
from core.crypto import REDACTED
from core.messages import ChannelKind
from core.models import Assistant
from core.web import Box, Db

router = page_router()

MODEL_FIELDS = ("base_url", "model", "fallback_base_url", "fallback_model")
KEYS = (("api_key", "remove_key"), ("fallback_api_key", "remove_fallback_key"))
POLICIES = (
    ("approve_all", "Approve all", "Staff approve every reply before it goes."),
    ("autopilot", "Autopilot", "Sent on its own when grounded in your knowledge and at least this confident."),
    ("auto", "Auto", "Every reply goes without approval (rules can still ask for it)."),
)


async def _form(request: Request, *names: str) -> dict[str, str]:
    """The form's text fields ("" when missing), whole: the schemas say how long each may be."""
    form = await request.form()
    return {name: value if isinstance(value := form.get(name), str) else "" for name in names}


def _problem(exc: ValidationError) -> str:
    """Pydantic's complaints, one sentence per field."""
    return " ".join(f"{'.'.join(map(str, e['loc'])) or 'form'}: {e['msg']}." for e in exc.errors())


async def _assistant(db: Db, me: SignedIn, assistant_id: str) -> Assistant:
    async with db.reader() as s:
        found = await service.get(s, workspace_id=me.workspace_id, assistant_id=assistant_id)
    if found is None:
        raise not_found()
    return found


async def _list(request: Request, db: Db, me: SignedIn, *, status: int = 200, **shown: Any) -> Response:
    async with db.reader() as s:
        rows = await service.list_all(s, workspace_id=me.workspace_id)
    context: dict[str, Any] = {"error": None, "name": "", **shown}
    return render(request, "admin/assistants/list.html", status=status, assistants=rows, **context)


@router.get("/assistants")
async def assistants(request: Request, db: Db, me: CurrentAdmin) -> Response:
    return await _list(request, db, me)


@router.post("/assistants")
async def create(request: Request, db: Db, box: Box, me: CurrentAdmin) -> Response:
    form = await _form(request, "name")
    try:
        body = AssistantCreate.model_validate({"name": form["name"]})
    except ValidationError:
        return await _list(request, db, me, status=422, error="Give it a name (up to 200 characters).")
    async with db.session() as s:
        made = await service.create(s, box, workspace_id=me.workspace_id, data=body)
    return see_other(f"/assistants/{made.id}")


async def _page(request: Request, assistant: Assistant, llms: Models, *, status: int = 200, **shown: Any) -> Response:
    own = assistant.model_settings or {}
    context: dict[str, Any] = {
        "notice": None, "error": None, "section": None, "checks": [], "offer_unchecked": False, "tried": None,
        "basics": None, "model": None, "sample": "", "channel": "web",
    }  # fmt: skip
    context.update(shown)
    return render(
        request,
        "admin/assistants/edit.html",
        status=status,
        assistant=assistant,
        own={k: own.get(k) for k in ModelSettings.model_fields if k not in SECRET_FIELDS},
        key_set={k: bool(own.get(k)) for k, _ in KEYS},
        default_url=None if own.get("base_url") else llms.settings_for(assistant).base_url,
        policies=POLICIES,
        channels=[c.value for c in ChannelKind],
        **context,
    )


@router.get("/assistants/{assistant_id}")
async def assistant_page(request: Request, assistant_id: str, db: Db, me: CurrentAdmin, llms: Models) -> Response:
    return await _page(request, await _assistant(db, me, assistant_id), llms)


@router.post("/assistants/{assistant_id}")
async def save_basics(
    request: Request, assistant_id: str, db: Db, box: Box, me: CurrentAdmin, llms: Models
) -> Response:
    """Name, slug, instructions, holding reply, approval policy and threshold: one PATCH's worth."""
    assistant = await _assistant(db, me, assistant_id)
    form = await _form(
        request, "name", "slug", "instructions", "holding_reply", "approval_policy", "confidence_threshold"
    )
    data: dict[str, Any] = {k: form[k] for k in ("name", "slug", "instructions", "approval_policy")}
    data["holding_reply"] = form["holding_reply"].strip() or None
    if form["confidence_threshold"].strip():
        data["confidence_threshold"] = form["confidence_threshold"].strip()
    again = {"section": "basics", "basics": form}
    try:
        changes = AssistantUpdate.model_validate(data).changes()
        async with db.session() as s:
            row = await service.get(s, workspace_id=me.workspace_id, assistant_id=assistant.id)
            if row is None:
                raise not_found()
            assistant = await service.update(s, box, assistant=row, changes=changes)
    except ValidationError as exc:
        return await _page(request, assistant, llms, status=422, error=f"Not saved. {_problem(exc)}", **again)
    except (service.SlugTaken, IntegrityError):
        return await _page(request, assistant, llms, status=409, error="Not saved: that slug is taken.", **again)
    return await _page(request, assistant, llms, notice="Saved.", section="basics")


def _model_body(form: dict[str, str], stored: dict[str, Any]) -> ModelSettingsUpdate:
    """The model section as the API's ModelSettingsUpdate: an empty key field keeps the stored key
    (sent as the redacted value, as the API takes it), "remove" clears it. Raises ValidationError."""
    data: dict[str, Any] = {k: form[k].strip() for k in MODEL_FIELDS if form[k].strip()}
    for key, remove in KEYS:
        if form[remove]:
            data[key] = None
        elif form[key]:
            data[key] = form[key]
        elif stored.get(key):
            data[key] = REDACTED
    for name in ("temperature", "max_tokens"):
        if form[name].strip():
            data[name] = form[name].strip()
    if stored.get("structured_output"):
        data["structured_output"] = stored["structured_output"]
    return ModelSettingsUpdate.model_validate(data)


@router.post("/assistants/{assistant_id}/model")
async def save_model(
    request: Request, assistant_id: str, db: Db, box: Box, me: CurrentAdmin, llms: Models, limits: Limits
) -> Response:
    """Check (call the endpoint once), Save (check first, refuse on failure) or Save without checking."""
    assistant = await _assistant(db, me, assistant_id)
    names = (*MODEL_FIELDS, *(n for pair in KEYS for n in pair), "temperature", "max_tokens", "action")
    form = await _form(request, *names)
    shown: dict[str, Any] = {"section": "model", "model": {k: form[k] for k in names if "key" not in k}}
    try:
        body = _model_body(form, assistant.model_settings or {})
        settings = checks.to_check(box, assistant, body)
    except (ValidationError, ValueError) as exc:
        problem = _problem(exc) if isinstance(exc, ValidationError) else str(exc)
        return await _page(request, assistant, llms, status=422, error=f"Not saved. {problem}", **shown)
    action = form["action"] if form["action"] in ("check", "save_unchecked") else "save"
    found: list[checks.ModelCheck] = []
    if action != "save_unchecked" and settings.base_url:
        if wait := limits.rate.take(f"{me.workspace_id}:{me.user_id}"):
            error = f"Not checked: {trial.TooMany(wait)}."
            return await _page(request, assistant, llms, status=429, error=error, **shown)
        found = await checks.check_model(settings)
    failed = [c for c in found if not c.ok]
    if action == "check" or failed:
        status = 422 if failed else 200
        refused = "Not saved: the endpoint did not answer as it should."
        refusal = refused if failed and action == "save" else None
        notice = None if failed else "The endpoint answers. Nothing is saved until you save."
        return await _page(
            request, assistant, llms, status=status, error=refusal, notice=notice, checks=found,
            offer_unchecked=bool(failed), **shown,
        )  # fmt: skip
    async with db.session() as s:
        row = await service.get(s, workspace_id=me.workspace_id, assistant_id=assistant.id)
        if row is None:
            raise not_found()
        assistant = await service.update(s, box, assistant=row, changes={"model_settings": body})
    saved = "Saved, without checking." if action == "save_unchecked" else "Checked and saved."
    return await _page(
        request, assistant, llms, notice=f"{saved} Keys are stored encrypted and never shown again.",
        checks=found, section="model",
    )  # fmt: skip


@router.post("/assistants/{assistant_id}/delete")
async def delete(request: Request, assistant_id: str, db: Db, me: CurrentAdmin, llms: Models) -> Response:
    assistant = await _assistant(db, me, assistant_id)
    try:
        async with db.session() as s:
            row = await service.get(s, workspace_id=me.workspace_id, assistant_id=assistant.id)
            if row is None:
                raise not_found()
            await service.remove(s, assistant=row)
    except service.LastAssistant as exc:
        return await _page(request, assistant, llms, status=409, error=f"Not deleted: {exc}.", section="delete")
    return see_other("/assistants")


@router.post("/assistants/{assistant_id}/try")
async def try_it(
    request: Request, assistant_id: str, db: Db, me: CurrentAdmin, llms: Models, pipeline: Stages, limits: Limits
) -> Response:
    """A sample message through the real pipeline, dry: each stage's result, nothing sent."""
    assistant = await _assistant(db, me, assistant_id)
    form = await _form(request, "message", "channel")
    shown: dict[str, Any] = {"section": "try", "sample": form["message"], "channel": form["channel"] or "web"}
    try:
        tried = await trial.try_message(
            pipeline, limits, who=f"{me.workspace_id}:{me.user_id}", assistant=assistant,
            text=form["message"], channel=form["channel"] or "web",
        )  # fmt: skip
    except trial.TooMany as exc:
        return await _page(request, assistant, llms, status=429, error=f"Not tried: {exc}.", **shown)
    except ValueError as exc:
        return await _page(request, assistant, llms, status=422, error=f"Not tried: {exc}.", **shown)
    return await _page(request, assistant, llms, tried=tried, **shown)
