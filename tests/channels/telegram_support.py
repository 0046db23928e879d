"""Shared set-up for the Telegram tests: a connection to the fake Bot API, and real update payloads."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from bot.runtime import Runtime
from channels.kinds import secret_fields
from core.models import ChannelConnection
from tests.fakes.telegram_server import BOT_ID, TOKEN, USERNAME, FakeTelegram

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"
SECRET = "s3cr3t-Token_for-webhooks"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def adapted(name: str, **changes: Any) -> dict[str, Any]:
    """An aiogram-valid update from the adapted fixture file, with top-level changes applied."""
    update = copy.deepcopy(fixture("telegram_updates_adapted.json")["updates"][name])
    update.update(changes)
    return update


def text_update(update_id: int, text: str, *, chat_id: int = 1111111, message_id: int | None = None) -> dict[str, Any]:
    """The real text update (teloxide's capture) with our own ids and text."""
    update = copy.deepcopy(fixture("teloxide_real_payloads.json")["text_update"])
    update["update_id"] = update_id
    message = update["message"]
    message["message_id"] = message_id or update_id
    message["text"] = text
    message["chat"]["id"] = message["from"]["id"] = chat_id
    return update


async def connect(
    runtime: Runtime, workspace_id: str, fake: FakeTelegram, *, mode: str = "webhook", secret: str | None = SECRET
) -> ChannelConnection:
    config: dict[str, Any] = {"token": TOKEN, "api_base": fake.url, "username": USERNAME, "mode": mode}
    if secret is not None:
        config["webhook_secret"] = secret
    async with runtime.db.session() as s:
        row = ChannelConnection(
            workspace_id=workspace_id,
            kind="telegram",
            name=f"@{USERNAME}",
            account=str(BOT_ID),
            config=runtime.box.seal(config, secret_fields("telegram")),
        )
        s.add(row)
        await s.flush()
        return row
