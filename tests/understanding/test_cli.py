"""`frontdesk context show`: what understanding made of a conversation, as staff read it in a terminal."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.runtime import Runtime
from tests.conftest import make_settings
from tests.rules.conftest import Clock, customer_says
from tests.understanding.conftest import DEMO, NOW, salon_schema
from understanding import context


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", db_url)
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", "cli-test-secret-key-0123456789")
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRONTDESK_LOG_JSON", "0")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def run_json(cli: CliRunner, *args: str) -> Any:
    result = cli.invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def customer_complains(db_url: str, data_dir: Path, workspace_id: str, assistant_id: str) -> None:
    """The salon gets the front-desk schema, and a customer writes the demo's complaint."""

    async def go() -> None:
        runtime = Runtime.build(make_settings(db_url, data_dir))
        runtime.rules.clock = runtime.understanding.clock = Clock(NOW)
        try:
            async with runtime.db.session() as s:
                await context.save_schema(s, workspace_id=workspace_id, spec=salon_schema())
            await customer_says(runtime, workspace_id, assistant_id, DEMO)
        finally:
            await runtime.close()

    asyncio.run(go())


def test_context_show_tells_what_was_understood_and_where_it_came_from(
    cli: CliRunner, db_url: str, tmp_path: Path
) -> None:
    created = run_json(cli, "workspace", "create", "Bella's Salon")
    slug = created["workspace"]["slug"]
    nothing = cli.invoke(main, ["context", "show", "--workspace", slug])
    assert nothing.exit_code == 1 and "no such conversation" in nothing.output

    customer_complains(db_url, tmp_path, created["workspace"]["id"], created["assistant"]["id"])
    shown = run_json(cli, "context", "show", "--workspace", slug)
    assert shown["intent"] in ("complaint", "cancel") and shown["sentiment"] == "negative"
    assert shown["priority"] == "urgent" and shown["summary"] == "needs an LLM"
    assert shown["context"] == {"phone": "+447700900123", "appointment_at": "2026-11-18T15:00+00:00", "status": "new"}
    phone = next(h for h in shown["history"] if h["field"] == "phone")
    assert (phone["old"], phone["new"], phone["source"], phone["from"]) == (None, "+447700900123", "ai", "07700 900123")
    same = run_json(cli, "context", "show", "--workspace", slug, "--conversation", shown["conversation_id"])
    assert same == shown

    text = cli.invoke(main, ["context", "show", "--workspace", slug], catch_exceptions=False)
    assert text.exit_code == 0
    assert "sentiment: negative" in text.output and "priority:  urgent" in text.output
    assert "phone: None -> '+447700900123'  [ai: offline] from \"07700 900123\"" in text.output
