"""The pipeline: an ordered list of stages over one turn.

resolve → media → understand → rules → retrieve → draft → decide. Each feature
(media, understand, rules, retrieve) is a stage of its own, wired in bot/runtime.py.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.messages import InboundMessage
from core.metrics import STAGE_SECONDS
from core.models import InboxItem
from core.pipeline.turn import Turn

StageFn = Callable[[Turn], Awaitable[None]]
ORDER = ("resolve", "media", "understand", "rules", "retrieve", "draft", "decide")


@dataclass(frozen=True)
class Stage:
    name: str
    run: StageFn


class Pipeline:
    def __init__(self, stages: dict[str, StageFn]) -> None:
        missing = [name for name in ORDER if name not in stages]
        if missing:
            raise ValueError(f"pipeline is missing stages: {missing}")
        self.stages = [Stage(name, stages[name]) for name in ORDER]

    def replace(self, name: str, run: StageFn) -> None:
        self.stages = [Stage(name, run) if s.name == name else s for s in self.stages]

    async def run(self, item: InboxItem) -> Turn:
        turn = Turn(inbox_id=item.id, message=InboundMessage.model_validate(item.message), claimed_by=item.claimed_by)
        return await self._through(turn)

    async def preview(self, message: InboundMessage) -> Turn:
        """The same stages over a message that was never received, as a dry run: each stage says what
        it would do, and nothing is written, sent or queued (an LLM is still asked, as in a real turn)."""
        return await self._through(Turn(inbox_id=0, message=message, dry_run=True))

    async def _through(self, turn: Turn) -> Turn:
        for stage in self.stages:
            if turn.finished:
                break
            started = time.perf_counter()
            await stage.run(turn)
            STAGE_SECONDS.labels(stage.name).observe(time.perf_counter() - started)
        return turn
