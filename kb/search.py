"""Searching a workspace's knowledge from any process.

Each process keeps one in-memory index per workspace (per assistant, when an assistant has its own
collection), built from the database. Before every search it reads the collections' versions (one
small query) and rebuilds the index only when one changed, so a document added through any process
is found by every other on its next search.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict

import numpy as np
from sqlalchemy import or_, select

from core.db import Database
from kb.embeddings import LocalEmbedding, local_model
from kb.index import MODES, Hit, KnowledgeIndex, Mode, Passage
from kb.models import KnowledgeChunk, KnowledgeCollection, KnowledgeDocument

log = logging.getLogger(__name__)

Versions = tuple[tuple[str, int], ...]


class KnowledgeBase:
    def __init__(self, db: Database, model: LocalEmbedding | None = None) -> None:
        self.db = db
        self._model = model
        self._indexes: dict[tuple[str, str | None], tuple[Versions, KnowledgeIndex | None]] = {}
        self._locks: defaultdict[tuple[str, str | None], asyncio.Lock] = defaultdict(asyncio.Lock)

    @property
    def model(self) -> LocalEmbedding:
        if self._model is None:
            self._model = local_model()
        return self._model

    async def warm_up(self) -> None:
        """Load the embedding model before the first customer's question needs it (~1-2 s), if any
        workspace has knowledge; never fails the process."""
        try:
            async with self.db.reader() as r:
                if (await r.execute(select(KnowledgeChunk.id).limit(1))).first() is None:
                    return
            await asyncio.to_thread(lambda: self.model)
        except Exception:
            log.warning("could not load the embedding model ahead of time", exc_info=True)

    async def _versions(self, workspace_id: str, assistant_id: str | None) -> Versions:
        query = select(KnowledgeCollection.id, KnowledgeCollection.version).where(
            KnowledgeCollection.workspace_id == workspace_id
        )
        if assistant_id is not None:  # its own collections and the shared ones, not other assistants'
            query = query.where(
                or_(KnowledgeCollection.assistant_id.is_(None), KnowledgeCollection.assistant_id == assistant_id)
            )
        async with self.db.reader() as r:
            return tuple(sorted((cid, version) for cid, version in (await r.execute(query)).all()))

    async def index(self, workspace_id: str, assistant_id: str | None = None) -> KnowledgeIndex | None:
        """The current index, rebuilt if any collection changed since it was built; None if empty."""
        key = (workspace_id, assistant_id)
        versions = await self._versions(workspace_id, assistant_id)
        cached = self._indexes.get(key)
        if cached is not None and cached[0] == versions:
            return cached[1]
        async with self._locks[key]:
            cached = self._indexes.get(key)
            if cached is not None and cached[0] == versions:
                return cached[1]
            started = time.perf_counter()
            passages, matrix = await self._load([cid for cid, _ in versions])
            index = await asyncio.to_thread(KnowledgeIndex, passages, matrix, self.model) if passages else None
            self._indexes[key] = (versions, index)
            log.info(
                "knowledge index built",
                extra={
                    "workspace_id": workspace_id,
                    "passages": len(passages),
                    "seconds": round(time.perf_counter() - started, 3),
                },
            )
            return index

    async def _load(self, collection_ids: list[str]) -> tuple[list[Passage], np.ndarray]:
        if not collection_ids:
            return [], np.zeros((0, 0), dtype=np.float32)  # no model load for an empty KB
        query = (
            select(KnowledgeChunk, KnowledgeDocument.title, KnowledgeDocument.source)
            .join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeChunk.document_id)
            .where(
                KnowledgeChunk.collection_id.in_(collection_ids),
                # A chunk embedded by another model is not comparable: it waits for its reindex.
                KnowledgeChunk.embed_model == self.model.model_name,
            )
            .order_by(KnowledgeChunk.document_id, KnowledgeChunk.position)
        )
        passages: list[Passage] = []
        vectors: list[bytes] = []
        async with self.db.reader() as r:
            for chunk, title, source in (await r.execute(query)).all():
                meta = chunk.meta or {}
                passages.append(
                    Passage(
                        id=chunk.id,
                        document_id=chunk.document_id,
                        collection_id=chunk.collection_id,
                        text=chunk.text,
                        title=title,
                        source=source,
                        heading=chunk.heading,
                        page=chunk.page,
                        url=chunk.url,
                        question=meta.get("question"),
                        answer=meta.get("answer"),
                    )
                )
                vectors.append(chunk.embedding)
        matrix = np.frombuffer(b"".join(vectors), dtype=np.float32).reshape(len(vectors), self.model.dimension)
        return passages, matrix

    async def search(
        self, workspace_id: str, query: str, *, assistant_id: str | None = None, k: int = 5, mode: Mode = "hybrid"
    ) -> list[Hit]:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        index = await self.index(workspace_id, assistant_id)
        if index is None or not query.strip():
            return []
        # Embedding the question is CPU work (~5 ms): off the event loop.
        return await asyncio.to_thread(index.search, query, k, mode)
