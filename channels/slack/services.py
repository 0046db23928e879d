"""What the Slack handlers share: the database, the inbox's accept, the staff jobs, the staff-actions
service, and the work that runs after Slack's 3-second acknowledgement (tracked, so shutdown and
tests can wait for it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from channels.slack.connection import Connection, Connections
from channels.slack.jobs import NOTICE, REFRESH, StaffJobs, add_job
from channels.slack.models import SlackCard, SlackEvent
from channels.slack.staff import Staff, staff_for
from core.channels import AcceptFn
from core.db import Database, insert_for
from core.messages import utcnow
from core.wakeup import Wakeup

if TYPE_CHECKING:
    from staff.service import StaffActions

log = logging.getLogger(__name__)


class Busy(Exception):
    """Slack's 3 seconds ran out before we knew who the user is: they should try again."""


BUSY = "frontdesk is busy and could not check who you are in time. Nothing was done: please try again."
BEFORE_ACK = 2.0  # seconds of Slack's 3 a lookup may take before its acknowledgement


@dataclass
class Services:
    db: Database
    wakeup: Wakeup
    connections: Connections
    jobs: StaffJobs
    actions: StaffActions  # what staff do, as from every other face
    accept: AcceptFn | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run after the acknowledgement; failures are logged, never raised into bolt."""

        async def guarded() -> None:
            try:
                await work
            except Exception:
                log.exception("slack work after ack failed")

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the work started after acknowledgements (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def staff(
        self, connection: Connection, client: AsyncWebClient, slack_user_id: str, *, budget: float | None = None
    ) -> Staff | None:
        """The Slack user's staff member, or None. Work before an ack passes a `budget` (Slack waits 3 s)
        and gets `Busy` when it runs out, which is not the same as "not staff"."""
        if budget is None:
            return await staff_for(self.db, client, connection, slack_user_id)
        try:
            return await asyncio.wait_for(staff_for(self.db, client, connection, slack_user_id), budget)
        except TimeoutError:
            log.warning("slack staff lookup ran out of time", extra={"slack_user": slack_user_id})
            raise Busy from None

    async def ephemeral(self, client: AsyncWebClient, *, channel: str, user: str, text: str, **extra: Any) -> None:
        with contextlib.suppress(SlackApiError):
            await client.chat_postEphemeral(channel=channel, user=user, text=text, **extra)

    async def refresh(self, connection: Connection, *, conversation_id: str, draft_ids: list[str]) -> None:
        """Queue card updates (durable), then wake the staff job runner."""
        async with self.db.session() as s:
            for draft_id in draft_ids:
                await add_job(
                    s, connection=connection, conversation_id=conversation_id, kind=REFRESH, draft_id=draft_id
                )
        self.jobs.wake.set()

    async def cards_of(self, connection: Connection, conversation_id: str) -> list[str]:
        async with self.db.reader() as s:
            rows = await s.execute(
                select(SlackCard.draft_id).where(
                    SlackCard.connection_id == connection.id, SlackCard.conversation_id == conversation_id
                )
            )
            return list(rows.scalars())

    async def notice(self, connection: Connection, *, conversation_id: str, text: str) -> None:
        async with self.db.session() as s:
            await add_job(
                s, connection=connection, conversation_id=conversation_id, kind=NOTICE, payload={"text": text}
            )
        self.jobs.wake.set()

    async def seen(self, event_id: str) -> bool:
        async with self.db.reader() as s:
            return await s.get(SlackEvent, event_id) is not None

    async def remember(self, connection: Connection, event_id: str) -> None:
        async with self.db.session() as s:
            insert = insert_for(s)
            await s.execute(
                insert(SlackEvent)
                .values(event_id=event_id, connection_id=connection.id, created_at=utcnow())
                .on_conflict_do_nothing(index_elements=["event_id"])
            )
