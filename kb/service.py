"""Knowledge-base queries for the admin, each scoped to one workspace. Writing documents is kb.store's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Assistant
from kb import store
from kb.api.schemas import CollectionCreate
from kb.embedders import recorded_model
from kb.ingest.guard import BadDocument
from kb.ingest.readers import Parsed, parse_isolated
from kb.models import KnowledgeCollection, KnowledgeDocument, KnowledgeJob, KnowledgeSite

RECENT_JOBS = 50


class Invalid(ValueError):
    pass


@dataclass(frozen=True)
class ParsedUpload:
    source: str
    parsed: Parsed


async def parse_upload(name: str, data: bytes) -> ParsedUpload:
    source = PurePath(name.replace("\\", "/")).name.strip()[:255]
    if not source:
        raise BadDocument("the file needs a name (its extension tells its format)", 400)
    return ParsedUpload(source, await parse_isolated(source, data))


async def collections(s: AsyncSession, *, workspace_id: str) -> Sequence[KnowledgeCollection]:
    query = (
        select(KnowledgeCollection)
        .where(KnowledgeCollection.workspace_id == workspace_id)
        .order_by(KnowledgeCollection.created_at, KnowledgeCollection.id)
    )
    return (await s.execute(query)).scalars().all()


async def _check_assistant(s: AsyncSession, workspace_id: str, assistant_id: str | None) -> None:
    if assistant_id is None:
        return
    found = await s.execute(
        select(Assistant.id).where(Assistant.id == assistant_id, Assistant.workspace_id == workspace_id)
    )
    if found.first() is None:
        raise Invalid("assistant_id is not an assistant of this workspace")


async def create_collection(s: AsyncSession, *, workspace_id: str, data: CollectionCreate) -> KnowledgeCollection:
    await _check_assistant(s, workspace_id, data.assistant_id)
    embed_model, embed_dim = await recorded_model(s, workspace_id)
    row = KnowledgeCollection(
        workspace_id=workspace_id,
        name=data.name,
        assistant_id=data.assistant_id,
        refresh=data.refresh,
        embed_model=embed_model,
        embed_dim=embed_dim,
    )
    s.add(row)
    await s.flush()
    return row


async def update_collection(
    s: AsyncSession, *, workspace_id: str, collection_id: str, changes: dict[str, Any]
) -> KnowledgeCollection:
    row = await store.get_collection(s, workspace_id=workspace_id, collection_id=collection_id)
    if "assistant_id" in changes:
        await _check_assistant(s, workspace_id, changes["assistant_id"])
    for field, value in changes.items():
        setattr(row, field, value)
    if "assistant_id" in changes:  # who searches it changed: every process rebuilds
        row.version += 1
    await s.flush()
    return row


async def delete_collection(s: AsyncSession, *, workspace_id: str, collection_id: str) -> None:
    row = await store.get_collection(s, workspace_id=workspace_id, collection_id=collection_id)
    await s.delete(row)  # documents and their chunks go with it (ON DELETE CASCADE)


async def documents(
    s: AsyncSession, *, workspace_id: str, collection_id: str | None, limit: int, offset: int
) -> tuple[int, Sequence[KnowledgeDocument]]:
    where = [KnowledgeDocument.workspace_id == workspace_id]
    if collection_id is not None:
        where.append(KnowledgeDocument.collection_id == collection_id)
    total = (await s.execute(select(func.count()).select_from(KnowledgeDocument).where(*where))).scalar_one()
    rows = (
        (
            await s.execute(
                select(KnowledgeDocument)
                .where(*where)
                .order_by(KnowledgeDocument.created_at.desc(), KnowledgeDocument.id)
                .limit(limit)
                .offset(offset)
            )
        )
        .scalars()
        .all()
    )
    return total, rows


async def document(s: AsyncSession, *, workspace_id: str, document_id: str) -> KnowledgeDocument | None:
    return (
        await s.execute(
            select(KnowledgeDocument).where(
                KnowledgeDocument.id == document_id, KnowledgeDocument.workspace_id == workspace_id
            )
        )
    ).scalar_one_or_none()


async def sites(s: AsyncSession, *, workspace_id: str) -> Sequence[KnowledgeSite]:
    query = select(KnowledgeSite).where(KnowledgeSite.workspace_id == workspace_id).order_by(KnowledgeSite.created_at)
    return (await s.execute(query)).scalars().all()


async def site(s: AsyncSession, *, workspace_id: str, site_id: str) -> KnowledgeSite | None:
    query = select(KnowledgeSite).where(KnowledgeSite.id == site_id, KnowledgeSite.workspace_id == workspace_id)
    return (await s.execute(query)).scalar_one_or_none()


async def jobs(s: AsyncSession, *, workspace_id: str) -> Sequence[KnowledgeJob]:
    query = (
        select(KnowledgeJob)
        .where(KnowledgeJob.workspace_id == workspace_id)
        .order_by(KnowledgeJob.created_at.desc(), KnowledgeJob.id)
        .limit(RECENT_JOBS)
    )
    return (await s.execute(query)).scalars().all()
