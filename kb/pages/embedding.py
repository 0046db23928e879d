"""/knowledge/embedding: the workspace's embedding model and answer threshold, as
`PUT /api/v1/knowledge-base/embedding` sets them: validated by its EmbeddingUpdate, checked and saved
by kb.service.choose_embedding (an endpoint that does not answer is refused, nothing saved), then the
passages are embedded again in jobs. The api key is never shown back: the page says whether one is
set, and an empty key field keeps it (for the same endpoint), as the API's omitted key does."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from admin.web.pages import page_router, render, see_other
from admin.web.session import CurrentAdmin, SignedIn
from core.db import Database
from core.web import Db
from kb import service
from kb.api.deps import Refresher, Settings, WorkspaceEmbedders
from kb.api.schemas import EmbeddingUpdate
from kb.embedders import ChoiceRefused, Embedders
from kb.pages.common import HOME, form_fields

router = page_router()
PAGE = HOME + "/embedding"
FIELDS = ("provider", "base_url", "model", "api_key", "dimensions", "answer_threshold")
PROBLEMS = {
    "provider": "Choose the built-in model or an OpenAI-compatible endpoint.",
    "base_url": "An http or https address, such as https://api.openai.com/v1.",
    "model": "At most 150 characters.",
    "api_key": "At most 2,000 characters.",
    "dimensions": "A whole number from 1 to 8192, or empty for the model's own size.",
    "answer_threshold": "A number from 0 to 1 (such as 0.55), or empty for the server's default.",
}


async def _page(
    request: Request, db: Database, me: SignedIn, embedders: Embedders, settings: Settings, *, status: int = 200,
    **shown: Any,
) -> Response:  # fmt: skip
    view = await service.embedding(db, embedders, workspace_id=me.workspace_id)
    context: dict[str, Any] = {"notice": None, "error": None, "errors": {}, "sent": None}
    return render(
        request, "kb/embedding.html", status=status, tab="embedding", view=view,
        default_threshold=settings.kb_answer_threshold, **{**context, **shown},
    )  # fmt: skip


@router.get(PAGE)
async def embedding(
    request: Request, db: Db, me: CurrentAdmin, embedders: WorkspaceEmbedders, settings: Settings
) -> Response:
    notice = {"saved": "Saved. Passages not yet embedded with this model are being embedded again."}
    return await _page(request, db, me, embedders, settings, notice=notice.get(request.query_params.get("done", "")))


def _choice(form: dict[str, str]) -> dict[str, Any]:
    """The form as the API's body: an empty field is one left out."""
    return {name: value.strip() for name, value in form.items() if value.strip()}


@router.post(PAGE)
async def choose(
    request: Request,
    db: Db,
    me: CurrentAdmin,
    embedders: WorkspaceEmbedders,
    refresher: Refresher,
    settings: Settings,
) -> Response:
    form = await form_fields(request, *FIELDS)
    sent = {k: v for k, v in form.items() if k != "api_key"}  # the key is never written back into the page
    try:
        body = EmbeddingUpdate.model_validate(_choice(form))
    except ValidationError as exc:
        wrong = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        errors = {name: PROBLEMS[name] for name in FIELDS if name in wrong}
        return await _page(request, db, me, embedders, settings, status=422, errors=errors, sent=sent)
    try:
        await service.choose_embedding(embedders, refresher, workspace_id=me.workspace_id, choice=body)
    except ChoiceRefused as exc:
        error = f"Not saved: {exc}."
        return await _page(request, db, me, embedders, settings, status=422, error=error, sent=sent)
    return see_other(f"{PAGE}?done=saved")
