"""Writing knowledge: collections, and documents stored with their chunks and vectors.

A document is parsed, chunked and embedded before the database is touched, then written in one
transaction with the collection's version bump: a failure at any step leaves nothing behind, and
other processes see either the old document or the new one. Re-ingesting unchanged content is a
no-op (content hash), and a changed document re-embeds only the chunks whose text changed.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.messages import utcnow
from kb.embedders import Embedders, recorded_model
from kb.embeddings import Embedder
from kb.index import search_text
from kb.ingest.chunking import Chunk, chunk_sections
from kb.ingest.readers import Parsed
from kb.ingest.sections import Section
from kb.models import KnowledgeChunk, KnowledgeCollection, KnowledgeDocument

DEFAULT_COLLECTION = "Knowledge base"
Progress = Callable[[int, int], None]  # (done, total) chunks embedded
Outcome = Literal["created", "updated", "unchanged"]


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Stored:
    document: KnowledgeDocument
    outcome: Outcome
    embedded: int  # chunks whose vectors were computed (0 when nothing changed)


def content_hash(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


async def default_collection(s: AsyncSession, *, workspace_id: str) -> KnowledgeCollection:
    """The workspace's collection every assistant uses, created on first need."""
    found = (
        await s.execute(
            select(KnowledgeCollection)
            .where(KnowledgeCollection.workspace_id == workspace_id)
            .order_by(KnowledgeCollection.created_at, KnowledgeCollection.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if found is not None:
        return found
    embed_model, embed_dim = await recorded_model(s, workspace_id)
    collection = KnowledgeCollection(
        workspace_id=workspace_id, name=DEFAULT_COLLECTION, embed_model=embed_model, embed_dim=embed_dim
    )
    s.add(collection)
    await s.flush()
    return collection


async def get_collection(s: AsyncSession, *, workspace_id: str, collection_id: str | None) -> KnowledgeCollection:
    if collection_id is None:
        return await default_collection(s, workspace_id=workspace_id)
    found = (
        await s.execute(
            select(KnowledgeCollection).where(
                KnowledgeCollection.id == collection_id, KnowledgeCollection.workspace_id == workspace_id
            )
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("collection not found")
    return found


async def bump_version(s: AsyncSession, collection_id: str) -> None:
    """Tell every process its index of this collection is stale (an atomic increment)."""
    await s.execute(
        update(KnowledgeCollection)
        .where(KnowledgeCollection.id == collection_id)
        .values(version=KnowledgeCollection.version + 1, updated_at=utcnow())
    )


def _embed(
    model: Embedder, title: str, chunks: Sequence[Chunk], known: dict[str, bytes], progress: Progress | None
) -> list[bytes]:
    """Vectors for the chunks, reusing the stored vector of any chunk whose text is unchanged."""
    vectors: list[bytes | None] = [known.get(c.content_hash) for c in chunks]
    todo = [i for i, v in enumerate(vectors) if v is None]
    batch = 32
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        matrix = model.encode([search_text(title, chunks[i].heading, chunks[i].text) for i in part])
        for i, row in zip(part, matrix, strict=True):
            vectors[i] = np.asarray(row, dtype=np.float32).tobytes()
        if progress is not None:
            progress(min(start + batch, len(todo)), len(todo))
    return [v for v in vectors if v is not None]


async def _earlier(
    db: Database, workspace_id: str, collection_id: str | None, source: str, digest: str, model_name: str
) -> tuple[KnowledgeDocument | None, dict[str, bytes]]:
    """A document with this very content, stored already (then there is nothing to do); otherwise
    the vectors `model_name` gave the chunks of the earlier version under `source`, by their text's
    hash, to reuse for the chunks whose text did not change."""
    async with db.reader() as r:
        collection = await find_collection(r, workspace_id, collection_id)
        if collection is None:
            return None, {}
        existing = (
            (
                await r.execute(
                    select(KnowledgeDocument).where(
                        KnowledgeDocument.collection_id == collection.id,
                        (KnowledgeDocument.source == source) | (KnowledgeDocument.content_hash == digest),
                    )
                )
            )
            .scalars()
            .all()
        )
        same = next((d for d in existing if d.content_hash == digest), None)
        previous = next((d for d in existing if d.source == source), None)
        if same is not None or previous is None:
            return same, {}
        rows = await r.execute(
            select(KnowledgeChunk.content_hash, KnowledgeChunk.embedding).where(
                KnowledgeChunk.document_id == previous.id, KnowledgeChunk.embed_model == model_name
            )
        )
        return None, {h: e for h, e in rows.all()}


async def store_document(
    db: Database,
    *,
    workspace_id: str,
    collection_id: str | None,
    source: str,
    kind: str,
    parsed: Parsed,
    digest: str,
    size: int,
    url: str | None = None,
    model: Embedder | None = None,
    embedders: Embedders | None = None,
    progress: Progress | None = None,
) -> Stored:
    """Store a parsed document under `source` (its file name or URL), replacing an earlier version.
    Its passages are embedded with `model`, by default the workspace's (from `embedders`)."""
    if model is None:
        model = await (embedders or Embedders(db)).embedder(workspace_id)
    same, known = await _earlier(db, workspace_id, collection_id, source, digest, model.model_name)
    if same is not None:
        return Stored(same, "unchanged", 0)
    chunks = chunk_sections(parsed.sections)
    vectors = await asyncio.to_thread(_embed, model, parsed.title, chunks, known, progress)
    async with db.session() as s:
        collection = await get_collection(s, workspace_id=workspace_id, collection_id=collection_id)
        document = (
            await s.execute(
                select(KnowledgeDocument).where(
                    KnowledgeDocument.collection_id == collection.id, KnowledgeDocument.source == source
                )
            )
        ).scalar_one_or_none()
        outcome: Outcome = "updated" if document is not None else "created"
        if document is None:
            document = KnowledgeDocument(workspace_id=workspace_id, collection_id=collection.id, source=source)
            s.add(document)
        else:
            await s.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id))
        document.title, document.kind, document.media_type = parsed.title[:500], kind, parsed.media_type
        document.content_hash, document.size_bytes, document.chunk_count = digest, size, len(chunks)
        document.updated_at = utcnow()
        await s.flush()
        s.add_all(
            KnowledgeChunk(
                workspace_id=workspace_id,
                collection_id=collection.id,
                document_id=document.id,
                position=position,
                text=chunk.text,
                heading=(chunk.heading or None) and chunk.heading[:500],
                page=chunk.page,
                url=url,
                meta=chunk.meta,
                embedding=vector,
                embed_model=model.model_name,
                embed_dim=model.dimension,
                content_hash=chunk.content_hash,
            )
            for position, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True))
        )
        await bump_version(s, collection.id)
    return Stored(document, outcome, len(chunks) - len(known.keys() & {c.content_hash for c in chunks}))


async def find_collection(r: AsyncSession, workspace_id: str, collection_id: str | None) -> KnowledgeCollection | None:
    """The collection asked for (NotFound if it is not this workspace's), or the default if it exists yet."""
    query = select(KnowledgeCollection).where(KnowledgeCollection.workspace_id == workspace_id)
    if collection_id is not None:
        query = query.where(KnowledgeCollection.id == collection_id)
        found = (await r.execute(query)).scalar_one_or_none()
        if found is None:
            raise NotFound("collection not found")
        return found
    return (
        await r.execute(query.order_by(KnowledgeCollection.created_at, KnowledgeCollection.id).limit(1))
    ).scalar_one_or_none()


def faq_document(title: str, pairs: Sequence[tuple[str, str]]) -> Parsed:
    """Question/answer pairs as a document (the demo's FAQ, answers staff saved)."""
    sections = [Section(f"{q}\n{a}", q, None, "faq", q, a) for q, a in pairs]
    return Parsed(title, "text/markdown", sections)


async def passages(s: AsyncSession, *, workspace_id: str, document_id: str) -> Sequence[KnowledgeChunk]:
    """A document's passages in their order (none if it is not this workspace's)."""
    query = select(KnowledgeChunk).where(
        KnowledgeChunk.document_id == document_id, KnowledgeChunk.workspace_id == workspace_id
    )
    return (await s.execute(query.order_by(KnowledgeChunk.position))).scalars().all()


async def delete_document(db: Database, *, workspace_id: str, document_id: str) -> None:
    async with db.session() as s:
        document = (
            await s.execute(
                select(KnowledgeDocument).where(
                    KnowledgeDocument.id == document_id, KnowledgeDocument.workspace_id == workspace_id
                )
            )
        ).scalar_one_or_none()
        if document is None:
            raise NotFound("document not found")
        await s.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id))
        await s.delete(document)
        await bump_version(s, document.collection_id)


async def reembed_document(
    db: Database, *, document_id: str, embedders: Embedders | None = None, progress: Progress | None = None
) -> int:
    """Embed a document's stored passages again with its workspace's model (after a change of model)."""
    async with db.reader() as r:
        document = await r.get(KnowledgeDocument, document_id)
        if document is None:
            raise NotFound("document not found")
        model = (await (embedders or Embedders(db)).current(document.workspace_id, r)).embedder
        chunks = (
            (await r.execute(select(KnowledgeChunk).where(KnowledgeChunk.document_id == document_id))).scalars().all()
        )
    texts = [Chunk(c.text, c.heading, c.page, c.meta) for c in chunks]
    vectors = await asyncio.to_thread(_embed, model, document.title, texts, {}, progress)
    async with db.session() as s:
        for chunk, vector in zip(chunks, vectors, strict=True):
            await s.execute(
                update(KnowledgeChunk)
                .where(KnowledgeChunk.id == chunk.id)
                .values(embedding=vector, embed_model=model.model_name, embed_dim=model.dimension)
            )
        await bump_version(s, document.collection_id)
    return len(chunks)


async def reembed_workspace(
    db: Database, *, workspace_id: str, embedders: Embedders | None = None, progress: Progress | None = None
) -> int:
    """Embed again every document of the workspace with passages from another model than its current
    one (after the owner chose another model); returns the passages embedded."""
    embedders = embedders or Embedders(db)
    model = await embedders.embedder(workspace_id)
    async with db.reader() as r:
        rows = await r.execute(
            select(KnowledgeChunk.document_id, func.count())
            .where(KnowledgeChunk.workspace_id == workspace_id, KnowledgeChunk.embed_model != model.model_name)
            .group_by(KnowledgeChunk.document_id)
        )
        stale = rows.all()
    total, finished = sum(n for _, n in stale), 0
    for document_id, _ in stale:

        def report(done: int, _total: int, base: int = finished) -> None:
            if progress is not None:
                progress(base + done, total)

        try:
            finished += await reembed_document(db, document_id=document_id, embedders=embedders, progress=report)
        except NotFound:
            continue  # deleted meanwhile
    return finished
