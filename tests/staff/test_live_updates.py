"""The live-update notice a staff action sends (core.wakeup): this process's watchers of the
workspace hear it once, other workspaces' watchers never, and on PostgreSQL another process hears
it through NOTIFY."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.runtime import Runtime
from core.db import Database
from core.models import Conversation
from core.wakeup import Wakeup
from staff.actor import Actor
from tests.rules.conftest import customer_says
from tests.support import new_workspace


async def _conversation(runtime: Runtime) -> tuple[str, str]:
    new = await new_workspace(runtime.db)
    await customer_says(runtime, new.workspace.id, new.assistant.id, "Are you open on Sunday?")
    async with runtime.db.reader() as s:
        conversation = (
            await s.execute(select(Conversation).where(Conversation.workspace_id == new.workspace.id))
        ).scalar_one()
    return new.workspace.id, conversation.id


def _drained(queue: asyncio.Queue[str]) -> list[str]:
    seen = []
    while not queue.empty():
        seen.append(queue.get_nowait())
    return seen


async def test_watchers_of_the_workspace_hear_a_staff_change_once(runtime: Runtime) -> None:
    await runtime.wakeup.listen(runtime.db)  # on PostgreSQL this process also hears its own NOTIFYs
    ws, conversation = await _conversation(runtime)
    other_ws, _ = await _conversation(runtime)
    with (
        runtime.wakeup.watching_conversations(ws) as mine,
        runtime.wakeup.watching_conversations(other_ws) as theirs,
    ):
        await runtime.staff.change_conversation(Actor(ws, "api", label="test"), conversation, {"priority": "high"})
        await asyncio.sleep(0.3)  # time for a NOTIFY to come back, were it heard twice
        assert _drained(mine) == [conversation]
        assert _drained(theirs) == []
        await runtime.staff.change_conversation(Actor(ws, "api", label="test"), conversation, {"priority": "high"})
        assert _drained(mine) == []  # no change, no notice
    await runtime.staff.change_conversation(Actor(ws, "api", label="test"), conversation, {"priority": "low"})
    assert _drained(mine) == []  # a watcher that left hears nothing more


async def test_another_process_hears_it_on_postgres(runtime: Runtime) -> None:
    if not runtime.db.is_postgres:
        return  # SQLite has no NOTIFY: a web inbox hears the changes made in its own process
    ws, conversation = await _conversation(runtime)
    web_db, web = Database(runtime.db.url), Wakeup()  # a web process: its own connection and wake-ups
    await web.listen(web_db)
    try:
        with web.watching_conversations(ws) as changed:
            await runtime.staff.take_over_conversation(Actor(ws, "cli", label="cli"), conversation)
            assert await asyncio.wait_for(changed.get(), 5) == conversation
    finally:
        await web.close()
        await web_db.dispose()
