"""Connecting a Twilio account from the command line, against the fake Twilio REST API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.channels.test_commands_telegram import stored_config
from tests.cli_support import run_json
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, WHATSAPP_FROM, FakeTwilio, fake_twilio


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with fake_twilio() as f:
        yield f


def test_add_checks_the_account_and_stores_the_token_encrypted(cli: CliRunner, fake: FakeTwilio, db_url: str) -> None:
    run_json(cli, "workspace", "create", "Bella's Salon")
    added = run_json(cli, "channel", "add", "whatsapp", "--workspace", "bellas-salon", "--account-sid", ACCOUNT_SID,
                     "--auth-token", AUTH_TOKEN, "--from", WHATSAPP_FROM, "--sms-from", SMS_FROM,
                     "--api-base", fake.url, "--help-text", "Call us on 020 7946 0000")  # fmt: skip
    assert added["kind"] == "whatsapp" and added["account"] == WHATSAPP_FROM
    assert added["config"]["auth_token"] == "********" and AUTH_TOKEN not in json.dumps(added)
    assert added["webhook_url"].endswith(f"/webhooks/twilio/{added['id']}")
    config = stored_config(db_url, added["id"])
    assert config["auth_token"] == AUTH_TOKEN and config["sms_from"] == SMS_FROM


def test_add_refuses_bad_credentials_and_numbers(cli: CliRunner, fake: FakeTwilio) -> None:
    run_json(cli, "workspace", "create", "Shop")
    base = ["channel", "add", "whatsapp", "--workspace", "shop", "--account-sid", ACCOUNT_SID, "--api-base", fake.url]
    wrong = cli.invoke(main, [*base, "--auth-token", "nope", "--from", WHATSAPP_FROM])
    assert wrong.exit_code != 0 and "do not match" in wrong.output
    number = cli.invoke(main, [*base, "--auth-token", AUTH_TOKEN, "--from", "whatsapp:0800-BELLA"])
    assert number.exit_code != 0 and "E.164" in number.output
    assert run_json(cli, "channel", "list") == []
