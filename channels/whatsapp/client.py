"""twilio `Client`s, one per connection, on the SDK's async HTTP client (no sync call on the loop).

`api_base` points the REST API somewhere else (tests point it at a fake on loopback); otherwise the
connection's region and edge pick Twilio's regional host, as the SDK does.
"""

from __future__ import annotations

import contextlib
from typing import Any

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client


def make_client(config: dict[str, Any], *, timeout: float = 15.0) -> tuple[Client, AsyncTwilioHttpClient]:
    """A client for one connection. Build it inside the running loop (aiohttp needs one)."""
    http = AsyncTwilioHttpClient(timeout=timeout)
    api_base = str(config.get("api_base") or "").rstrip("/")
    client = Client(
        str(config["account_sid"]),
        str(config["auth_token"]),
        region=None if api_base else (config.get("region") or None),
        edge=None if api_base else (config.get("edge") or None),
        http_client=http,
    )
    if api_base:
        client.api.base_url = api_base
    return client, http


class ClientPool:
    def __init__(self) -> None:
        self._clients: dict[str, tuple[tuple[Any, ...], Client, AsyncTwilioHttpClient]] = {}

    def client(self, connection_id: str, config: dict[str, Any]) -> Client:
        key = tuple(config.get(k) for k in ("account_sid", "auth_token", "api_base", "region", "edge"))
        cached = self._clients.get(connection_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        client, http = make_client(config)
        self._clients[connection_id] = (key, client, http)
        return client

    async def close(self) -> None:
        for _, _, http in self._clients.values():
            with contextlib.suppress(Exception):
                await http.close()
        self._clients.clear()
