"""/knowledge-base/embedding: the embedding model the workspace's passages are embedded with, and
choosing another (checked first; the passages are embedded again in jobs)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from admin.deps import CurrentCaller, require_admin
from core.db import Database
from core.web import Db
from kb import service
from kb.api.deps import Refresher, WorkspaceEmbedders
from kb.api.schemas import EmbeddingPublic, EmbeddingUpdate, JobPublic
from kb.embedders import ChoiceRefused, Embedders

router = APIRouter()


async def _view(
    db: Database, embedders: Embedders, workspace_id: str, started: list[str] | None = None
) -> EmbeddingPublic:
    view = await service.embedding(db, embedders, workspace_id=workspace_id)
    jobs = [JobPublic.of(await service.job(db, workspace_id=workspace_id, job_id=job_id)) for job_id in started or []]
    return EmbeddingPublic(**view, jobs=jobs)


@router.get("/embedding", response_model=EmbeddingPublic, summary="The embedding model the workspace uses")
async def get_embedding(caller: CurrentCaller, db: Db, embedders: WorkspaceEmbedders) -> EmbeddingPublic:
    return await _view(db, embedders, caller.workspace_id)


@router.put(
    "/embedding",
    response_model=EmbeddingPublic,
    summary="Choose the local model or an OpenAI-compatible endpoint (checked first; passages are re-embedded)",
)
async def put_embedding(
    body: EmbeddingUpdate, caller: CurrentCaller, db: Db, embedders: WorkspaceEmbedders, refresher: Refresher
) -> EmbeddingPublic:
    require_admin(caller)
    try:
        started = await service.choose_embedding(embedders, refresher, workspace_id=caller.workspace_id, choice=body)
    except ChoiceRefused as exc:
        raise HTTPException(422, str(exc)) from exc
    return await _view(db, embedders, caller.workspace_id, started)
