"""The pipeline benchmark's harness (bench/pipeline.py runs it): the fake LLM's round trip measured
alone, timing probes on Pipeline.run and each stage of the real Runtime (from the outside; the
product code is not changed), and a driver that accepts messages and runs the worker and the
outbox sender the way `runtime.start(worker=True)` does.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.common import summary_ms

# -- timing probes ------------------------------------------------------------------------------------


@dataclass
class Probe:
    """Timestamps and durations collected while the runtime works (perf_counter seconds)."""

    accepted: dict[int, float] = field(default_factory=dict)  # inbox id -> accept committed
    sent: dict[int, float] = field(default_factory=dict)  # outbox id -> marked sent
    turns: list[float] = field(default_factory=list)  # Pipeline.run durations
    stages: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    expected: int = 0
    in_flight: int = 0  # Pipeline.run calls running now
    most_in_flight: int = 0  # the most at once since the last reset
    done: asyncio.Event = field(default_factory=asyncio.Event)
    one_sent: asyncio.Event = field(default_factory=asyncio.Event)

    def reset(self, expected: int) -> None:
        self.accepted.clear()
        self.sent.clear()
        self.turns.clear()
        self.stages.clear()
        self.expected = expected
        self.most_in_flight = self.in_flight
        self.done.clear()
        self.one_sent.clear()

    def on_sent(self, outbox_id: int) -> None:
        self.sent[outbox_id] = time.perf_counter()
        self.one_sent.set()
        if self.expected and len(self.sent) >= self.expected:
            self.done.set()


def instrument(runtime: Any, probe: Probe) -> None:
    """Time Pipeline.run and every stage, from the outside (the product code is not changed)."""
    pipeline = runtime.pipeline
    for stage in list(pipeline.stages):
        pipeline.replace(stage.name, _timed_stage(stage.name, stage.run, probe))
    original = pipeline.run

    async def timed_run(item: Any) -> Any:
        started = time.perf_counter()
        probe.in_flight += 1
        probe.most_in_flight = max(probe.most_in_flight, probe.in_flight)
        try:
            return await original(item)
        finally:
            probe.in_flight -= 1
            probe.turns.append(time.perf_counter() - started)

    pipeline.run = timed_run


def _timed_stage(name: str, run: Any, probe: Probe) -> Any:
    async def timed(turn: Any) -> None:
        started = time.perf_counter()
        try:
            await run(turn)
        finally:
            probe.stages[name].append(time.perf_counter() - started)

    return timed


# -- the LLM alone ------------------------------------------------------------------------------------


async def measure_llm(base_url: str, *, calls: int, concurrency: int, deadline_s: float) -> dict[str, Any]:
    """The fake's round trip through the openai client, with the draft stage's request shape."""
    import openai

    from core.llm import response_format_for
    from core.pipeline.draft import DraftReply

    client = openai.AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=10)
    kwargs: dict[str, Any] = {
        "model": "fake",
        "temperature": 0.2,
        "max_tokens": 600,
        "response_format": response_format_for(DraftReply, "json_schema"),
        "messages": [
            {"role": "system", "content": "You are the front desk of Bench Salon. " * 10},
            {"role": "user", "content": "Hi, when are you open on Saturday?"},
        ],
    }
    stop_at = time.monotonic() + deadline_s

    async def one() -> float:
        started = time.perf_counter()
        completion = await client.chat.completions.create(**kwargs)
        elapsed = time.perf_counter() - started
        DraftReply.model_validate_json(completion.choices[0].message.content or "")
        return elapsed

    try:
        for _ in range(min(50, calls)):  # warm-up: connection pool, lazy imports
            await one()
        sequential: list[float] = []
        cpu0 = time.process_time()
        for _ in range(calls):
            if time.monotonic() > stop_at:
                break
            sequential.append(await one())
        cpu_per_call = (time.process_time() - cpu0) / max(1, len(sequential))

        loaded: list[float] = []

        async def lane(count: int) -> None:
            for _ in range(count):
                if time.monotonic() > stop_at:
                    return
                loaded.append(await one())

        started = time.perf_counter()
        await asyncio.gather(*(lane(calls // concurrency) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    finally:
        await client.close()
    return {
        "sequential": summary_ms(sequential),
        "concurrent": summary_ms(loaded),
        "concurrency": concurrency,
        "client_cpu_ms_per_call": cpu_per_call * 1000,
        "calls_per_s_concurrent": len(loaded) / wall if wall else float("nan"),
    }


# -- the driver ---------------------------------------------------------------------------------------


class Bench:
    def __init__(self, runtime: Any, workspace_id: str, assistant_id: str, probe: Probe) -> None:
        self.runtime = runtime
        self.workspace_id = workspace_id
        self.assistant_id = assistant_id
        self.probe = probe
        self._stop: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def salon(cls, runtime: Any, llm_url: str, probe: Probe) -> Bench:
        """A new workspace, "Bench Salon", whose assistant sends without approval and drafts with the fake
        LLM at `llm_url`; the driver for it."""
        from tests.support import new_workspace

        new = await new_workspace(
            runtime.db, "Bench Salon", approval_policy="auto", model_settings={"base_url": llm_url, "model": "fake"}
        )
        return cls(runtime, new.workspace.id, new.assistant.id, probe)

    def message(self, thread: str, n: int) -> Any:
        from core.messages import ChannelKind, InboundMessage, Sender

        return InboundMessage(
            workspace_id=self.workspace_id,
            channel=ChannelKind.web,
            account=self.assistant_id,
            assistant_id=self.assistant_id,
            external_id=uuid.uuid4().hex,
            thread=thread,
            sender=Sender(id=thread, display_name="Bench visitor"),
            text=f"Hello, message {n}: are you open on Saturday, and how much is a haircut?",
        )

    async def accept(self, thread: str, n: int) -> int:
        result = await self.runtime.inbox.accept(self.message(thread, n))
        self.probe.accepted[result.inbox_id] = time.perf_counter()
        return int(result.inbox_id)

    def start_loops(self) -> None:
        """The worker and the outbox sender, as `runtime.start(worker=True)` runs them, plus a hook
        that timestamps each sent reply."""
        self._stop = asyncio.Event()
        worker = self.runtime.worker()
        sender = self.runtime.sender()
        sender.on_sent = self.probe.on_sent
        self._tasks = [
            asyncio.create_task(worker.run(self._stop), name="bench-worker"),
            asyncio.create_task(sender.run(self._stop), name="bench-outbox"),
        ]

    async def stop_loops(self) -> None:
        assert self._stop is not None
        self._stop.set()
        self.runtime.wakeup.set("inbox")
        self.runtime.wakeup.set("outbox")
        await asyncio.wait(self._tasks, timeout=15)
        for task in self._tasks:
            task.cancel()
        self._tasks = []

    async def sent_to_inbox(self) -> dict[int, int]:
        """outbox id -> inbox id, through the draft the reply was queued for (key draft:<id>)."""
        from sqlalchemy import select

        from core.models import Draft, OutboxItem

        async with self.runtime.db.reader() as s:
            drafts = dict((await s.execute(select(Draft.id, Draft.inbox_id))).all())
            keys = (await s.execute(select(OutboxItem.id, OutboxItem.idempotency_key))).all()
        return {
            oid: drafts[key.removeprefix("draft:")]
            for oid, key in keys
            if key.startswith("draft:") and key.removeprefix("draft:") in drafts
        }

    async def outcomes(self) -> dict[str, int]:
        from sqlalchemy import func, select

        from core.models import Draft, InboxItem

        async with self.runtime.db.reader() as s:
            decisions = dict((await s.execute(select(Draft.decision, func.count()).group_by(Draft.decision))).all())
            states = dict((await s.execute(select(InboxItem.state, func.count()).group_by(InboxItem.state))).all())
        return {**{f"decision:{k}": v for k, v in decisions.items()}, **{f"inbox:{k}": v for k, v in states.items()}}
