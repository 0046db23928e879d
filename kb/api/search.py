"""/knowledge-base/search: what the assistant would find for a question, with scores, sources, and
whether it would answer from each passage."""

from __future__ import annotations

from fastapi import APIRouter, Query

from admin.deps import CurrentCaller
from kb import service
from kb.api.deps import Knowledge, Settings
from kb.api.schemas import SearchMode, SearchPublic, SearchResult

router = APIRouter()

MAX_QUERY = 1000


@router.get("/search", response_model=SearchPublic, summary="Passages for a question, with scores and sources")
async def search(
    caller: CurrentCaller,
    knowledge: Knowledge,
    settings: Settings,
    q: str = Query(..., min_length=1, max_length=MAX_QUERY),
    k: int = Query(5, ge=1, le=20),
    mode: SearchMode = "hybrid",
    assistant_id: str | None = Query(None, max_length=64),
) -> SearchPublic:
    found = await service.search(
        knowledge,
        workspace_id=caller.workspace_id,
        query=q,
        k=k,
        mode=mode,
        default_threshold=settings.kb_answer_threshold,
        assistant_id=assistant_id,
    )
    return SearchPublic(
        query=q,
        mode=mode,
        threshold=found.threshold,
        results=[SearchResult.of(h, found.threshold) for h in found.hits],
    )
