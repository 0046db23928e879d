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
