"""`frontdesk workspace` as a script would use it: --json output."""

from __future__ import annotations

from click.testing import CliRunner

from bot.cli import main
from tests.cli_support import run_json


def test_workspace_create_and_list(cli: CliRunner) -> None:
    created = run_json(cli, "workspace", "create", "Downtown Dental", "--policy", "autopilot")
    assert isinstance(created, dict)
    assert created["workspace"]["slug"] == "downtown-dental"
    assert created["assistant"]["approval_policy"] == "autopilot"
    assert created["token"].startswith("fd_") and created["chat_url"].endswith("/chat/downtown-dental")
    listed = run_json(cli, "workspace", "list")
    assert [w["slug"] for w in listed] == ["downtown-dental"]


def test_token_create_list_and_revoke(cli: CliRunner) -> None:
    from admin.tokens.commands import SCOPES
    from core.workspaces import TOKEN_SCOPES

    assert SCOPES == TOKEN_SCOPES
    run_json(cli, "workspace", "create", "Downtown Dental")
    made = run_json(cli, "token", "create", "booking system", "--workspace", "downtown-dental", "--scope", "read")
    assert isinstance(made, dict)
    assert made["scope"] == "read" and made["token"].startswith("fd_")
    listed = run_json(cli, "token", "list", "--workspace", "downtown-dental")
    assert isinstance(listed, list)
    assert {(t["name"], t["scope"]) for t in listed} == {("booking system", "read"), ("owner token", "full")}
    assert made["token"] not in str(listed)

    revoked = cli.invoke(main, ["token", "revoke", made["id"], "--workspace", "downtown-dental"])
    assert revoked.exit_code == 0, revoked.output
    assert [t["name"] for t in run_json(cli, "token", "list", "--workspace", "downtown-dental")] == ["owner token"]
    again = cli.invoke(main, ["token", "revoke", made["id"], "--workspace", "downtown-dental"])
    assert again.exit_code != 0 and "no live token" in again.output
    bad = cli.invoke(main, ["token", "create", "x", "--workspace", "downtown-dental", "--scope", "admin"])
    assert bad.exit_code != 0 and "admin" in bad.output
