"""/knowledge/playground: a question, and the passages the assistant would find for it, with their
scores, the answer threshold and what the assistant would do. The same search as the pipeline's
retrieve stage (kb.search through kb.service.search: hybrid, the top TOP_K passages, the
workspace's threshold), so what the page shows is what happens to a customer's question."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from admin.web.pages import page_router, render
from admin.web.session import CurrentAdmin
from kb import service
from kb.api.deps import Knowledge, Settings
from kb.api.search import MAX_QUERY
from kb.index import Hit
from kb.pages.common import HOME
from kb.retrieve import TOP_K

router = page_router()


@dataclass(frozen=True)
class Verdict:
    clears: bool
    title: str
    detail: str


def verdict(hits: list[Hit], threshold: float) -> Verdict:
    """What the assistant does with what it found (kb.extractive without an LLM; core.pipeline.draft
    with one)."""
    with_llm = "With an LLM, it drafts a reply from these passages and cites the ones it uses."
    if not hits:
        return Verdict(False, "Hands the question to staff", "Nothing in the knowledge base matches it.")
    best = hits[0].similarity
    if best >= threshold:
        return Verdict(
            True,
            "Answers from the first passage",
            f"Its similarity {best:.2f} clears the threshold {threshold:.2f}: without an LLM the assistant "
            f"answers with the passage's own words and cites it. {with_llm}",
        )
    return Verdict(
        False,
        "Hands the question to staff",
        f"The best similarity {best:.2f} is under the threshold {threshold:.2f}: without an LLM the customer "
        f"gets the holding reply and staff are asked. {with_llm}",
    )


@router.get(HOME + "/playground")
async def playground(request: Request, me: CurrentAdmin, knowledge: Knowledge, settings: Settings) -> Response:
    question = request.query_params.get("q", "").strip()
    error = None
    if len(question) > MAX_QUERY:
        question, error = question[:MAX_QUERY], f"A question is at most {MAX_QUERY} characters: this one was cut."
    found = None
    if question:
        found = await service.search(
            knowledge, workspace_id=me.workspace_id, query=question, k=TOP_K, mode="hybrid",
            default_threshold=settings.kb_answer_threshold,
        )  # fmt: skip
    return render(
        request, "kb/playground.html", question=question, error=error, hits=found.hits if found else [],
        threshold=found.threshold if found else None, verdict=verdict(found.hits, found.threshold) if found else None,
    )  # fmt: skip
