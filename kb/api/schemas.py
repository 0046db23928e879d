"""Knowledge-base bodies: collections, documents, jobs with their progress, and search results."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from admin.common import REDACTED, Name, UpdateModel
from core.urls import HttpURL
from kb.embedders import EmbeddingChoice
from kb.index import Hit
from kb.models import KnowledgeJob

Refresh = Literal["off", "daily", "weekly"]
SearchMode = Literal["hybrid", "bm25", "vector"]


class CollectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    assistant_id: str | None = Field(None, max_length=64, description="Only this assistant uses it; empty: all.")
    refresh: Refresh = Field("off", description="How often crawled pages are fetched again.")


class CollectionUpdate(UpdateModel):
    NULLABLE = frozenset({"assistant_id"})

    name: Name | None = None
    assistant_id: str | None = Field(None, max_length=64)
    refresh: Refresh | None = None


class CollectionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    assistant_id: str | None
    version: int
    embed_model: str
    embed_dim: int
    refresh: str
    created_at: datetime
    updated_at: datetime


class DocumentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    collection_id: str
    title: str
    kind: str
    source: str = Field(description="The file name or URL passages are cited with.")
    media_type: str
    content_hash: str
    size_bytes: int
    chunk_count: int
    created_at: datetime
    updated_at: datetime


class JobPublic(BaseModel):
    id: str
    kind: str
    state: Literal["pending", "running", "done", "failed"]
    target: str
    percent: int = Field(ge=0, le=100)
    done: int
    total: int
    result: dict[str, Any]
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: KnowledgeJob) -> JobPublic:
        return cls(
            id=job.id,
            kind=job.kind,
            state=job.state,
            target=job.target,
            percent=job.percent,
            done=job.done,
            total=job.total,
            result=job.result or {},
            error=job.error,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


class UploadPublic(BaseModel):
    job: JobPublic
    document: DocumentPublic | None = Field(None, description="Set once the job is done.")
    outcome: Literal["created", "updated", "unchanged"] | None = None


class SiteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpURL = Field(description="Where to start: its host and path are the scope.")
    collection_id: str | None = Field(None, max_length=64)
    max_pages: int = Field(50, ge=1, le=500)
    max_depth: int = Field(3, ge=0, le=10)


class SitePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    collection_id: str
    start_url: str
    max_pages: int
    max_depth: int
    pages: int
    last_crawled_at: datetime | None
    last_error: str | None
    created_at: datetime


class EmbeddingUpdate(EmbeddingChoice):
    """The workspace's embedding model. `local` is the packaged MiniLM (offline, the default);
    `openai` is any OpenAI-compatible `/embeddings` endpoint, checked before it is saved."""

    model_config = ConfigDict(extra="forbid")

    base_url: HttpURL | None = Field(None, description="e.g. https://api.openai.com/v1")
    model: str | None = Field(None, max_length=150, description="e.g. text-embedding-3-small, nomic-embed-text")
    api_key: str | None = Field(
        None, max_length=2000, repr=False, description=f"Omitted or {REDACTED!r}: keep the stored key."
    )


class EmbeddingPublic(BaseModel):
    provider: Literal["local", "openai"]
    base_url: str | None
    model: str | None
    dimensions: int | None
    api_key: str | None = Field(description=f"{REDACTED!r} when set; never shown.")
    embed_model: str = Field(description="The name recorded with the vectors.")
    embed_dim: int
    answer_threshold: float | None = Field(description="Unset: the instance's kb_answer_threshold.")
    waiting_passages: int = Field(description="Passages still to be embedded with this model.")
    jobs: list[JobPublic] = Field(default_factory=list, description="The re-embedding this change started.")


class SourcePublic(BaseModel):
    document_id: str
    title: str
    source: str
    url: str | None
    heading: str | None
    page: int | None


class SearchResult(BaseModel):
    id: str
    text: str
    score: float = Field(description="The ranking score of the mode: reciprocal-rank fusion, BM25 or cosine.")
    similarity: float = Field(description="Cosine similarity to the question: what the answer threshold uses.")
    answers: bool = Field(description="Whether the drafter would answer with this passage (above the threshold).")
    question: str | None
    answer: str | None
    source: SourcePublic

    @classmethod
    def of(cls, hit: Hit, threshold: float) -> SearchResult:
        p = hit.passage
        return cls(
            id=p.id,
            text=p.text,
            score=round(hit.score, 6),
            similarity=round(hit.similarity, 4),
            answers=hit.similarity >= threshold,
            question=p.question,
            answer=p.answer,
            source=SourcePublic(
                document_id=p.document_id, title=p.title, source=p.source, url=p.url, heading=p.heading, page=p.page
            ),
        )


class SearchPublic(BaseModel):
    query: str
    mode: SearchMode
    threshold: float
    results: list[SearchResult]
