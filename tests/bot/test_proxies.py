"""Forwarded headers (X-Forwarded-For) are believed only from FRONTDESK_TRUSTED_PROXIES.

A tunnel (cloudflared, ngrok) connects from 127.0.0.1, so a server that trusts every local peer lets
anyone on the internet name their own address and walk past the per-address chat limit.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.cli import server_config
from bot.runtime import Runtime
from bot.settings import Settings
from core.db import Database
from tests.conftest import make_settings
from tests.fakes.server import free_port, serve_config
from tests.support import new_workspace

# One message a minute per session: the per-address limit is four a minute.
PER_ADDRESS = 4


async def _assistant(db_url: str) -> str:
    db = Database(db_url)
    try:
        return (await new_workspace(db)).assistant.slug
    finally:
        await db.dispose()


async def _chat_codes(client: httpx.AsyncClient, agent: str, forwarded_for: list[str]) -> list[int]:
    """One message per new session (so only the per-address limit applies), each with its header."""
    codes = []
    for address in forwarded_for:
        r = await client.post(
            "/api/v1/chat",
            json={"agent": agent, "message": "hi", "session_id": str(uuid.uuid4())},
            headers={"X-Forwarded-For": address},
        )
        codes.append(r.status_code)
    return codes


def _settings(db_url: str, tmp_path: Path, trusted: list[str]) -> Settings:
    return make_settings(db_url, tmp_path, chat_rate_per_minute=1, chat_wait_seconds=0.0, trusted_proxies=trusted)


SPOOFED = [f"203.0.113.{i}" for i in range(1, PER_ADDRESS + 2)]


@pytest.mark.parametrize(("trusted", "expected"), [([], [200] * PER_ADDRESS + [429]), (["127.0.0.1"], [200] * 5)])
async def test_frontdesk_serve_believes_forwarded_for_only_from_trusted_proxies(
    db_url: str, tmp_path: Path, trusted: list[str], expected: list[int]
) -> None:
    """The real server, configured as `frontdesk serve` configures it, on loopback."""
    agent = await _assistant(db_url)
    runtime = Runtime.build(_settings(db_url, tmp_path, trusted))
    config = server_config(create_app(runtime, worker=False), host="127.0.0.1", port=free_port())
    with serve_config(config) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            assert await _chat_codes(client, agent, SPOOFED) == expected


async def test_the_app_finds_the_client_address_behind_a_trusted_proxy(db_url: str, tmp_path: Path) -> None:
    agent = await _assistant(db_url)
    for trusted, spoofed_codes in (([], [200] * PER_ADDRESS + [429]), (["127.0.0.0/8", "10.1.2.3"], [200] * 5)):
        runtime = Runtime.build(_settings(db_url, tmp_path, trusted))
        app = create_app(runtime, worker=False)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                assert await _chat_codes(client, agent, SPOOFED) == spoofed_codes
                if trusted:
                    # Behind the proxy one customer is still one address: they are limited as before.
                    same = ["198.51.100.9"] * (PER_ADDRESS + 1)
                    assert await _chat_codes(client, agent, same) == [200] * PER_ADDRESS + [429]
                    # A chain: the proxy's own address (trusted) is skipped, the one before it is the client.
                    chain = ["198.51.100.10, 10.1.2.3"] * (PER_ADDRESS + 1)
                    assert await _chat_codes(client, agent, chain) == [200] * PER_ADDRESS + [429]
                    # A client cannot prepend a made-up address to dodge the limit as the chain grows.
                    forged = [f"192.0.2.{i}, 198.51.100.11, 10.1.2.3" for i in range(PER_ADDRESS + 1)]
                    assert await _chat_codes(client, agent, forged) == [200] * PER_ADDRESS + [429]
        finally:
            await runtime.close()


def test_trusted_proxies_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8 ,::1,")
    assert Settings(_env_file=None).trusted_proxies == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    monkeypatch.setenv("FRONTDESK_TRUSTED_PROXIES", "")
    assert Settings(_env_file=None).trusted_proxies == []
    for wrong in ("*", "localhost", "10.0.0.300", "0.0.0.0/0"):
        monkeypatch.setenv("FRONTDESK_TRUSTED_PROXIES", wrong)
        with pytest.raises(ValueError, match="FRONTDESK_TRUSTED_PROXIES"):
            Settings(_env_file=None)
