"""A message-text search finds its conversations in one of two ways (staff.listing): the matching
messages first (a rare word), or a walk over the conversations newest first asking each one (a word
in many messages, on SQLite). Both must list the same conversations in the same order, past the
count's cap or under it, with another workspace's messages and words split over two messages never
matching. WALK_FROM and the cap are lowered so the test builds little data; both databases."""

from __future__ import annotations

import httpx
import pytest

from bot.runtime import Runtime
from staff import listing
from tests.admin.conftest import API
from tests.staff.test_inbox_views import arrives, owner_of


async def charged(web: httpx.AsyncClient, runtime: Runtime) -> dict[str, str]:
    """A salon where Ana, Cleo and Eli wrote "paid twice" (Eli last), Ben wrote "paid" and "twice"
    in two messages, Dara's name matches and another salon's Zed wrote it too: the owner's headers."""
    headers, ws, _, assistant = await owner_of(web)
    _, other_ws, _, other_assistant = await owner_of(web, "Other Salon")
    await arrives(runtime, ws, assistant, "I paid twice for my nails", sender="ana", name="Ana")
    await arrives(runtime, ws, assistant, "I paid for a cut", sender="ben", name="Ben")
    await arrives(runtime, ws, assistant, "Card charged, paid twice?", sender="cleo", name="Cleo")
    await arrives(runtime, other_ws, other_assistant, "Paid twice here too", sender="zed", name="Zed")
    await arrives(runtime, ws, assistant, "Hello", sender="dara", name="Dara Paid Twice")
    await arrives(runtime, ws, assistant, "They charged me twice", sender="ben", name="Ben")
    await arrives(runtime, ws, assistant, "Twice! I PAID twice", sender="eli", name="Eli")
    return headers


async def listed(web: httpx.AsyncClient, headers: dict[str, str], **params: object) -> tuple[list[str], int, bool]:
    r = await web.get(f"{API}/conversations", headers=headers, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    return [row["contact_name"] for row in body["items"]], body["total"], body["total_capped"]


@pytest.mark.parametrize("walk_from", [1_000_000, 1], ids=["matches-first", "walk"])
async def test_few_or_many_matches_list_the_same_conversations(
    web: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, walk_from: int
) -> None:
    monkeypatch.setattr(listing, "WALK_FROM", walk_from)
    headers = await charged(web, runtime)
    newest_first = ["Eli", "Dara Paid Twice", "Cleo", "Ana"]
    assert await listed(web, headers, q="paid twice") == (newest_first, 4, False)
    assert await listed(web, headers, q="PAID tw") == (newest_first, 4, False)
    assert await listed(web, headers, q="paid twice nails") == (["Ana"], 1, False)
    assert await listed(web, headers, q="charged") == (["Ben", "Cleo"], 2, False)  # Ben wrote last
    assert await listed(web, headers, q="refund") == ([], 0, False)
    assert await listed(web, headers, q="paid twice", view="waiting") == (
        await listed(web, headers, q="paid twice", status="waiting")
    )

    monkeypatch.setattr(listing, "SEARCH_COUNT_CAP", 2)
    assert await listed(web, headers, q="paid twice", limit=1) == (newest_first[:1], 2, True)
    assert await listed(web, headers, q="paid twice", limit=2, offset=2) == (newest_first[2:], 4, False)


async def test_the_way_is_chosen_by_how_many_messages_hold_the_words(
    web: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await charged(web, runtime)
    monkeypatch.setattr(listing, "WALK_FROM", 4)  # "paid twice": 4 messages (Zed's among them)
    async with runtime.db.session() as s:
        sqlite = s.get_bind().dialect.name == "sqlite"
        assert await listing._many_hits(s, "paid twice") is sqlite  # PostgreSQL: always matches first
        assert await listing._many_hits(s, "paid twice nails") is False
        assert await listing._many_hits(s, "%") is False  # no word: the scan
    assert (await listed(web, headers, q="paid twice"))[0] == ["Eli", "Dara Paid Twice", "Cleo", "Ana"]
