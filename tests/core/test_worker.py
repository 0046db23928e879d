"""The worker's scheduling: bounded concurrency, order within a conversation, no head-of-line blocking."""

from __future__ import annotations

import asyncio

import pytest

from bot.runtime import Runtime
from core.messages import ChannelKind, InboundMessage, Sender
from core.pipeline.turn import Turn
from tests.support import new_workspace


async def test_slow_conversation_does_not_block_others_and_order_holds(runtime: Runtime) -> None:
    new = await new_workspace(runtime.db)
    finished: list[str] = []
    in_flight, peak = 0, 0
    release_slow = asyncio.Event()

    async def understand(turn: Turn) -> None:  # a stage that is slow for one conversation only
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            if turn.message.thread == "slow":
                await release_slow.wait()
            else:
                await asyncio.sleep(0.01)
        finally:
            in_flight -= 1
        finished.append(turn.message.external_id)

    runtime.pipeline.replace("understand", understand)
    worker = runtime.worker()
    worker.concurrency = 3
    for i in range(3):
        await runtime.inbox.accept(_msg(new.workspace.id, new.assistant.id, f"slow-{i}", "slow"))
    for i in range(12):
        await runtime.inbox.accept(_msg(new.workspace.id, new.assistant.id, f"fast-{i}", f"fast{i % 4}"))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(200):
            if sum(e.startswith("fast") for e in finished) == 12:
                break
            await asyncio.sleep(0.02)
        # Every fast turn finished while the slow conversation's first turn was still running.
        assert sum(e.startswith("fast") for e in finished) == 12
        assert not any(e.startswith("slow") for e in finished)
        release_slow.set()
        for _ in range(200):
            if len(finished) == 15:
                break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task
    assert [e for e in finished if e.startswith("slow")] == ["slow-0", "slow-1", "slow-2"]
    for conv in range(4):
        mine = [e for e in finished if e.startswith("fast") and int(e.split("-")[1]) % 4 == conv]
        assert mine == sorted(mine, key=lambda e: int(e.split("-")[1]))
    assert peak <= 3


def _msg(workspace_id: str, account: str, external_id: str, thread: str) -> InboundMessage:
    return InboundMessage(
        workspace_id=workspace_id,
        channel=ChannelKind.web,
        account=account,
        external_id=external_id,
        thread=thread,
        sender=Sender(id=thread),
        text="hi",
    )


# PostgreSQL only: SQLite deployments run the worker in the web process; the wake-up is in-process.
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_turn_finished_by_another_process_wakes_web_chat_on_postgres(runtime: Runtime) -> None:
    assert runtime.db.is_postgres
    from core.db import Database
    from core.wakeup import Wakeup

    new = await new_workspace(runtime.db)
    web_db, web = Database(runtime.db.url), Wakeup()  # a web process: its own connection and wake-ups
    await web.listen(web_db)
    try:
        accepted = await runtime.inbox.accept(_msg(new.workspace.id, new.assistant.id, "m1", "t1"))
        with web.watching_turn(accepted.inbox_id) as finished:
            await runtime.worker().drain()  # the worker process's wake-up is a different object
            await asyncio.wait_for(finished.wait(), 5)
    finally:
        await web.close()
        await web_db.dispose()


async def test_a_worker_that_lost_its_lease_commits_no_decision(runtime: Runtime) -> None:
    from sqlalchemy import func, select, update

    from core.models import Draft, InboxItem, OutboxItem
    from core.pipeline.decide import LeaseLost
    from core.queue import LeasedQueue

    new = await new_workspace(runtime.db)
    await runtime.inbox.accept(_msg(new.workspace.id, new.assistant.id, "m1", "t1"))
    [row] = await LeasedQueue(runtime.db, InboxItem, "processing", 30).claim("slow-worker", 1)
    async with runtime.db.session() as s:  # its lease lapsed and another worker claimed the row
        await s.execute(update(InboxItem).values(claimed_by="other-worker"))
    with pytest.raises(LeaseLost):
        await runtime.pipeline.run(row)
    async with runtime.db.reader() as s:
        for model in (Draft, OutboxItem):
            assert (await s.execute(select(func.count()).select_from(model))).scalar_one() == 0
        assert (await s.execute(select(InboxItem.state))).scalar_one() == "processing"
