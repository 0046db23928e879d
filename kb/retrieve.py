"""The pipeline's retrieve stage: the passages of the workspace's knowledge base that best match the
customer's message become the turn's sources, for the drafter to answer from and cite."""

from __future__ import annotations

from core.pipeline.turn import Source, Turn
from kb.index import Hit
from kb.search import KnowledgeBase

TOP_K = 4  # what an LLM prompt holds; the extractive drafter uses the first


def as_source(hit: Hit) -> Source:
    passage = hit.passage
    return Source(
        id=passage.id,
        text=passage.text,
        title=passage.title if passage.answer else passage.label,
        url=passage.url,
        score=hit.similarity,
        answer=passage.answer,
    )


class Retrieve:
    def __init__(self, knowledge: KnowledgeBase, *, top_k: int = TOP_K) -> None:
        self.knowledge = knowledge
        self.top_k = top_k

    async def __call__(self, turn: Turn) -> None:
        if turn.draft_id is not None or (turn.draft is not None and not turn.draft.fallback):
            return  # decided on an earlier attempt, or the owner's rules already wrote the reply
        if turn.conversation is None or turn.conversation.bot_paused:
            return  # staff are answering: nothing to draft
        question = turn.message.text.strip()
        if not question or turn.message.kind.value != "message":
            return
        hits = await self.knowledge.search(
            turn.message.workspace_id,
            question,
            assistant_id=turn.assistant.id if turn.assistant else None,
            k=self.top_k,
            config=turn.config,
        )
        turn.sources = [as_source(hit) for hit in hits]
        turn.answer_threshold = self.knowledge.answer_threshold(turn.message.workspace_id)
