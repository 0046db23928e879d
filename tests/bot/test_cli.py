"""The `frontdesk` command as a script would use it: --json output, exit codes, --help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from tests.cli_support import run_json


def test_demo_prints_urls_token_and_a_working_approve_command(cli: CliRunner) -> None:
    first = run_json(cli, "demo")
    again = run_json(cli, "demo")  # running it twice reuses the workspace
    assert isinstance(first, dict) and isinstance(again, dict)
    assert first["workspace"]["id"] == again["workspace"]["id"]
    assert first["chat_url"].endswith("/chat/bellas-salon")
    assert first["assistant"]["approval_policy"] == "autopilot"
    assert "draft approve --workspace bellas-salon --latest" in first["approve_command"]
    nothing = cli.invoke(main, ["draft", "approve", "--workspace", "bellas-salon", "--latest", "--text", "hi"])
    assert nothing.exit_code == 1 and "no draft is waiting" in nothing.output


def test_refuses_to_start_without_a_secret_outside_dev_mode(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(FRONTDESK_DATA_DIR=str(tmp_path), FRONTDESK_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x.db")
    exe = Path(sys.executable).parent / "frontdesk"
    result = subprocess.run(
        [str(exe), "workspace", "list"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "FRONTDESK_SECRET_KEY is not set" in result.stderr
    helped = subprocess.run([str(exe), "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "serve" in helped.stdout and "demo" in helped.stdout


def test_draft_approve_latest_queues_the_staff_answer(cli: CliRunner, db_url: str) -> None:
    import asyncio
    from datetime import UTC, datetime

    from sqlalchemy import select

    from bot.runtime import Runtime
    from core.db import Database
    from core.messages import ChannelKind, InboundMessage, Sender
    from core.models import Message
    from tests.conftest import make_settings

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
