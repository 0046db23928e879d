"""Retrieval as the drafter and staff see it: the right passage first, with where it came from, and
every process seeing a change made by another."""

from __future__ import annotations

import itertools

import numpy as np

from bot.runtime import Runtime
from core.db import Database
from kb.demo import seed_demo_faq
from kb.embeddings import LOCAL_DIM, LocalEmbedding
from kb.ingest.readers import parse
from kb.search import KnowledgeBase
from kb.store import content_hash, delete_document, store_document
from tests.support import new_workspace

AGES = itertools.count(3)


def test_vectors_are_unit_length_and_similar_questions_are_close(model: LocalEmbedding) -> None:
    vectors = model.encode(["Are you open on Sunday?", "What are your opening hours?", "Do you sell car insurance?"])
    assert vectors.shape == (3, LOCAL_DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > 0.4 > vectors[0] @ vectors[2]
    # The LlamaIndex interface gives the same vector as the batch path.
    assert np.allclose(model.get_query_embedding("Are you open on Sunday?"), vectors[0], atol=1e-5)


async def test_hybrid_search_finds_the_faq_answer_with_its_source(db_url: str, model: LocalEmbedding) -> None:
    db = Database(db_url)
    try:
        ws = (await new_workspace(db)).workspace
        await seed_demo_faq(db, workspace_id=ws.id)
        kb = KnowledgeBase(db, model)
        hits = await kb.search(ws.id, "how much is a haircut?")
        top = hits[0].passage
        assert top.question == "How much does a haircut cost?" and "$55" in (top.answer or "")
        assert top.title == "Bella's Salon FAQ" and top.source == "bellas-salon-faq.md"
        assert top.label == "Bella's Salon FAQ > Prices > How much does a haircut cost?"
        sunday = await kb.search(ws.id, "are you open on Sunday?")
        assert "closed on Sundays" in sunday[0].passage.text
        # Each retriever alone, through the same interface.
        assert (await kb.search(ws.id, "balayage", mode="bm25"))[0].passage.question == "How much is hair colouring?"
        assert (await kb.search(ws.id, "cost of colouring my hair", mode="vector"))[0].passage.heading
        # Another workspace sees nothing of this one's knowledge.
        other = (await new_workspace(db, name="Other Shop")).workspace
        assert await kb.search(other.id, "how much is a haircut?") == []
    finally:
        await db.dispose()


async def test_a_change_in_one_process_is_seen_by_another(db_url: str, model: LocalEmbedding) -> None:
    first, second = Database(db_url), Database(db_url)
    try:
        ws = (await new_workspace(first)).workspace
        reader = KnowledgeBase(second, model)  # another process, with its own index
        assert await reader.search(ws.id, "parking") == []
        data = b"# Visiting us\n\n## Parking\n\nFree parking behind the salon, entrance on Mill Lane.\n"
        stored = await store_document(
            first,
            workspace_id=ws.id,
            collection_id=None,
            source="visiting.md",
            kind="file",
            parsed=parse("visiting.md", data),
            digest=content_hash(data),
            size=len(data),
        )
        hits = await reader.search(ws.id, "where can I park?")
        assert hits and "Mill Lane" in hits[0].passage.text and hits[0].passage.heading == "Visiting us > Parking"
        await delete_document(first, workspace_id=ws.id, document_id=stored.document.id)
        assert await reader.search(ws.id, "where can I park?") == []
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_message_is_embedded_once_for_its_intent_and_its_search(runtime: Runtime) -> None:
    from core.inbox import turn_outcome
    from core.messages import ChannelKind, InboundMessage, Sender
    from kb.embeddings import local_encoder

    new = await new_workspace(runtime.db, approval_policy="autopilot")
    await seed_demo_faq(runtime.db, workspace_id=new.workspace.id)
    encoder = local_encoder()

    async def ask(text: str, i: int) -> int:
        message = InboundMessage(
            workspace_id=new.workspace.id,
            channel=ChannelKind.web,
            account=new.assistant.id,
            external_id=f"m{i}",
            thread="t",
            sender=Sender(id="t"),
            text=text,
        )
        inbox_id = (await runtime.inbox.accept(message)).inbox_id
        await runtime.worker().drain()
        return inbox_id

    await ask("are you open on Sunday?", 1)  # the first turn also trains the intent classifier
    before = encoder.computed
    age = next(AGES)  # a text this process has not embedded before
    inbox_id = await ask(f"  how much is a haircut for my son? he is {age}  ", 2)
    outcome = await turn_outcome(runtime.db, inbox_id)
    assert outcome.decision == "auto_send" and "$20" in (outcome.reply or "")
    assert encoder.computed - before == 1  # understanding embedded it; retrieval reused the vector
