"""/knowledge-base/jobs: uploads, crawls and re-embedding with their percent done."""

from __future__ import annotations

from fastapi import APIRouter

from admin.common import not_found
from admin.deps import CurrentCaller
from core.web import Db
from kb import service
from kb.api.schemas import JobPublic

router = APIRouter()


@router.get("/jobs", response_model=list[JobPublic], summary="Recent jobs, newest first")
async def list_jobs(caller: CurrentCaller, db: Db) -> list[JobPublic]:
    async with db.reader() as s:
        return [JobPublic.of(j) for j in await service.jobs(s, workspace_id=caller.workspace_id)]


@router.get("/jobs/{job_id}", response_model=JobPublic, summary="A job with its percent done")
async def job(job_id: str, caller: CurrentCaller, db: Db) -> JobPublic:
    try:
        return JobPublic.of(await service.job(db, workspace_id=caller.workspace_id, job_id=job_id))
    except LookupError as exc:
        raise not_found("job") from exc
