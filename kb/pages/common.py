"""What the knowledge base's pages share: reading a form, a collection of this workspace or the 404
page, and the words the pages use for a job's state."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError

from admin.web.errors import not_found
from core.db import Database
from kb import service, store
from kb.models import KnowledgeCollection, KnowledgeJob

HOME = "/knowledge"
MAX_FIELD = 4000  # longer than any field of these forms may be; the schemas say exactly
STATE_WORDS = {"pending": "Queued", "running": "Processing", "done": "Ready", "failed": "Failed"}


async def form_fields(request: Request, *names: str) -> dict[str, str]:
    """The form's text fields by name ("" when missing), each cut to MAX_FIELD."""
    form = await request.form()
    return {name: value[:MAX_FIELD] if isinstance(value := form.get(name), str) else "" for name in names}


async def collection_or_404(db: Database, workspace_id: str, collection_id: str) -> KnowledgeCollection:
    """The workspace's collection, or the 404 page (another workspace's id included)."""
    try:
        async with db.reader() as s:
            return await store.get_collection(s, workspace_id=workspace_id, collection_id=collection_id[:64])
    except store.NotFound:
        raise not_found("There is no such collection in this workspace.") from None


def problem(exc: ValidationError) -> str:
    """The first thing the API's schema refused, in words for the form."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    return f"{field}: {first.get('msg', 'not valid')}" if field else str(first.get("msg", "not valid"))


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def job_words(job: KnowledgeJob) -> str:
    """What a job's state means to the owner, with the failure's reason in its own words."""
    words = STATE_WORDS.get(job.state, job.state)
    if job.state == "failed":
        return f"Failed: {job.error or 'the reason was not recorded'}"
    if job.state == "running" and job.total:
        unit = "pages" if job.kind == "crawl" else "passages"
        return f"{words}: {job.done} of {job.total} {unit}"
    return words


async def unfinished_jobs(db: Database, workspace_id: str, collection_id: str) -> list[KnowledgeJob]:
    """The collection's recent jobs that are not done: still going, or failed (with why)."""
    async with db.reader() as s:
        jobs = await service.jobs(s, workspace_id=workspace_id, collection_id=collection_id)
    return [j for j in jobs if j.state != "done"][:10]
