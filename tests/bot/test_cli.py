"""The `frontdesk` command as a script would use it: --json output, exit codes, --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bot.cli import main


def run_json(cli: CliRunner, *args: str) -> Any:
    result = cli.invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_workspace_create_and_list(cli: CliRunner) -> None:
    created = run_json(cli, "workspace", "create", "Downtown Dental", "--policy", "autopilot")
    assert isinstance(created, dict)
    assert created["workspace"]["slug"] == "downtown-dental"
    assert created["assistant"]["approval_policy"] == "autopilot"
    assert created["token"].startswith("fd_") and created["chat_url"].endswith("/chat/downtown-dental")
    listed = run_json(cli, "workspace", "list")
    assert [w["slug"] for w in listed] == ["downtown-dental"]


def test_channel_add_list_remove_keeps_secrets_out_of_output(cli: CliRunner) -> None:
    from tests.fakes.slack_server import BOT_TOKEN, fake_slack

    run_json(cli, "workspace", "create", "Shop")
    with fake_slack() as fake:
        slack = ["--bot-token", BOT_TOKEN, "--signing-secret", "ABCDEFGHIJ-secret", "--staff-channel", "C1",
                 "--api-base", fake.api_base]  # fmt: skip
        added = run_json(cli, "channel", "add", "slack", "--workspace", "shop", *slack)
        bad = cli.invoke(main, ["channel", "add", "slack", "--workspace", "nope", *slack])
    assert isinstance(added, dict) and added["config"]["bot_token"] == "********"
    listed = run_json(cli, "channel", "list", "--workspace", "shop")
    assert [c["id"] for c in listed] == [added["id"]]
    assert "ABCDEFGHIJ" not in json.dumps(listed)
    result = cli.invoke(main, ["channel", "remove", added["id"]])
    assert result.exit_code == 0
    assert run_json(cli, "channel", "list") == []
    assert bad.exit_code != 0 and "no workspace" in bad.output


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
