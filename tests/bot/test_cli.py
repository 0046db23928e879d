"""The `frontdesk` command as a script would use it: --json output, exit codes, --help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
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


def test_demo_creates_the_web_admin_owner_once_and_then_says_how_to_reset(cli: CliRunner) -> None:
    first = cli.invoke(main, ["demo"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "sign in as owner@bellas-salon.example  password: " in first.output and "(shown once)" in first.output
    again = cli.invoke(main, ["demo"], catch_exceptions=False)
    assert "owner@bellas-salon.example  password: " not in again.output
    assert "owner@bellas-salon.example (already there; forgot the password? " in again.output
    assert "frontdesk user reset-password owner@bellas-salon.example" in again.output


def test_printed_urls_follow_the_port_unless_the_public_url_is_set(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTDESK_PORT", "8123")
    local = run_json(cli, "workspace", "create", "Downtown Dental")
    assert local["chat_url"] == "http://127.0.0.1:8123/chat/downtown-dental"
    monkeypatch.setenv("FRONTDESK_PUBLIC_URL", "https://desk.example.com/")
    public = run_json(cli, "workspace", "create", "Uptown Dental")
    assert public["api_url"] == "https://desk.example.com/api/v1"


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
