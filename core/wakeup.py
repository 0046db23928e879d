"""Wake workers the moment there is work: in-process events, and LISTEN/NOTIFY on PostgreSQL.

Polling stays as the safety net, so a lost notification only delays work, never loses it. The same
bell tells watchers (the inbox's live feed) that a conversation changed, whether staff changed it or
the pipeline did (a customer's message, a draft, a reply queued or sent): in this process at once,
and from other processes (the CLI, a worker, another web process) through NOTIFY on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database

log = logging.getLogger(__name__)
CHANNELS = ("inbox", "outbox")
TURNS = "frontdesk_turns"  # payload: an inbox id whose turn finished (web chat waits for it)
CONVERSATIONS = "frontdesk_conversations"  # payload: "<origin> <workspace id> <conversation id>[ <kind> …]"
REPLYING = "replying"  # the payload's kind when staff are writing: "… replying <user id> <1|0> <name>"
WATCH_BACKLOG = 100  # changes a slow watcher may fall behind by; past that it re-reads anyway


@dataclass(frozen=True)
class Replying:
    """A staff member writing in a conversation's reply box (or its draft), or no longer (`typing`
    False: sent, cleared or left). Ephemeral: never stored, only passed on to the watchers."""

    user_id: str
    name: str
    typing: bool = True


class Wakeup:
    def __init__(self) -> None:
        self._events = {name: asyncio.Event() for name in CHANNELS}
        self._listener: Any = None
        self._turns: dict[int, asyncio.Event] = {}
        self._watchers: dict[str, set[asyncio.Queue[str]]] = {}  # workspace id → its watchers' queues
        self._followers: list[Callable[[str, str], None]] = []  # hear every workspace's changes
        self._replying: list[Callable[[str, str, Replying], None]] = []  # hear who is writing where
        self._origin = uuid.uuid4().hex[:12]  # this process's NOTIFYs, so it does not hear its own twice

    def set(self, name: str) -> None:
        self._events[name].set()

    async def wait(self, name: str, timeout: float) -> None:
        event = self._events[name]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        event.clear()

    def turn_finished(self, inbox_id: int) -> None:
        event = self._turns.get(inbox_id)
        if event is not None:
            event.set()

    @contextlib.contextmanager
    def watching_turn(self, inbox_id: int) -> Iterator[asyncio.Event]:
        """An event set when an in-process worker finishes the turn. Register it before reading
        the turn's state, so a turn finishing in between is not missed; a worker in another
        process sets nothing, so callers still re-check the database on a timeout."""
        event = self._turns.setdefault(inbox_id, asyncio.Event())
        try:
            yield event
        finally:
            self._turns.pop(inbox_id, None)

    def conversation_changed(self, workspace_id: str, conversation_id: str) -> None:
        """Tell this process's watchers of the workspace that a conversation changed (staff acted,
        the customer wrote, a draft or a reply was written or sent)."""
        for queue in self._watchers.get(workspace_id, ()):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(conversation_id)
        for follow in self._followers:
            follow(workspace_id, conversation_id)

    def follow_conversations(self, callback: Callable[[str, str], None]) -> None:
        """Call `callback(workspace id, conversation id)` on every change in every workspace, for as
        long as the process runs (the live feed keeps its replay log this way)."""
        self._followers.append(callback)

    def someone_replying(self, workspace_id: str, conversation_id: str, replying: Replying) -> None:
        """Tell this process's followers that a staff member is writing in a conversation (or stopped)."""
        for follow in self._replying:
            follow(workspace_id, conversation_id, replying)

    def follow_replying(self, callback: Callable[[str, str, Replying], None]) -> None:
        """Call `callback(workspace id, conversation id, replying)` whenever staff write anywhere."""
        self._replying.append(callback)

    @contextlib.contextmanager
    def watching_conversations(self, workspace_id: str) -> Iterator[asyncio.Queue[str]]:
        """A queue of the ids of the workspace's conversations that change while it is open."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=WATCH_BACKLOG)
        self._watchers.setdefault(workspace_id, set()).add(queue)
        try:
            yield queue
        finally:
            watchers = self._watchers.get(workspace_id, set())
            watchers.discard(queue)
            if not watchers:
                self._watchers.pop(workspace_id, None)

    async def conversation_changed_in(self, session: AsyncSession, workspace_id: str, conversation_id: str) -> None:
        """The cross-process half of `conversation_changed`: a NOTIFY sent when `session` commits."""
        await self.notify_in(session, "conversations", f"{self._origin} {workspace_id} {conversation_id}")

    async def someone_replying_in(
        self, session: AsyncSession, workspace_id: str, conversation_id: str, replying: Replying
    ) -> None:
        """The cross-process half of `someone_replying`: the conversations' NOTIFY, of kind `replying`."""
        flag = "1" if replying.typing else "0"
        payload = (
            f"{self._origin} {workspace_id} {conversation_id} {REPLYING} {replying.user_id} {flag} {replying.name}"
        )
        await self.notify_in(session, "conversations", payload[:7000])  # NOTIFY takes under 8000 bytes

    @staticmethod
    async def notify_in(session: AsyncSession, name: str, payload: str = "") -> None:
        """Queue a cross-process NOTIFY on `frontdesk_<name>`; Postgres delivers it on commit.
        `turns` carries the inbox id of a finished turn (web processes answer web chat sooner)."""
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(
                text("SELECT pg_notify(:channel, :payload)"), {"channel": f"frontdesk_{name}", "payload": payload}
            )

    async def listen(self, db: Database) -> None:
        """Hold one raw asyncpg connection that LISTENs for other processes' NOTIFYs."""
        if not db.is_postgres:
            return
        import asyncpg
        from sqlalchemy.engine import make_url

        url = make_url(db.url).set(drivername="postgresql")
        try:
            conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        except Exception as exc:  # polling still works; say so and go on
            log.warning("LISTEN unavailable, polling only", extra={"error": type(exc).__name__})
            return
        for name in CHANNELS:
            await conn.add_listener(f"frontdesk_{name}", self._on_notify)
        await conn.add_listener(TURNS, self._on_turn)
        await conn.add_listener(CONVERSATIONS, self._on_conversation)
        self._listener = conn

    def _on_turn(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload.isdigit():
            self.turn_finished(int(payload))

    def _on_conversation(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        parts = payload.split(" ", 6)
        if len(parts) < 3 or parts[0] == self._origin or not (parts[1] and parts[2]):
            return
        if len(parts) == 3:
            self.conversation_changed(parts[1], parts[2])
        elif len(parts) == 7 and parts[3] == REPLYING and parts[4] and parts[5] in ("0", "1"):
            self.someone_replying(parts[1], parts[2], Replying(parts[4], parts[6], parts[5] == "1"))

    def _on_notify(self, _conn: Any, _pid: int, channel: str, _payload: str) -> None:
        name = channel.removeprefix("frontdesk_")
        if name in self._events:
            self._events[name].set()

    async def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
