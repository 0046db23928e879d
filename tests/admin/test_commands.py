"""`frontdesk workspace` as a script would use it: --json output."""

from __future__ import annotations

from click.testing import CliRunner

from tests.cli_support import run_json


def test_workspace_create_and_list(cli: CliRunner) -> None:
    created = run_json(cli, "workspace", "create", "Downtown Dental", "--policy", "autopilot")
    assert isinstance(created, dict)
    assert created["workspace"]["slug"] == "downtown-dental"
    assert created["assistant"]["approval_policy"] == "autopilot"
    assert created["token"].startswith("fd_") and created["chat_url"].endswith("/chat/downtown-dental")
    listed = run_json(cli, "workspace", "list")
    assert [w["slug"] for w in listed] == ["downtown-dental"]
