"""Answer memory: what staff answered becomes knowledge, so the same question is answered next time
with the staff member's own words.

Each saved answer is a one-question FAQ document in the workspace's knowledge base. Its source is
derived from the question, so saving a new answer to the same question replaces the old one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.models import Message, Workspace
from kb.embedders import Embedders
from kb.models import KnowledgeChunk, KnowledgeDocument
from kb.store import NotFound, Stored, content_hash, delete_document, faq_document, store_document

MAX_QUESTION_CHARS = 1000


class NothingToSave(ValueError):
    pass


def _key(question: str) -> str:
    normal = " ".join(question.lower().split()).strip(" ?!.")
    return "answer:" + hashlib.sha256(normal.encode()).hexdigest()[:16]


async def save_answer(
    db: Database, *, workspace_id: str, question: str, answer: str, embedders: Embedders | None = None
) -> Stored:
    question, answer = question.strip()[:MAX_QUESTION_CHARS], answer.strip()
    if not question or not answer:
        raise NothingToSave("both the customer's question and the answer are needed")
    async with db.reader() as r:
        workspace = await r.get(Workspace, workspace_id)
    team = f"{workspace.name} team" if workspace else "Our team"
    parsed = faq_document(team, [(question, answer)])
    return await store_document(
        db,
        workspace_id=workspace_id,
        collection_id=None,
        source=_key(question),
        kind="answer",
        parsed=parsed,
        digest=content_hash(f"{question}\n{answer}"),
        size=len(answer.encode()),
        embedders=embedders,
    )


async def last_question(db: Database, *, conversation_id: str, inbox_id: int | None = None) -> str | None:
    """The customer's message a staff answer answers: the one the draft was for, or the latest."""
    query = select(Message.text).where(Message.conversation_id == conversation_id, Message.direction == "in")
    if inbox_id is not None:
        query = query.where(Message.inbox_id == inbox_id)
    async with db.reader() as r:
        return (await r.execute(query.order_by(Message.created_at.desc()).limit(1))).scalar_one_or_none()


@dataclass(frozen=True)
class SavedAnswer:
    document_id: str
    question: str
    answer: str
    updated_at: datetime


async def answers(s: AsyncSession, *, workspace_id: str) -> list[SavedAnswer]:
    """The workspace's saved answers, newest first."""
    query = (
        select(KnowledgeDocument, KnowledgeChunk.meta)
        .join(KnowledgeChunk, KnowledgeChunk.document_id == KnowledgeDocument.id)
        .where(KnowledgeDocument.workspace_id == workspace_id, KnowledgeDocument.kind == "answer")
        .order_by(KnowledgeDocument.updated_at.desc(), KnowledgeDocument.id, KnowledgeChunk.position)
    )
    found: dict[str, SavedAnswer] = {}
    for document, meta in (await s.execute(query)).all():
        meta = meta or {}
        if document.id not in found:
            found[document.id] = SavedAnswer(
                document.id, str(meta.get("question") or document.title), str(meta.get("answer") or ""),
                document.updated_at,
            )  # fmt: skip
    return list(found.values())


async def edit_answer(
    db: Database,
    *,
    workspace_id: str,
    document_id: str,
    question: str,
    answer: str,
    embedders: Embedders | None = None,
) -> Stored:
    """Change a saved answer (its question, its words, or both). NotFound if it is not one of this
    workspace's saved answers; NothingToSave if either is empty."""
    async with db.reader() as r:
        old = (
            await r.execute(
                select(KnowledgeDocument).where(
                    KnowledgeDocument.id == document_id,
                    KnowledgeDocument.workspace_id == workspace_id,
                    KnowledgeDocument.kind == "answer",
                )
            )
        ).scalar_one_or_none()
    if old is None:
        raise NotFound("saved answer not found")
    stored = await save_answer(db, workspace_id=workspace_id, question=question, answer=answer, embedders=embedders)
    if stored.document.id != old.id:  # a new question is a new answer: the old one goes
        await delete_document(db, workspace_id=workspace_id, document_id=old.id)
    return stored
