"""The knowledge base's tables. The main database is the source of truth: every process, on SQLite or
PostgreSQL, reads the same documents and chunks (with their vectors) and builds its own index.

A collection's `version` goes up whenever its chunks change; a process compares it with the version
its in-memory index was built from, and rebuilds only then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.cache import track
from core.db import UTCDateTime
from core.messages import utcnow
from core.models import Base, Json, Row, workspace_fk


class KnowledgeCollection(Row, Base):
    """A set of documents an assistant answers from. `assistant_id` empty: every assistant of the
    workspace uses it (the common case, one collection per business)."""

    __tablename__ = "kb_collections"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    workspace_id: Mapped[str] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200))
    assistant_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("assistants.id", ondelete="SET NULL"), nullable=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Vectors are only comparable within one model: a change of model re-embeds the collection.
    embed_model: Mapped[str] = mapped_column(String(200))
    embed_dim: Mapped[int] = mapped_column(Integer)
    refresh: Mapped[str] = mapped_column(String(16), default="off")  # off | daily | weekly (crawled pages)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnowledgeSettings(Row, Base):
    """A workspace's choice of embedding model; no row means the local model (kb/embedders.py).

    `embed_model`/`embed_dim` name the vectors this choice makes: passages recorded with another name
    are embedded again. `endpoint` holds base_url, model, dimensions and the api key (encrypted).
    """

    __tablename__ = "kb_settings"
    __table_args__ = (UniqueConstraint("workspace_id"),)
    workspace_id: Mapped[str] = workspace_fk()
    provider: Mapped[str] = mapped_column(String(16), default="local")  # local | openai
    endpoint: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    embed_model: Mapped[str] = mapped_column(String(200))
    embed_dim: Mapped[int] = mapped_column(Integer)
    # The similarity an extractive answer needs; the scale differs per model. Unset: the instance's
    # kb_answer_threshold (calibrated for the local model).
    answer_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnowledgeDocument(Row, Base):
    __tablename__ = "kb_documents"
    __table_args__ = (UniqueConstraint("collection_id", "source"),)
    workspace_id: Mapped[str] = workspace_fk()
    collection_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("kb_collections.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))  # file | page | faq | answer
    # The file name or URL the passages are cited with; unique within the collection.
    source: Mapped[str] = mapped_column(String(2000))
    media_type: Mapped[str] = mapped_column(String(100), default="text/plain")
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnowledgeChunk(Row, Base):
    """One passage, with its vector (float32 bytes) and where it came from, for citations."""

    __tablename__ = "kb_chunks"
    workspace_id: Mapped[str] = workspace_fk()
    collection_id: Mapped[str] = mapped_column(String(36), index=True)
    document_id: Mapped[str] = mapped_column(String(36), ForeignKey("kb_documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    heading: Mapped[str | None] = mapped_column(String(500), nullable=True)
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    # FAQ rows keep {"question", "answer"}: the extractive drafter answers with the answer alone.
    meta: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    embed_model: Mapped[str] = mapped_column(String(200))
    embed_dim: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))


class KnowledgeJob(Row, Base):
    """Long work (an upload's embedding, a crawl, a reindex) with its progress, for the API and CLI."""

    __tablename__ = "kb_jobs"
    workspace_id: Mapped[str] = workspace_fk()
    collection_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("kb_collections.id", ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # ingest | crawl | reindex
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | running | done | failed
    target: Mapped[str] = mapped_column(String(2000), default="")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Moved on while the job runs (kb/jobs.py); a job whose process stopped stops moving.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=utcnow)

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class KnowledgeSite(Row, Base):
    """A website crawled into a collection; its pages are documents whose source is their URL.
    The collection's `refresh` says how often it is crawled again."""

    __tablename__ = "kb_sites"
    __table_args__ = (UniqueConstraint("collection_id", "start_url"),)
    workspace_id: Mapped[str] = workspace_fk()
    collection_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("kb_collections.id", ondelete="CASCADE"), index=True
    )
    start_url: Mapped[str] = mapped_column(String(2000))
    max_pages: Mapped[int] = mapped_column(Integer, default=50)
    max_depth: Mapped[int] = mapped_column(Integer, default=3)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    last_crawled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


# A turn caches these per workspace (core/cache.py): a change bumps the workspace's config_version.
track(KnowledgeSettings)
