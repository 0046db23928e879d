"""The inbox's live feed: a workspace's conversation changes as events a client can resume.

Every change the process hears (core.wakeup: staff's actions, a customer's message, a draft, a reply
queued, sent or failed; from other processes through NOTIFY on PostgreSQL) goes into a replay log
with the next event id. A client reads its workspace's events from `LiveFeed.events`; after a
dropped connection it names the last id it saw and gets what it missed, or, when the log no longer
reaches back that far (or the id is from before this process started), a `reset` event: re-read
the list, then carry on.

Staff writing in a conversation (core.wakeup.Replying) go into the same log as `replying` events,
and into who-is-writing-where, which lasts `REPLYING_SECONDS` after each word: the page shows it
when it opens; never to the person themselves, and never to another workspace.

Ids are "<run>-<sequence>": the sequence increases by one per change; the run says which process
start it belongs to, so an id from another run is never mistaken for one of this run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from core.wakeup import Replying, Wakeup

REPLAY = 2000  # changes kept for clients that reconnect (all workspaces together)
HEARTBEAT_SECONDS = 15.0
REPLYING_SECONDS = 6.0  # how long "is replying" lasts after the last word (the page says it every ~3 s)


@dataclass(frozen=True)
class Change:
    """One event: `changed` (re-read this conversation), `replying` (a staff member is writing in
    it, or stopped), `reset` (re-read everything) or `heartbeat` (nothing happened for a while;
    keeps proxies from closing the connection)."""

    kind: str
    id: str | None = None
    conversation_id: str | None = None
    replying: Replying | None = None


@dataclass(frozen=True)
class _Logged:
    sequence: int
    workspace_id: str
    conversation_id: str
    replying: Replying | None = None
    until: float = 0.0  # a `replying` event's end (time.monotonic)


class LiveFeed:
    def __init__(self, wakeup: Wakeup, *, replay: int = REPLAY) -> None:
        self.run = str(int(time.time() * 1000))
        self._sequence = 0
        self._log: deque[_Logged] = deque(maxlen=replay)
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._writing: dict[tuple[str, str], dict[str, tuple[str, float]]] = {}  # → user id → (name, until)
        wakeup.follow_conversations(self._heard)
        wakeup.follow_replying(self._heard_replying)

    def _heard(self, workspace_id: str, conversation_id: str) -> None:
        self._append(_Logged(self._sequence + 1, workspace_id, conversation_id))

    def _heard_replying(self, workspace_id: str, conversation_id: str, replying: Replying) -> None:
        until = time.monotonic() + REPLYING_SECONDS if replying.typing else 0.0
        people = self._writing.setdefault((workspace_id, conversation_id), {})
        if replying.typing:
            people[replying.user_id] = (replying.name, until)
        else:
            people.pop(replying.user_id, None)
        self._forget_stale()
        self._append(_Logged(self._sequence + 1, workspace_id, conversation_id, replying, until))

    def _append(self, logged: _Logged) -> None:
        self._sequence = logged.sequence
        self._log.append(logged)
        for event in self._waiting.get(logged.workspace_id, ()):
            event.set()

    def _forget_stale(self) -> None:
        now = time.monotonic()
        for key, people in list(self._writing.items()):
            for user_id, (_, until) in list(people.items()):
                if until <= now:
                    del people[user_id]
            if not people:
                del self._writing[key]

    def replying_now(self, workspace_id: str, conversation_id: str, *, viewer: str | None) -> list[tuple[str, str]]:
        """(user id, name) of the staff writing in the conversation now, but the viewer."""
        self._forget_stale()
        people = self._writing.get((workspace_id, conversation_id), {})
        return sorted(
            ((user_id, name) for user_id, (name, _) in people.items() if user_id != viewer), key=lambda p: p[1]
        )

    def _id(self, sequence: int) -> str:
        return f"{self.run}-{sequence}"

    @property
    def last_id(self) -> str:
        """The id of the newest change so far."""
        return self._id(self._sequence)

    def watchers(self, workspace_id: str) -> int:
        """How many clients are reading the workspace's feed now."""
        return len(self._waiting.get(workspace_id, ()))

    def _resume_point(self, last_event_id: str | None) -> int | None:
        """The sequence to carry on after, or None when the client must re-read everything."""
        if last_event_id is None:
            return self._sequence
        run, _, sequence = last_event_id.strip().partition("-")
        if run != self.run or not sequence.isdigit() or int(sequence) > self._sequence:
            return None
        oldest = self._log[0].sequence if self._log else self._sequence + 1
        return int(sequence) if int(sequence) >= oldest - 1 else None

    async def events(
        self,
        workspace_id: str,
        *,
        last_event_id: str | None = None,
        heartbeat: float = HEARTBEAT_SECONDS,
        viewer: str | None = None,
    ) -> AsyncGenerator[Change, None]:
        """The workspace's changes after `last_event_id` (`last_id` when the caller subscribed), or
        from the first read on; for as long as the caller reads, with a heartbeat after each
        `heartbeat` seconds of quiet. The viewer's own `replying` events are left out, and so are
        those that ended before they were read (a client that reconnects late)."""
        bell = asyncio.Event()
        self._waiting.setdefault(workspace_id, set()).add(bell)
        try:
            after = self._resume_point(last_event_id)
            if after is None:
                after = self._sequence
                yield Change("reset", self._id(after))
            while True:
                bell.clear()
                missed = [e for e in self._log if e.sequence > after and e.workspace_id == workspace_id]
                if self._log and self._log[0].sequence > after + 1:  # fell behind while it read
                    after = self._sequence
                    yield Change("reset", self._id(after))
                    continue
                after = self._sequence
                for e in missed:
                    if e.replying is None:
                        yield Change("changed", self._id(e.sequence), e.conversation_id)
                    elif e.replying.user_id != viewer and (not e.replying.typing or e.until > time.monotonic()):
                        yield Change("replying", self._id(e.sequence), e.conversation_id, e.replying)
                if missed:
                    continue
                try:
                    await asyncio.wait_for(bell.wait(), heartbeat)
                except TimeoutError:
                    yield Change("heartbeat")
        finally:
            waiting = self._waiting.get(workspace_id, set())
            waiting.discard(bell)
            if not waiting:
                with contextlib.suppress(KeyError):
                    del self._waiting[workspace_id]
