"""Which embedding model each workspace's knowledge uses: the local MiniLM (the default, offline), or
an OpenAI-compatible embeddings endpoint the owner chose.

A choice is checked before it is saved (one question embedded, which also tells the vector size).
Saving it records the new model's name on the workspace's collections; passages still carrying the
old name are embedded again in the background (kb/refresh.py), and until then searches find them
by keyword only. The api key is stored encrypted, and never shown back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import REDACTED, SecretBox, redact
from core.db import Database
from core.messages import utcnow
from kb.embeddings import LOCAL_DIM, LOCAL_MODEL, Embedder, local_model
from kb.models import KnowledgeChunk, KnowledgeCollection, KnowledgeSettings
from kb.remote import EmbeddingUnavailable, RemoteEmbedding

SECRET_FIELDS = frozenset({"api_key"})
PROBE_TIMEOUT = 15.0  # seconds


class EmbeddingChoice(BaseModel):
    """What an owner chooses. `provider="local"` needs nothing else."""

    provider: Literal["local", "openai"] = "local"
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    dimensions: int | None = Field(default=None, ge=1, le=8192)
    answer_threshold: float | None = Field(default=None, ge=0, le=1)


@dataclass(frozen=True)
class WorkspaceModel:
    embedder: Embedder
    answer_threshold: float | None  # None: the instance's kb_answer_threshold


@dataclass(frozen=True)
class UnusableEmbedding:
    """The workspace's endpoint when this process cannot call it (no secret key, or a key that no
    longer decrypts): indexes are still built from the stored vectors, and every embedding fails
    with the reason, so searches fall back to keywords and ingestion jobs fail saying why."""

    model_name: str
    dimension: int
    why: str

    def encode(self, texts: list[str]) -> np.ndarray:
        raise EmbeddingUnavailable(self.why)

    async def aencode_query(self, text: str) -> np.ndarray:
        raise EmbeddingUnavailable(self.why)


class ChoiceRefused(ValueError):
    """The endpoint did not work (or the choice is incomplete): nothing was saved."""


async def recorded_model(s: AsyncSession, workspace_id: str) -> tuple[str, int]:
    """The name and size of the vectors the workspace's model makes (what a new collection records)."""
    query = select(KnowledgeSettings.embed_model, KnowledgeSettings.embed_dim)
    found = (await s.execute(query.where(KnowledgeSettings.workspace_id == workspace_id))).first()
    return (found[0], found[1]) if found else (LOCAL_MODEL, LOCAL_DIM)


class Embedders:
    def __init__(self, db: Database, box: SecretBox | None = None, *, timeout: float = 30.0, max_retries: int = 2):
        self.db = db
        self.box = box
        self.timeout = timeout
        self.max_retries = max_retries
        self._remote: dict[str, RemoteEmbedding] = {}

    async def row(self, s: AsyncSession, workspace_id: str) -> KnowledgeSettings | None:
        query = select(KnowledgeSettings).where(KnowledgeSettings.workspace_id == workspace_id)
        return (await s.execute(query)).scalar_one_or_none()

    async def current(self, workspace_id: str, s: AsyncSession | None = None) -> WorkspaceModel:
        if s is None:
            async with self.db.reader() as r:
                row = await self.row(r, workspace_id)
        else:
            row = await self.row(s, workspace_id)
        return WorkspaceModel(self.embedder_of(row), row.answer_threshold if row else None)

    async def embedder(self, workspace_id: str) -> Embedder:
        return (await self.current(workspace_id)).embedder

    def embedder_of(self, row: KnowledgeSettings | None) -> Embedder:
        if row is None or row.provider == "local":
            return local_model()
        key = hashlib.sha256(json.dumps([row.endpoint, row.embed_model], sort_keys=True).encode()).hexdigest()
        found = self._remote.get(key)
        if found is None:
            if self.box is None:
                why = "this process has no secret key to read the embeddings endpoint's api key"
                return UnusableEmbedding(row.embed_model, row.embed_dim, why)
            try:
                endpoint = self.box.open(row.endpoint)
            except ValueError as exc:  # FRONTDESK_SECRET_KEY changed since the key was stored
                return UnusableEmbedding(row.embed_model, row.embed_dim, str(exc))
            found = self._remote[key] = self._remote_model(endpoint, dimension=row.embed_dim)
        return found

    def _remote_model(
        self, endpoint: dict[str, Any], dimension: int | None = None, *, probe: bool = False
    ) -> RemoteEmbedding:
        return RemoteEmbedding(
            base_url=endpoint["base_url"],
            model=endpoint["model"],
            api_key=endpoint.get("api_key"),
            dimensions=endpoint.get("dimensions"),
            dimension=dimension,
            # The check an owner waits for: one short try, so a wrong address answers in seconds.
            timeout=min(self.timeout, PROBE_TIMEOUT) if probe else self.timeout,
            max_retries=0 if probe else self.max_retries,
        )

    async def choose(self, workspace_id: str, choice: EmbeddingChoice) -> KnowledgeSettings:
        """Check and save an owner's choice; a new model marks the workspace's passages for re-embedding.
        An api key left out (or sent redacted) keeps the stored one when the endpoint is unchanged."""
        if self.box is None:
            raise ChoiceRefused("this process has no secret key to store an api key with")
        async with self.db.reader() as r:
            previous = await self.row(r, workspace_id)
        if choice.provider == "local":
            name, dim, endpoint = LOCAL_MODEL, LOCAL_DIM, {}
        else:
            if not choice.base_url or not choice.model:
                raise ChoiceRefused("an OpenAI-compatible endpoint needs base_url and model")
            endpoint = {"base_url": choice.base_url.rstrip("/"), "model": choice.model, "dimensions": choice.dimensions}
            api_key = choice.api_key
            if (not api_key or api_key == REDACTED) and previous is not None:
                try:
                    kept = self.box.open(previous.endpoint)
                except ValueError:  # stored under another FRONTDESK_SECRET_KEY: nothing to keep
                    kept = {}
                same_place = kept.get("base_url") == endpoint["base_url"]
                api_key = kept.get("api_key") if same_place else None
            endpoint["api_key"] = api_key or None
            probe = self._remote_model(endpoint, probe=True)
            try:
                dim = await probe.probe()
            except EmbeddingUnavailable as exc:
                raise ChoiceRefused(str(exc)) from exc
            finally:
                await probe.aclose()
            if choice.dimensions and dim != choice.dimensions:
                raise ChoiceRefused(f"asked for {choice.dimensions}-dimensional vectors, the endpoint answered {dim}")
            name = probe.model_name
            endpoint = self.box.seal(endpoint, SECRET_FIELDS)
        async with self.db.session() as s:
            row = await self.row(s, workspace_id)
            if row is None:
                row = KnowledgeSettings(workspace_id=workspace_id)
                s.add(row)
            row.provider, row.endpoint, row.embed_model, row.embed_dim = choice.provider, endpoint, name, dim
            row.answer_threshold, row.updated_at = choice.answer_threshold, utcnow()
            # Every index of the workspace is built again, with the new model's vectors.
            await s.execute(
                update(KnowledgeCollection)
                .where(KnowledgeCollection.workspace_id == workspace_id)
                .values(embed_model=name, embed_dim=dim, version=KnowledgeCollection.version + 1, updated_at=utcnow())
            )
        return row

    async def describe(self, s: AsyncSession, workspace_id: str) -> dict[str, Any]:
        """What the API and CLI show: the choice (the key only as set or not), and how many passages
        still wait to be embedded with it."""
        view = public(await self.row(s, workspace_id))
        query = select(func.count()).where(
            KnowledgeChunk.workspace_id == workspace_id, KnowledgeChunk.embed_model != view["embed_model"]
        )
        return {**view, "waiting_passages": (await s.execute(query)).scalar_one()}

    async def aclose(self) -> None:
        for model in self._remote.values():
            await model.aclose()
        self._remote.clear()


def public(row: KnowledgeSettings | None) -> dict[str, Any]:
    """The choice as shown: the key only as set or not. No row is the local model."""
    endpoint = redact(row.endpoint or {}, SECRET_FIELDS) if row else {}
    return {
        "provider": row.provider if row else "local",
        "base_url": endpoint.get("base_url"),
        "model": endpoint.get("model"),
        "dimensions": endpoint.get("dimensions"),
        "api_key": endpoint.get("api_key"),
        "embed_model": row.embed_model if row else LOCAL_MODEL,
        "embed_dim": row.embed_dim if row else LOCAL_DIM,
        "answer_threshold": row.answer_threshold if row else None,
    }
