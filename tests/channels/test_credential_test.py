"""The credential test as the API and the CLI give it (the channels page's Test button calls the same
connections.tested): the provider's refusal in plain words, a provider out of reach said clearly,
nothing stored for a new connection, the outcome kept in a stored one's health."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.runtime import Runtime
from core.models import ChannelConnection
from tests.admin.conftest import API, bearer, register
from tests.cli_support import run_json
from tests.fakes.telegram_server import TOKEN, USERNAME, FakeTelegram, fake_telegram

WRONG = "7000000001:AAWrongTokenWrongTokenWrongToken_xyz"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_telegram() as f:
        yield f


async def test_the_api_tests_new_credentials_without_storing_them(
    client: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    owner = bearer((await register(client))["token"])

    async def test(config: dict[str, object], kind: str = "telegram") -> dict[str, object]:
        r = await client.post(f"{API}/channels/test", headers=owner, json={"kind": kind, "config": config})
        assert r.status_code == 200, r.text
        return dict(r.json())

    found = await test({"token": TOKEN, "api_base": fake.url})
    assert found["ok"] is True and found["message"] == f"Telegram knows this bot: @{USERNAME} (Bella's Salon)."
    assert found["found"] == {"bot": {"id": "7000000001", "username": USERNAME, "name": "Bella's Salon"}}
    found = await test({"token": WRONG, "api_base": fake.url})
    assert found["ok"] is False
    assert found["message"] == (
        "Telegram says this token is not valid (401 Unauthorized): copy it again from @BotFather (/token)."
    )
    found = await test({"token": TOKEN, "api_base": "http://127.0.0.1:9"})
    assert found["ok"] is False and str(found["message"]).startswith(
        "Could not reach the Bot API at http://127.0.0.1:9"
    )
    found = await test({"account_sid": "XX1", "auth_token": "t", "from": "+14155238886"}, kind="sms")
    assert found == {"ok": False, "message": "The account SID starts with AC (see the Twilio console).", "found": {}}
    assert (await test({}, kind="web"))["message"] == "Web chat has no credentials to check."
    assert (await client.get(f"{API}/channels", headers=owner)).json() == []

    r = await client.post(f"{API}/channels/test", headers=owner, json={"kind": "fax"})
    assert r.status_code == 422
    r = await client.post(f"{API}/channels/test", headers=owner, json={"kind": "web", "assistant_id": "nope"})
    assert r.status_code == 422 and "not an assistant of this workspace" in r.text


async def test_the_api_tests_a_stored_connection_and_keeps_the_outcome(
    client: httpx.AsyncClient, runtime: Runtime, fake: FakeTelegram
) -> None:
    owner = bearer((await register(client))["token"])
    r = await client.post(
        f"{API}/channels", headers=owner, json={"kind": "telegram", "config": {"token": TOKEN, "api_base": fake.url}}
    )
    connection = r.json()["id"]
    r = await client.post(f"{API}/channels/{connection}/test", headers=owner)
    assert r.status_code == 200 and r.json()["ok"] is True
    fake.bots.clear()  # the token is revoked
    r = await client.post(f"{API}/channels/{connection}/test", headers=owner)
    assert r.json()["ok"] is False and "token is not valid" in r.json()["message"]
    async with runtime.db.reader() as s:
        row = await s.get(ChannelConnection, connection)
        assert row is not None and row.tested_at is not None and "token is not valid" in (row.test_problem or "")

    stranger = bearer((await register(client))["token"])
    assert (await client.post(f"{API}/channels/{connection}/test", headers=stranger)).status_code == 404
    assert (await client.post(f"{API}/channels/nope/test", headers=owner)).status_code == 404


def test_the_cli_tests_a_stored_connection(cli: CliRunner, fake: FakeTelegram) -> None:
    run_json(cli, "workspace", "create", "Bella's Salon")
    added = run_json(cli, "channel", "add", "telegram", "--workspace", "bellas-salon", "--token", TOKEN,
                     "--api-base", fake.url)  # fmt: skip
    tested = run_json(cli, "channel", "test", added["id"])
    assert tested["ok"] is True and tested["message"] == f"Telegram knows this bot: @{USERNAME} (Bella's Salon)."
    fake.bots.clear()
    result = cli.invoke(main, ["channel", "test", added["id"]])
    assert result.exit_code == 1
    assert "Does not work: Telegram says this token is not valid (401 Unauthorized)" in result.output
    result = cli.invoke(main, ["channel", "test", "nope"])
    assert result.exit_code != 0 and "no connection nope" in result.output
