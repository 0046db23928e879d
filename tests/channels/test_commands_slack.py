"""Connecting Slack from the command line, against the fake Slack Web API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.channels.test_commands_telegram import stored_config
from tests.cli_support import run_json
from tests.fakes.slack_server import BOT_ID, BOT_TOKEN, BOT_USER_ID, TEAM_ID, FakeSlack, fake_slack

SECRET = "slack-signing-secret-for-the-cli-test"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with fake_slack() as f:
        yield f


def test_add_checks_the_token_with_auth_test_and_stores_it_encrypted(
    cli: CliRunner, fake: FakeSlack, db_url: str
) -> None:
    run_json(cli, "workspace", "create", "Bella's Salon")
    added = run_json(cli, "channel", "add", "slack", "--workspace", "bellas-salon", "--bot-token", BOT_TOKEN,
                     "--signing-secret", SECRET, "--staff-channel", "CSTAFF1", "--api-base", fake.api_base)  # fmt: skip
    assert added["account"] == TEAM_ID and added["name"] == "Bella's Salon"
    assert added["request_url"].endswith(f"/webhooks/slack/{added['id']}")
    assert added["config"]["bot_token"] == "********" and added["config"]["signing_secret"] == "********"
    assert BOT_TOKEN not in json.dumps(added) and SECRET not in json.dumps(added)
    assert [c.method for c in fake.calls] == ["auth.test"]
    stored = stored_config(db_url, added["id"])
    assert stored["bot_token"] == BOT_TOKEN and stored["signing_secret"] == SECRET
    assert stored["bot_user_id"] == BOT_USER_ID and stored["bot_id"] == BOT_ID and stored["staff_channel"] == "CSTAFF1"
    # The same team twice would answer every card twice: refused.
    again = cli.invoke(main, ["channel", "add", "slack", "--workspace", "bellas-salon", "--bot-token", BOT_TOKEN,
                              "--signing-secret", SECRET, "--staff-channel", "C2",
                              "--api-base", fake.api_base])  # fmt: skip
    assert again.exit_code != 0 and "already connected" in again.output


def test_add_refuses_a_wrong_token(cli: CliRunner, fake: FakeSlack) -> None:
    run_json(cli, "workspace", "create", "Shop")
    for token, says in (("nonsense", "not a bot token"), ("xoxb-revoked", "invalid_auth")):
        result = cli.invoke(main, ["channel", "add", "slack", "--workspace", "shop", "--bot-token", token,
                                   "--signing-secret", SECRET, "--staff-channel", "C1",
                                   "--api-base", fake.api_base])  # fmt: skip
        assert result.exit_code != 0 and says in result.output


def test_staff_add_links_a_slack_user_to_a_new_staff_member(cli: CliRunner, fake: FakeSlack) -> None:
    run_json(cli, "workspace", "create", "Shop")
    added = run_json(cli, "channel", "add", "slack", "--workspace", "shop", "--bot-token", BOT_TOKEN,
                     "--signing-secret", SECRET, "--staff-channel", "C1", "--api-base", fake.api_base)  # fmt: skip
    linked = run_json(cli, "slack", "staff", "add", "--connection", added["id"], "--slack-user", "UANN1",
                      "--email", "ann@shop.example")  # fmt: skip
    assert linked["slack_user"] == "UANN1" and linked["user"]["email"] == "ann@shop.example"
    # Linking again is harmless.
    assert run_json(cli, "slack", "staff", "add", "--connection", added["id"], "--slack-user", "UANN1",
                    "--email", "ann@shop.example")["user"]["id"] == linked["user"]["id"]  # fmt: skip


def test_the_manifest_points_slack_at_this_connection(cli: CliRunner, fake: FakeSlack) -> None:
    import yaml

    run_json(cli, "workspace", "create", "Shop")
    added = run_json(cli, "channel", "add", "slack", "--workspace", "shop", "--bot-token", BOT_TOKEN,
                     "--signing-secret", SECRET, "--staff-channel", "C1", "--api-base", fake.api_base)  # fmt: skip
    printed = cli.invoke(main, ["slack", "manifest", "--connection", added["id"]])
    assert printed.exit_code == 0, printed.output
    manifest = yaml.safe_load(printed.output)
    url = added["request_url"]
    assert manifest["settings"]["event_subscriptions"]["request_url"] == url
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert manifest["features"]["slash_commands"][0]["command"] == "/frontdesk"
    assert manifest["features"]["slash_commands"][0]["url"] == url
    assert {"message.channels", "message.im", "app_mention"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )
    assert {"chat:write", "commands", "users:read.email", "channels:history"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
