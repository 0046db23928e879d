"""Connecting a Telegram bot from the command line, against the fake Bot API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from bot.cli import main
from core.crypto import SecretBox
from core.db import Database
from core.models import ChannelConnection
from tests.cli_support import SECRET_KEY, run_json
from tests.fakes.telegram_server import BOT_ID, TOKEN, USERNAME, FakeTelegram, fake_telegram


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_telegram() as f:
        yield f


def stored_config(db_url: str, connection_id: str) -> dict[str, object]:
    async def read() -> dict[str, object]:
        db = Database(db_url)
        try:
            async with db.reader() as s:
                row = await s.get(ChannelConnection, connection_id)
                assert row is not None
                return SecretBox(SECRET_KEY).open(row.config)
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_add_checks_the_token_with_get_me_and_stores_it_encrypted(
    cli: CliRunner, fake: FakeTelegram, db_url: str
) -> None:
    run_json(cli, "workspace", "create", "Bella's Salon")
    added = run_json(cli, "channel", "add", "telegram", "--workspace", "bellas-salon", "--token", TOKEN,
                     "--api-base", fake.url)  # fmt: skip
    assert added["account"] == str(BOT_ID) and added["bot"]["username"] == USERNAME
    assert added["name"] == f"@{USERNAME}" and added["config"]["mode"] == "polling"
    assert added["config"]["token"] == "********" and TOKEN not in json.dumps(added)
    assert [c.method for c in fake.calls] == ["getMe"]
    assert stored_config(db_url, added["id"])["token"] == TOKEN
    # The same bot twice would split its traffic: refused.
    again = cli.invoke(main, ["channel", "add", "telegram", "--workspace", "bellas-salon", "--token", TOKEN,
                              "--api-base", fake.url])  # fmt: skip
    assert again.exit_code != 0 and "already connected" in again.output


def test_add_refuses_a_bad_or_revoked_token(cli: CliRunner, fake: FakeTelegram) -> None:
    run_json(cli, "workspace", "create", "Shop")
    malformed = cli.invoke(main, ["channel", "add", "telegram", "--workspace", "shop", "--token", "nonsense"])
    assert malformed.exit_code != 0 and "not a bot token" in malformed.output
    revoked = cli.invoke(main, ["channel", "add", "telegram", "--workspace", "shop", "--token",
                                "123:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "--api-base", fake.url])  # fmt: skip
    assert revoked.exit_code != 0 and "token is not valid" in revoked.output
    assert run_json(cli, "channel", "list") == []


def test_webhook_is_set_with_a_secret_and_deleted(cli: CliRunner, fake: FakeTelegram, db_url: str) -> None:
    run_json(cli, "workspace", "create", "Shop")
    added = run_json(cli, "channel", "add", "telegram", "--workspace", "shop", "--token", TOKEN, "--api-base", fake.url)
    conn = added["id"]
    result = run_json(cli, "channel", "webhook", "telegram", "--connection", conn, "--url", "https://desk.example/")
    assert result == {"connection": conn, "mode": "webhook", "url": f"https://desk.example/webhooks/telegram/{conn}"}
    config = stored_config(db_url, conn)
    secret = config["webhook_secret"]
    assert isinstance(secret, str) and len(secret) >= 32 and config["mode"] == "webhook"
    assert fake.webhook["url"] == result["url"] and fake.webhook["secret_token"] == secret
    assert fake.webhook["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert fake.webhook["max_connections"] == "40"
    deleted = run_json(cli, "channel", "webhook", "telegram", "--connection", conn, "--delete")
    assert deleted["mode"] == "polling" and fake.webhook == {}
    assert stored_config(db_url, conn)["webhook_secret"] == secret  # kept for the next setWebhook
