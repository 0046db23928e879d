"""The `draft` commands as staff run them from a terminal, against the test database."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.runtime import Runtime
from core.db import Database
from core.messages import ChannelKind, InboundMessage, Sender
from core.models import Message
from tests.bot.test_cli import run_json
from tests.conftest import make_settings


def test_draft_approve_latest_queues_the_staff_answer(cli: CliRunner, db_url: str) -> None:
    created = run_json(cli, "demo")
    assert isinstance(created, dict)

    async def customer_writes() -> None:
        runtime = Runtime.build(make_settings(db_url, Path(os.environ["FRONTDESK_DATA_DIR"])))
        # A Tuesday at 11:00, when the salon is open: at night the demo's after-hours rule answers instead.
        runtime.rules.clock = lambda: datetime(2026, 11, 17, 11, 0, tzinfo=UTC)
        try:
            await runtime.inbox.accept(
                InboundMessage(
                    workspace_id=created["workspace"]["id"],
                    channel=ChannelKind.web,
                    account=created["assistant"]["id"],
                    external_id="m1",
                    thread="s1",
                    sender=Sender(id="s1"),
                    text="Is there parking nearby?",  # not in the demo FAQ: it waits for staff
                )
            )
            await runtime.worker().drain()
        finally:
            await runtime.close()

    asyncio.run(customer_writes())
    listed = run_json(cli, "draft", "list", "--workspace", "bellas-salon")
    assert isinstance(listed, list) and listed[0]["question"] == "Is there parking nearby?"
    approved = cli.invoke(
        main, ["draft", "approve", "--workspace", "bellas-salon", "--latest", "--text", "Yes, behind the salon."]
    )
    assert approved.exit_code == 0, approved.output
    assert run_json(cli, "draft", "list", "--workspace", "bellas-salon") == []

    async def queued() -> list[tuple[str, str]]:
        db = Database(db_url)
        try:
            async with db.reader() as s:
                rows = await s.execute(
                    select(Message.author, Message.text).where(Message.direction == "out").order_by(Message.created_at)
                )
                return [tuple(r) for r in rows.all()]  # type: ignore[misc]
        finally:
            await db.dispose()

    assert asyncio.run(queued())[-1] == ("staff", "Yes, behind the salon.")
