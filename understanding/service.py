"""What the faces (the API, the CLI, staff's actions) ask of understanding besides a context's
values, schema and changes (understanding.context): a workspace's intents, a conversation of a
workspace, and what understanding last made of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache import changed
from core.models import Conversation
from understanding.models import ConversationReading, Intent
from understanding.templates import DEFAULT_INTENTS


@dataclass(frozen=True)
class IntentDraft:
    """An intent as the owner writes it."""

    name: str
    description: str
    examples: list[str]


def intents_problem(intents: list[IntentDraft]) -> str | None:
    """Why this set of intents cannot be saved (None: it can). None at all means the shipped ones."""
    names = [i.name for i in intents]
    if len(names) != len(set(names)):
        return "two intents have the same name"
    if len(intents) == 1:
        return "define two intents at least (or none, for the shipped ones)"
    return None


async def own_intents(s: AsyncSession, workspace_id: str) -> list[Intent]:
    """The workspace's own intents by name (none: it uses the shipped ones)."""
    rows = await s.execute(select(Intent).where(Intent.workspace_id == workspace_id).order_by(Intent.name))
    return list(rows.scalars())


async def intents_for(s: AsyncSession, workspace_id: str) -> dict[str, list[str]]:
    """The workspace's own intents, or the template's when it has defined none."""
    own = {r.name: list(r.examples or []) for r in await own_intents(s, workspace_id)}
    return own or dict(DEFAULT_INTENTS)


async def replace_intents(s: AsyncSession, workspace_id: str, intents: Iterable[IntentDraft]) -> dict[str, list[str]]:
    """Replace the workspace's intents (none: back to the shipped ones); the intents now in use."""
    await s.execute(delete(Intent).where(Intent.workspace_id == workspace_id))
    await changed(s, workspace_id)  # the delete is a bulk statement: the flush hook cannot see it
    s.add_all(
        Intent(workspace_id=workspace_id, name=i.name, description=i.description, examples=i.examples) for i in intents
    )
    await s.flush()
    return await intents_for(s, workspace_id)


async def conversation_of(s: AsyncSession, workspace_id: str, conversation_id: str) -> Conversation | None:
    """The conversation, if it is this workspace's."""
    conv = await s.get(Conversation, conversation_id)
    return conv if conv is not None and conv.workspace_id == workspace_id else None


async def reading_of(s: AsyncSession, conversation_id: str) -> ConversationReading | None:
    """What understanding last made of the conversation (intent, sentiment, summary), if anything."""
    return await s.get(ConversationReading, conversation_id)
