"""Helpers for the Slack tests: a connection to the fake, staff members, and requests signed as
Slack signs them (v0 HMAC over timestamp and raw body)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from bot.runtime import Runtime
from channels.kinds import secret_fields
from core.models import ChannelConnection, Membership, User
from tests.fakes.slack_server import BOT_ID, BOT_TOKEN, BOT_USER_ID, STAFF_CHANNEL, TEAM_ID, FakeSlack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def event_payload(name: str, **event_changes: Any) -> dict[str, Any]:
    """A real Events API body from the fixtures, on our team, with the event changed as asked."""
    body = copy.deepcopy(fixture("events_api_payloads.json")["payloads"][name]["body"])
    body["team_id"] = TEAM_ID
    body["event"].update(event_changes)
    return body


async def connect(runtime: Runtime, workspace_id: str, fake: FakeSlack, **extra: Any) -> ChannelConnection:
    config = {"bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET, "api_base": fake.api_base,
              "staff_channel": STAFF_CHANNEL, "bot_user_id": BOT_USER_ID, "bot_id": BOT_ID, **extra}  # fmt: skip
    async with runtime.db.session() as s:
        row = ChannelConnection(
            workspace_id=workspace_id,
            kind="slack",
            name="Bella's Slack",
            account=TEAM_ID,
            config=runtime.box.seal(config, secret_fields("slack")),
        )
        s.add(row)
        await s.flush()
        return row


async def add_staff(runtime: Runtime, workspace_id: str, fake: FakeSlack, slack_user: str, email: str) -> str:
    """A staff member of the workspace whose Slack profile has the same email (linked on first use)."""
    async with runtime.db.session() as s:
        user = User(email=email, name=email.split("@")[0].title())
        s.add(user)
        await s.flush()
        s.add(Membership(workspace_id=workspace_id, user_id=user.id, role="agent"))
        user_id = user.id
    fake.add_user(slack_user, email)
    return user_id


def sign(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


async def post_json(
    client: httpx.AsyncClient, connection_id: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    raw = json.dumps(body).encode()
    return await client.post(
        f"/webhooks/slack/{connection_id}",
        content=raw,
        headers={"content-type": "application/json", **sign(raw), **(headers or {})},
    )


async def post_form(client: httpx.AsyncClient, connection_id: str, raw: str, **sign_args: Any) -> httpx.Response:
    body = raw.encode()
    return await client.post(
        f"/webhooks/slack/{connection_id}",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded", **sign(body, **sign_args)},
    )


def interaction(payload: dict[str, Any]) -> str:
    return "payload=" + quote(json.dumps(payload))


def click(action_id: str, value: str, *, user: str, message_ts: str = "1700000000.000001") -> str:
    """A block_actions payload as Slack sends it for a button on a card (the fixture's shape)."""
    payload = copy.deepcopy(fixture("block_actions_payload.json")["payload"])
    payload["user"] = {"id": user, "username": user, "name": user, "team_id": TEAM_ID}
    payload["team"]["id"] = TEAM_ID
    payload["container"] = {"type": "message", "message_ts": message_ts, "channel_id": STAFF_CHANNEL,
                            "is_ephemeral": False}  # fmt: skip
    payload["channel"] = {"id": STAFF_CHANNEL, "name": "frontdesk-staff"}
    button = {"type": "plain_text", "text": action_id}
    payload["actions"] = [{"action_id": action_id, "block_id": "fd_draft", "value": value, "type": "button",
                           "text": button, "action_ts": "1700000001.000001"}]  # fmt: skip
    return interaction(payload)


def submit(view: dict[str, Any], *, user: str, values: dict[str, str]) -> str:
    """A view_submission for a modal we opened, with the inputs filled in."""
    state = {block: {"text": {"type": "plain_text_input", "value": value}} for block, value in values.items()}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "bella"},
        "user": {"id": user, "username": user, "name": user, "team_id": TEAM_ID},
        "api_app_id": "A111",
        "token": "verification_token",
        "trigger_id": "1700000002.111.abc",
        "view": {**view, "id": "V1", "team_id": TEAM_ID, "state": {"values": state}},
    }
    return interaction(payload)


def staff_message(text: str, *, user: str, thread_ts: str, ts: str, event_id: str) -> dict[str, Any]:
    """A person's message in a thread of the staff channel."""
    return event_payload(
        "message_channel_hello_world", text=text, user=user, channel=STAFF_CHANNEL, thread_ts=thread_ts, ts=ts,
        event_ts=ts, client_msg_id=event_id,
    ) | {"event_id": event_id}  # fmt: skip
