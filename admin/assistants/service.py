"""Assistants of one workspace: every function takes the workspace id and sees nothing outside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.assistants.schemas import AssistantCreate, ModelSettingsUpdate
from admin.common import safe_slug, seal_config
from core.assistants import SECRET_FIELDS
from core.crypto import SecretBox
from core.models import Assistant, Workspace
from core.workspaces import DEFAULT_INSTRUCTIONS, slugify, unique_slug


class SlugTaken(ValueError):
    pass


class LastAssistant(ValueError):
    pass


async def list_all(s: AsyncSession, *, workspace_id: str) -> Sequence[Assistant]:
    return (
        (
            await s.execute(
                select(Assistant)
                .where(Assistant.workspace_id == workspace_id)
                .order_by(Assistant.created_at, Assistant.id)
            )
        )
        .scalars()
        .all()
    )


async def get(s: AsyncSession, *, workspace_id: str, assistant_id: str) -> Assistant | None:
    return (
        await s.execute(select(Assistant).where(Assistant.id == assistant_id, Assistant.workspace_id == workspace_id))
    ).scalar_one_or_none()


def _sealed(box: SecretBox, settings: ModelSettingsUpdate | None, old: dict[str, Any] | None) -> dict[str, Any]:
    if settings is None:
        return {}
    # Only what the owner set is stored: unset fields keep following the instance's defaults.
    return seal_config(box, settings.model_dump(exclude_unset=True), old=old, secret_fields=SECRET_FIELDS)


async def create(s: AsyncSession, box: SecretBox, *, workspace_id: str, data: AssistantCreate) -> Assistant:
    if data.slug is not None:
        if await _slug_taken(s, data.slug):
            raise SlugTaken(data.slug)
        slug = data.slug
    else:
        slug = await unique_slug(s, Assistant, safe_slug(slugify(data.name)))
    assistant = Assistant(
        workspace_id=workspace_id,
        slug=slug,
        name=data.name,
        instructions=DEFAULT_INSTRUCTIONS if data.instructions is None else data.instructions,
        approval_policy=data.approval_policy,
        confidence_threshold=data.confidence_threshold,
        holding_reply=data.holding_reply,
        model_settings=_sealed(box, data.model_settings, None),
    )
    s.add(assistant)
    await s.flush()
    return assistant


async def update(s: AsyncSession, box: SecretBox, *, assistant: Assistant, changes: dict[str, Any]) -> Assistant:
    slug = changes.get("slug")
    if slug is not None and slug != assistant.slug and await _slug_taken(s, slug):
        raise SlugTaken(slug)
    if "model_settings" in changes:
        changes["model_settings"] = _sealed(box, changes["model_settings"], assistant.model_settings)
    for field, value in changes.items():
        setattr(assistant, field, value)
    await s.flush()
    return assistant


async def remove(s: AsyncSession, *, assistant: Assistant) -> None:
    """Delete an assistant, but never a workspace's last one: its channels would have no one to answer."""
    # Locking the workspace row serialises concurrent deletes, so two cannot each remove "the other".
    await s.execute(select(Workspace.id).where(Workspace.id == assistant.workspace_id).with_for_update())
    count = (
        await s.execute(
            select(func.count()).select_from(Assistant).where(Assistant.workspace_id == assistant.workspace_id)
        )
    ).scalar_one()
    if count <= 1:
        raise LastAssistant("a workspace needs at least one assistant")
    await s.delete(assistant)


async def _slug_taken(s: AsyncSession, slug: str) -> bool:
    return (await s.execute(select(Assistant.id).where(Assistant.slug == slug))).first() is not None
