"""Crash safety: a worker process is killed with SIGKILL mid-batch and a new one takes over.

Every accepted message must get exactly one reply, except at most the one send in flight at each
kill. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import Database
from core.inbox import Inbox
from core.messages import ChannelKind, InboundMessage, Sender
from core.models import Draft, InboxItem, OutboxItem
from core.wakeup import Wakeup
from tests.fakes.openai_server import FakeOpenAI, Step
from tests.fakes.server import serve
from tests.support import new_workspace

MESSAGES, CONVERSATIONS, KILLS = 60, 15, 2
REPLY = '{"reply": "We are open 9 to 6.", "confidence": 0.9, "cited_sources": [], "needs_staff": false}'


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _sent(sink: Path) -> list[str]:
    return sink.read_text().split() if sink.exists() else []


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


async def _accept_all(db_url: str, llm_url: str) -> str:
    db = Database(db_url)
    try:
        new = await new_workspace(
            db, approval_policy="auto", model_settings={"base_url": f"{llm_url}/v1", "model": "fake"}
        )
        inbox = Inbox(db, Wakeup())
        for i in range(MESSAGES):
            conv = i % CONVERSATIONS
            await inbox.accept(
                InboundMessage(
                    workspace_id=new.workspace.id,
                    channel=ChannelKind.web,
                    account=new.assistant.id,
                    external_id=f"m{i}",
                    thread=f"session-{conv}",
                    sender=Sender(id=f"visitor-{conv}"),
                    text=f"question {i}",
                )
            )
        return new.workspace.id
    finally:
        await db.dispose()


async def _counts(db_url: str) -> dict[str, object]:
    db = Database(db_url)
    try:
        async with db.reader() as s:

            async def count(q):  # type: ignore[no-untyped-def]
                return (await s.execute(q)).scalar_one()

            drafts_per_inbox = (await s.execute(select(Draft.inbox_id, func.count()).group_by(Draft.inbox_id))).all()
            return {
                "inbox_done": await count(select(func.count()).select_from(InboxItem).where(InboxItem.state == "done")),
                "drafts": await count(select(func.count()).select_from(Draft)),
                "max_drafts_per_inbox": max((n for _, n in drafts_per_inbox), default=0),
                "outbox": await count(select(func.count()).select_from(OutboxItem)),
                "outbox_sent": await count(
                    select(func.count()).select_from(OutboxItem).where(OutboxItem.state == "sent")
                ),
            }
    finally:
        await db.dispose()


# Three worker processes start and are killed in turn: on a busy 2-core machine that alone can take
# minutes, so this test gets more than the suite's 120 s hang guard.
@pytest.mark.timeout(360)
def test_sigkill_mid_batch_loses_nothing_and_duplicates_at_most_one_per_kill(db_url: str, tmp_path: Path) -> None:
    # The LLM takes a moment, so the kill lands while turns and sends are in flight.
    fake = FakeOpenAI(default=Step(content=REPLY, delay=0.03), record=False)
    with serve(fake.app) as llm_url:
        asyncio.run(_accept_all(db_url, llm_url))
        sink = tmp_path / "sent.txt"
        env = {
            **os.environ,
            "FRONTDESK_DATABASE_URL": db_url,
            "FRONTDESK_SECRET_KEY": "crash-test-key-0123456789",
            "FRONTDESK_DATA_DIR": str(tmp_path),
            "FRONTDESK_CHANNEL_PLUGINS": '["tests.fakes.sink_channel"]',
            "FRONTDESK_SINK_FILE": str(sink),
            "FRONTDESK_INBOX_LEASE_SECONDS": "1.5",
            "FRONTDESK_WORKER_CONCURRENCY": "4",
            "FRONTDESK_OUTBOX_CONCURRENCY": "1",
            "FRONTDESK_WORKER_POLL_SECONDS": "0.2",
            "FRONTDESK_LOG_LEVEL": "WARNING",
            "FRONTDESK_UNDERSTANDING_LLM": "false",  # the fake answers drafts only; understanding reads offline
        }
        env.pop("FRONTDESK_LLM_BASE_URL", None)
        for kill in range(1, KILLS + 1):
            worker = _worker(env)
            target = kill * MESSAGES // (KILLS + 1)
            assert _wait(lambda t=target: len(_sent(sink)) >= t, 60), (
                worker.stderr.read().decode()[-2000:] if worker.stderr and worker.poll() is not None else "no progress"
            )
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        finisher = _worker(env)
        try:
            finished = _wait(lambda: len(set(_sent(sink))) >= MESSAGES, 90)
            time.sleep(0.5)  # anything still to come would be a duplicate
        finally:
            finisher.terminate()
            finisher.wait(15)
    sends = collections.Counter(_sent(sink))
    duplicates = sum(n - 1 for n in sends.values())
    assert finished, f"only {len(sends)} of {MESSAGES} messages were answered"
    assert len(sends) == MESSAGES
    assert duplicates <= KILLS, sends.most_common(5)
    counts = asyncio.run(_counts(db_url))
    assert counts == {
        "inbox_done": MESSAGES,
        "drafts": MESSAGES,
        "max_drafts_per_inbox": 1,
        "outbox": MESSAGES,
        "outbox_sent": MESSAGES,
    }, counts
