"""A search that matches more conversations than listing.SEARCH_COUNT_CAP stops counting there: the
API says `total_capped`, the page still offers the older ones, and the rows shown are the same as an
uncapped search's, newest activity first. Under the cap the count stays exact. Both databases; the cap
is lowered to a few conversations so the test builds little data (the code path is the real one)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from bot.runtime import Runtime
from staff import listing
from staff.pages import inbox as inbox_page
from tests.admin.conftest import API, PASSWORD, bearer
from tests.admin.web_pages import Visitor
from tests.staff.test_inbox_views import arrives

CUSTOMERS = ["Ana", "Ben", "Cleo", "Dara", "Eli"]  # Eli writes last: newest first is Eli ... Ana


async def paid_twice(web: httpx.AsyncClient, runtime: Runtime) -> dict[str, str]:
    """An owner signed in on the page, five customers who were charged twice and one who was not:
    the owner's API headers."""
    owner = Visitor(web)
    await owner.register("Bella's Salon")
    token = (await web.post(f"{API}/auth/login", json={"email": owner.email, "password": PASSWORD})).json()["token"]
    headers = bearer(token)
    ws = (await web.get(f"{API}/auth/profile", headers=headers)).json()["workspace"]["id"]
    assistant = (await web.get(f"{API}/assistants", headers=headers)).json()[0]["id"]
    for name in CUSTOMERS[:2]:
        await arrives(runtime, ws, assistant, "I paid twice for my nails", sender=name.lower(), name=name)
    await arrives(runtime, ws, assistant, "Are you open on Sunday?", sender="zoe", name="Zoe")
    for name in CUSTOMERS[2:]:
        await arrives(runtime, ws, assistant, "Card charged, paid twice?", sender=name.lower(), name=name)
    return headers


async def listed(web: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> tuple[list[str], int, bool]:
    r = await web.get(f"{API}/conversations", headers=headers, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    return [row["contact_name"] for row in body["items"]], body["total"], body["total_capped"]


async def test_a_search_past_the_cap_says_so_and_shows_the_same_rows(
    web: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await paid_twice(web, runtime)
    newest_first = CUSTOMERS[::-1]
    assert await listed(web, headers, q="paid twice") == (newest_first, 5, False)  # under the cap: exact

    monkeypatch.setattr(listing, "SEARCH_COUNT_CAP", 3)
    assert await listed(web, headers, q="paid twice", limit=2) == (newest_first[:2], 3, True)  # "3+"
    assert await listed(web, headers, q="paid twice", limit=2, offset=2) == (newest_first[2:4], 4, True)
    assert await listed(web, headers, q="paid twice", limit=2, offset=4) == (newest_first[4:], 5, False)  # the end
    assert await listed(web, headers, q="sunday") == (["Zoe"], 1, False)  # under the cap: exact
    assert await listed(web, headers) == ([*newest_first[:3], "Zoe", *newest_first[3:]], 6, False)  # no search
    counts = (await web.get(f"{API}/conversations/counts", headers=headers, params={"q": "paid twice"})).json()
    assert counts["all"] == 5 and counts["unassigned"] == 5  # the tabs count exactly, whatever the cap

    schema = (await web.get("/openapi.json")).json()["components"]["schemas"]["ConversationsPage"]
    assert "total_capped" in schema["properties"]


async def test_the_page_offers_the_older_matches_past_the_cap(
    web: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await paid_twice(web, runtime)
    monkeypatch.setattr(listing, "SEARCH_COUNT_CAP", 2)
    monkeypatch.setattr(inbox_page, "PAGE", 2)
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = await web.get("/inbox", params={"q": "paid twice", "offset": offset})
        assert page.status_code == 200
        seen += re.findall(r'<strong class="who">([^<]+)<', page.text)
        assert re.search(r'class="count" aria-label="5 conversations">5<', page.text)  # All: exact
        older = re.search(r'href="/inbox\?[^"]*offset=(\d+)[^"]*">Older<', page.text)
        offset = int(older.group(1)) if older else None
    assert seen == CUSTOMERS[::-1]  # every match, page by page, newest first
