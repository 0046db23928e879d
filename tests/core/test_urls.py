"""One URL check for every URL the API takes: a URL no HTTP client could use is a 422 when it is
given, at each place that takes one, and nothing is saved."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from core.models import Assistant, ChannelConnection
from core.urls import check_http_url
from kb.models import KnowledgeSettings, KnowledgeSite
from rules.models import Rule
from tests.support import new_workspace

API = "/api/v1"
GOOD = [
    "https://api.openai.com/v1",
    "http://127.0.0.1:11434/v1",
    "http://[::1]:8000/v1",
    "http://ollama:11434",
    "https://bücher.example/kb/",
    "https://crm.example.com/hook?token=abc#top",
]
BAD = [
    "http://ex\x01ample.com/v1",  # what the probe sent: a control character
    "http://example.com/\x7f",
    "http://example.com/a b",
    "http://example.com/\u2028",
    "\thttps://example.com",
    "https://example.com:99999/",
    "https://example.com:0/",
    "http://[::1/v1",
    "http://xn--zz/",
    "http://%zz.example/",
    "http://" + "a" * 64 + ".example/",
    "ftp://example.com/",
    "https:///path-only",
    "https://example.com/" + "a" * 2000,
]


@pytest.mark.parametrize("url", GOOD)
def test_usable_urls_pass_unchanged(url: str) -> None:
    assert check_http_url(url) == url


@pytest.mark.parametrize("url", BAD)
def test_unusable_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(ValueError, match=r"URL|port|host"):
        check_http_url(url)


def _requests(ws: str, url: str) -> list[tuple[str, str, dict[str, Any]]]:
    rule = {"name": "crm", "trigger": {"type": "message_received"}, "actions": [{"type": "webhook", "url": url}]}
    return [
        ("PUT", "/knowledge-base/embedding", {"provider": "openai", "base_url": url, "model": "m"}),
        ("POST", "/assistants", {"name": "Helper", "model_settings": {"base_url": url}}),
        ("POST", "/assistants", {"name": "Helper", "model_settings": {"fallback_base_url": url}}),
        ("POST", f"/context/workspaces/{ws}/rules/", rule),
        ("POST", "/knowledge-base/sites", {"url": url}),
        ("POST", "/channels", {"kind": "slack", "account": "T1", "config": {"api_base": url}}),
    ]


async def test_every_url_the_api_takes_is_checked_before_anything_is_saved(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    new = await new_workspace(runtime.db)
    headers = {"Authorization": f"Bearer {new.token}"}
    for url in BAD:
        for method, path, body in _requests(new.workspace.id, url):
            r = await web.request(method, API + path, json=body, headers=headers)
            assert r.status_code == 422, (method, path, url, r.text)
    async with runtime.db.reader() as s:
        for model, expected in ((Assistant, 1), (ChannelConnection, 0), (Rule, 0), (KnowledgeSite, 0)):
            assert (await s.execute(select(func.count()).select_from(model))).scalar_one() == expected, model
        assert (await s.execute(select(KnowledgeSettings))).first() is None
