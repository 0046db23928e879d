"""Helpers for understanding's tests: a salon with the front-desk schema, customer messages, and
the conversation's context as staff would read it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from core.models import Conversation, Workspace
from tests.rules.conftest import Clock, customer_says
from tests.support import new_workspace
from understanding import context
from understanding.intents import Classifiers, IntentClassifier
from understanding.models import ContextChange
from understanding.schema import SchemaSpec
from understanding.templates import DEFAULT_INTENTS, FRONT_DESK_SCHEMA

NOW = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)  # a Tuesday, 10:00 in London
DEMO = "hi I'm furious, my booking for tomorrow 3pm was cancelled, call me on 07700 900123"


@pytest.fixture(scope="session")
def template_classifier() -> IntentClassifier:
    """The shipped intents, trained once for the session (a few seconds)."""
    from kb.embeddings import local_encoder

    found = Classifiers(local_encoder(), threshold=0.45, min_similarity=0.30).get(DEFAULT_INTENTS)
    assert found is not None
    return found


@pytest.fixture
def clock(runtime: Runtime) -> Clock:
    c = Clock(NOW)
    runtime.rules.clock = c
    runtime.understanding.clock = c
    return c


def salon_schema(**changes: Any) -> SchemaSpec:
    data = {**FRONT_DESK_SCHEMA, **changes}
    data["fields"] = [dict(f, region="GB") if f["type"] == "phone" else f for f in data["fields"]]
    return SchemaSpec.model_validate(data)


async def salon(
    runtime: Runtime, *, model_settings: dict[str, Any] | None = None, fields: Sequence[dict[str, Any]] = ()
) -> tuple[str, str]:
    """A salon with the front-desk schema (and `fields` besides); returns (workspace id, assistant id)."""
    new = await new_workspace(runtime.db, approval_policy="approve_all", model_settings=model_settings)
    async with runtime.db.session() as s:
        ws = await s.get(Workspace, new.workspace.id)
        assert ws is not None
        ws.timezone = "Europe/London"
        spec = salon_schema(fields=[*FRONT_DESK_SCHEMA["fields"], *fields])
        await context.save_schema(s, workspace_id=ws.id, spec=spec)
    return new.workspace.id, new.assistant.id


async def says(runtime: Runtime, ws: str, assistant: str, text: str, *, n: int = 1) -> None:
    await customer_says(runtime, ws, assistant, text, n=n)


async def the_conversation(runtime: Runtime, ws: str) -> Conversation:
    async with runtime.db.reader() as s:
        return (await s.execute(select(Conversation).where(Conversation.workspace_id == ws))).scalar_one()


async def history(runtime: Runtime, conversation_id: str) -> list[ContextChange]:
    async with runtime.db.reader() as s:
        return await context.history(s, conversation_id)
