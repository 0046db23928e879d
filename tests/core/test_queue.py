"""The durable inbox and the leased queue, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core.db import Database
from core.inbox import Inbox
from core.messages import ChannelKind, InboundMessage, Sender, utcnow
from core.models import InboxItem
from core.queue import LeasedQueue
from core.wakeup import Wakeup


def msg(i: int, thread: str = "t1", workspace: str = "ws") -> InboundMessage:
    return InboundMessage(
        workspace_id=workspace,
        channel=ChannelKind.telegram,
        account="bot1",
        external_id=str(i),
        thread=thread,
        sender=Sender(id="u1"),
        text=f"hello {i}",
    )


async def test_accept_is_idempotent_on_channel_message_id(db_url: str) -> None:
    db = Database(db_url)
    try:
        inbox = Inbox(db, Wakeup())
        results = [await inbox.accept(msg(1)) for _ in range(3)]
        assert [r.duplicate for r in results] == [False, True, True]
        assert len({r.inbox_id for r in results}) == 1
        # The same id on another account or channel is another message.
        other = await inbox.accept(msg(1).model_copy(update={"account": "bot2"}))
        assert not other.duplicate
        async with db.reader() as s:
            assert (await s.execute(select(func.count()).select_from(InboxItem))).scalar_one() == 2
    finally:
        await db.dispose()


async def test_concurrent_redeliveries_store_one_row(db_url: str) -> None:
    db = Database(db_url)
    try:
        inbox = Inbox(db, Wakeup())
        results = await asyncio.gather(*(inbox.accept(msg(7)) for _ in range(5)))
        assert sum(not r.duplicate for r in results) == 1
    finally:
        await db.dispose()


async def test_a_burst_is_group_committed_and_every_caller_gets_its_own_row(db_url: str) -> None:
    db = Database(db_url)
    try:
        inbox = Inbox(db, Wakeup())
        burst = [msg(i, thread=f"t{i % 7}") for i in range(120)] + [msg(5), msg(6)]  # two redeliveries inside
        results = await asyncio.gather(*(inbox.accept(m) for m in burst))
        assert [r.duplicate for r in results] == [False] * 120 + [True, True]
        assert results[120].inbox_id == results[5].inbox_id and results[121].inbox_id == results[6].inbox_id
        async with db.reader() as s:
            stored = dict((await s.execute(select(InboxItem.id, InboxItem.external_id))).all())
        assert {r.inbox_id: str(i) for i, r in enumerate(results[:120])} == stored
    finally:
        await db.dispose()


async def test_a_message_the_database_refuses_fails_alone(db_url: str) -> None:
    """PostgreSQL refuses NUL inside JSON text: that caller gets the error, its neighbours in the same
    group commit are stored. (SQLite stores it, so there all three succeed.)"""
    db = Database(db_url)
    try:
        inbox = Inbox(db, Wakeup())
        bad = msg(2).model_copy(update={"text": "nul \x00 inside"})
        results = await asyncio.gather(
            inbox.accept(msg(1)), inbox.accept(bad), inbox.accept(msg(3)), return_exceptions=True
        )
        assert not isinstance(results[0], BaseException) and not isinstance(results[2], BaseException)
        assert isinstance(results[1], Exception) == db.is_postgres
        async with db.reader() as s:
            count = (await s.execute(select(func.count()).select_from(InboxItem))).scalar_one()
        assert count == (2 if db.is_postgres else 3)
    finally:
        await db.dispose()


async def test_one_turn_per_conversation_at_a_time_in_order(db_url: str) -> None:
    db = Database(db_url)
    try:
        inbox = Inbox(db, Wakeup())
        for i in range(3):
            await inbox.accept(msg(i, thread="slow"))
        await inbox.accept(msg(10, thread="other"))
        queue = LeasedQueue(db, InboxItem, "processing", 30)
        first = await queue.claim("w1", 10)
        # Only the head of each conversation is handed out.
        assert sorted(r.message["external_id"] for r in first) == ["0", "10"]
        assert await queue.claim("w2", 10) == []
        head = next(r for r in first if r.message["external_id"] == "0")
        assert await queue.finish(head.id, "w1", "done")
        nxt = await queue.claim("w2", 10)
        assert [r.message["external_id"] for r in nxt] == ["1"]
    finally:
        await db.dispose()


async def test_expired_lease_is_claimed_again_and_the_old_claimer_loses(db_url: str) -> None:
    db = Database(db_url)
    try:
        await Inbox(db, Wakeup()).accept(msg(1))
        queue = LeasedQueue(db, InboxItem, "processing", 30)
        [row] = await queue.claim("dead-worker", 1)
        assert await queue.claim("w2", 1) == []
        async with db.session() as s:  # the dead worker's lease runs out
            await s.execute(update(InboxItem).values(lease_until=utcnow() - timedelta(seconds=1)))
        [again] = await queue.claim("w2", 1)
        assert again.id == row.id and again.attempts == 2
        assert not await queue.finish(row.id, "dead-worker", "done")
        assert await queue.finish(row.id, "w2", "done")
    finally:
        await db.dispose()


async def test_parallel_claimers_never_share_a_row(db_url: str) -> None:
    setup = Database(db_url)
    inbox = Inbox(setup, Wakeup())
    for i in range(60):
        await inbox.accept(msg(i, thread=f"t{i}"))
    await setup.dispose()
    dbs = [Database(db_url) for _ in range(3)]
    try:
        claimed: list[int] = []

        async def claimer(n: int) -> None:
            queue = LeasedQueue(dbs[n], InboxItem, "processing", 30)
            while rows := await queue.claim(f"w{n}", 4):
                claimed.extend(r.id for r in rows)

        await asyncio.gather(*(claimer(n) for n in range(3)))
        assert len(claimed) == 60 and len(set(claimed)) == 60
    finally:
        for db in dbs:
            await db.dispose()


# PostgreSQL only: SQLite has no NOTIFY; in-process wake-ups and polling cover it.
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_postgres_notify_wakes_another_process_listener(db_url: str) -> None:
    db = Database(db_url)
    assert db.is_postgres
    listener_db = Database(db_url)
    listener = Wakeup()
    try:
        await listener.listen(listener_db)
        waiter = asyncio.create_task(listener.wait("inbox", 5))
        await asyncio.sleep(0.1)
        started = asyncio.get_running_loop().time()
        await Inbox(db, Wakeup()).accept(msg(1))  # a different Wakeup: only NOTIFY can reach the listener
        await waiter
        assert asyncio.get_running_loop().time() - started < 2
    finally:
        await listener.close()
        await listener_db.dispose()
        await db.dispose()
