"""Searching a workspace's knowledge from any process.

Each process keeps one in-memory index per workspace (per assistant, when an assistant has its own
collection), built from the database. Before every search it reads the collections' versions (one
small query) and rebuilds the index only when one changed, so a document added through any process
is found by every other on its next search.

The index is built with the workspace's embedding model (kb/embedders.py). Passages embedded by an
earlier model stay searchable by keyword until they are embedded again. If a remote model cannot
embed the question, the search is a keyword search rather than a failure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import overload

import numpy as np
from sqlalchemy import or_, select

from core.cache import Snapshot
from core.db import Database
from core.metrics import KB_EMBEDDING_FAILURES
from kb.embedders import Embedders, WorkspaceModel
from kb.embeddings import Embedder, local_model
from kb.index import MODES, Hit, KnowledgeIndex, Mode, Passage
from kb.models import KnowledgeChunk, KnowledgeCollection, KnowledgeDocument
from kb.remote import EmbeddingUnavailable

log = logging.getLogger(__name__)

Versions = tuple[tuple[str, int], ...]


class KnowledgeBase:
    """`model`, if given, is used for every workspace (benchmarks, tests); otherwise each workspace's
    own choice, from `embedders`."""

    def __init__(self, db: Database, model: Embedder | None = None, *, embedders: Embedders | None = None) -> None:
        self.db = db
        self.embedders = embedders or Embedders(db)
        self._model = model
        self._indexes: dict[tuple[str, str | None], tuple[Versions, str, KnowledgeIndex | None]] = {}
        self._thresholds: dict[str, float | None] = {}
        self._locks: defaultdict[tuple[str, str | None], asyncio.Lock] = defaultdict(asyncio.Lock)

    @property
    def model(self) -> Embedder:
        """The local model (what the warm-up loads), or the one given for every workspace."""
        if self._model is None:
            return local_model()
        return self._model

    @overload
    def answer_threshold(self, workspace_id: str) -> float | None: ...

    @overload
    def answer_threshold(self, workspace_id: str, default: float) -> float: ...

    def answer_threshold(self, workspace_id: str, default: float | None = None) -> float | None:
        """The workspace's own answer threshold as of its last search, or `default` (the instance's)."""
        own = self._thresholds.get(workspace_id)
        return default if own is None else own

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

    async def _versions(
        self, workspace_id: str, assistant_id: str | None, config: Snapshot | None = None
    ) -> tuple[Versions, WorkspaceModel]:
        query = select(KnowledgeCollection.id, KnowledgeCollection.version).where(
            KnowledgeCollection.workspace_id == workspace_id
        )
        if assistant_id is not None:  # its own collections and the shared ones, not other assistants'
            query = query.where(
                or_(KnowledgeCollection.assistant_id.is_(None), KnowledgeCollection.assistant_id == assistant_id)
            )
        async with self.db.reader() as r:
            versions = tuple(sorted((cid, version) for cid, version in (await r.execute(query)).all()))
            if self._model is not None:
                return versions, WorkspaceModel(self._model, None)
            if config is not None:  # a turn: the workspace's model choice as of its config version
                return versions, await config.get("kb_model", lambda: self.embedders.current(workspace_id, r))
            return versions, await self.embedders.current(workspace_id, r)

    async def index(self, workspace_id: str, assistant_id: str | None = None) -> KnowledgeIndex | None:
        """The current index, rebuilt if any collection (or the model) changed since it was built;
        None if empty."""
        return (await self._index(workspace_id, assistant_id))[0]

    async def _index(
        self, workspace_id: str, assistant_id: str | None, config: Snapshot | None = None
    ) -> tuple[KnowledgeIndex | None, Embedder]:
        key = (workspace_id, assistant_id)
        versions, current = await self._versions(workspace_id, assistant_id, config)
        model = current.embedder
        self._thresholds[workspace_id] = current.answer_threshold
        cached = self._indexes.get(key)
        if cached is not None and cached[:2] == (versions, model.model_name):
            return cached[2], model
        async with self._locks[key]:
            cached = self._indexes.get(key)
            if cached is not None and cached[:2] == (versions, model.model_name):
                return cached[2], model
            started = time.perf_counter()
            passages, matrix, valid = await self._load([cid for cid, _ in versions], model)
            index = await asyncio.to_thread(KnowledgeIndex, passages, matrix, model, valid) if passages else None
            self._indexes[key] = (versions, model.model_name, index)
            log.info(
                "knowledge index built",
                extra={
                    "workspace_id": workspace_id,
                    "passages": len(passages),
                    "seconds": round(time.perf_counter() - started, 3),
                    "waiting_for_embedding": 0 if valid is None else int((~valid).sum()),
                },
            )
            return index, model

    async def _load(
        self, collection_ids: list[str], model: Embedder
    ) -> tuple[list[Passage], np.ndarray, np.ndarray | None]:
        """The passages, their vectors, and which rows hold a vector of `model` (None: all do).
        A passage embedded by another model is not comparable: it gets a zero row until its reindex."""
        if not collection_ids:
            return [], np.zeros((0, 0), dtype=np.float32), None  # no model load for an empty KB
        query = (
            select(KnowledgeChunk, KnowledgeDocument.title, KnowledgeDocument.source)
            .join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeChunk.document_id)
            .where(KnowledgeChunk.collection_id.in_(collection_ids))
            .order_by(KnowledgeChunk.document_id, KnowledgeChunk.position)
        )
        passages: list[Passage] = []
        vectors: list[bytes] = []
        valid: list[bool] = []
        dim = model.dimension
        zero = bytes(4 * dim)
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
                usable = chunk.embed_model == model.model_name and len(chunk.embedding) == 4 * dim
                vectors.append(chunk.embedding if usable else zero)
                valid.append(usable)
        matrix = np.frombuffer(b"".join(vectors), dtype=np.float32).reshape(len(vectors), dim)
        mask = np.array(valid, dtype=bool)
        return passages, matrix, None if mask.all() else mask

    async def search(
        self,
        workspace_id: str,
        query: str,
        *,
        assistant_id: str | None = None,
        k: int = 5,
        mode: Mode = "hybrid",
        config: Snapshot | None = None,
    ) -> list[Hit]:
        """The best passages; `config` (a turn's) saves reading the workspace's model choice."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        index, model = await self._index(workspace_id, assistant_id, config)
        if index is None or not query.strip():
            return []
        try:
            vector = await model.aencode_query(query.strip())
        except EmbeddingUnavailable as exc:
            # The customer still gets an answer from the keywords (or an honest hand-off).
            KB_EMBEDDING_FAILURES.inc()
            why = {"workspace_id": workspace_id, "why": str(exc)}
            log.warning("question not embedded, searching by keyword", extra=why)
            mode, vector = "bm25", np.zeros(index.matrix.shape[1], dtype=np.float32)
        return await asyncio.to_thread(index.search, query, k, mode, vector)
