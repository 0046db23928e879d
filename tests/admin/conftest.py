"""Helpers for the admin API tests: accounts, tenants with real traffic, and waiting for the outbox."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from admin.auth import service as auth_service
from tests.cli_support import cli  # noqa: F401  (the fixture, for the `frontdesk workspace` tests)

API = "/api/v1"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Production argon2 parameters cost ~50 ms a hash; the behaviour under test is the same.
    monkeypatch.setattr(auth_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    auth_service._dummy_hash.cache_clear()


def bearer(token: str, workspace: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if workspace is not None:
        headers["X-Frontdesk-Workspace"] = workspace
    return headers


async def register(
    client: httpx.AsyncClient,
    *,
    email: str | None = None,
    workspace_name: str = "Bella's Salon",
    password: str = PASSWORD,
) -> dict[str, Any]:
    email = email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
    r = await client.post(
        f"{API}/auth/register",
        json={"email": email, "password": password, "name": "Bella", "workspace_name": workspace_name},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def wait_for(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@dataclass
class Tenant:
    """A registered owner with an assistant, a channel connection and one customer chat."""

    token: str
    user_id: str
    workspace_id: str
    assistant_id: str
    assistant_slug: str
    channel_id: str
    conversation_id: str
    draft_id: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


async def customer_says(client: httpx.AsyncClient, assistant_slug: str, text: str, session: str | None = None) -> str:
    """A web chat message; with no LLM configured it leaves an empty pending draft."""
    session = session or str(uuid.uuid4())
    r = await client.post(f"{API}/chat", json={"agent": assistant_slug, "message": text, "session_id": session})
    assert r.status_code == 200, r.text
    return session


async def make_tenant(client: httpx.AsyncClient, name: str) -> Tenant:
    session = await register(client, workspace_name=name)
    headers = bearer(session["token"])
    assistants = (await client.get(f"{API}/assistants", headers=headers)).json()
    slug = assistants[0]["slug"]
    r = await client.post(
        f"{API}/channels",
        headers=headers,
        json={"kind": "slack", "account": f"T{uuid.uuid4().hex[:8]}", "config": {"bot_token": "xoxb-secret"}},
    )
    assert r.status_code == 201, r.text
    await customer_says(client, slug, "Are you open on Sunday?")

    async def drafted() -> bool:  # the chat waits 5 s; a worker's first turn loads the models first
        return bool((await client.get(f"{API}/drafts", headers=headers)).json()["items"])

    await wait_for(drafted, timeout=60)
    conversations = (await client.get(f"{API}/conversations", headers=headers)).json()["items"]
    drafts = (await client.get(f"{API}/drafts", headers=headers)).json()["items"]
    assert len(conversations) == 1 and len(drafts) == 1
    messages_url = f"{API}/conversations/{conversations[0]['id']}/messages"

    async def holding_reply_sent() -> bool:  # so later reads see a settled conversation
        items = (await client.get(messages_url, headers=headers)).json()["items"]
        return any(m["direction"] == "out" for m in items) and all(
            m["status"] == "sent" for m in items if m["direction"] == "out"
        )

    await wait_for(holding_reply_sent)
    return Tenant(
        token=session["token"],
        user_id=session["user"]["id"],
        workspace_id=session["workspace"]["id"],
        assistant_id=assistants[0]["id"],
        assistant_slug=slug,
        channel_id=r.json()["id"],
        conversation_id=conversations[0]["id"],
        draft_id=drafts[0]["id"],
    )
