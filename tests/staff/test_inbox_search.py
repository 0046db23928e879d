"""Searching the inbox as staff do, through the API, on both databases: word beginnings, several
words in a conversation's messages together, any case and accents, input that looks like search
syntax, another workspace's messages, a message edited after it arrived, the count's cap. The index
is core.search's, one document per conversation (FTS5 on SQLite, GIN on PostgreSQL)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import delete, update

from bot.runtime import Runtime
from core.models import Message
from staff import listing
from staff.listing import Filters, conversations
from tests.admin.conftest import API
from tests.staff.test_inbox_views import arrives, names, owner_of


async def salon(web: httpx.AsyncClient, runtime: Runtime) -> tuple[dict[str, str], str, str]:
    """Three customers who wrote one message each: (the owner's headers, workspace id, assistant id)."""
    headers, ws, _, assistant = await owner_of(web)
    await arrives(runtime, ws, assistant, "I'd like an Appointment on Friday morning", sender="ana", name="Ana Lima")
    await arrives(runtime, ws, assistant, "Le café crème était froid, remboursement SVP", sender="ben", name="Benoît")
    await arrives(runtime, ws, assistant, "Paid twice for my NAILS (card ending 4242)", sender="cleo", name="Cleo")
    return headers, ws, assistant


async def test_words_are_found_by_their_beginnings_in_any_case_and_accents(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    headers, _, _ = await salon(web, runtime)
    assert await names(web, headers, q="appoint") == ["Ana Lima"]  # the start of "Appointment"
    assert await names(web, headers, q="APPOINTMENT") == ["Ana Lima"]
    assert await names(web, headers, q="pointment") == []  # the middle of a word is not its beginning
    assert await names(web, headers, q="cafe creme") == ["Benoît"]  # accents folded in the message
    assert await names(web, headers, q="CAFÉ") == ["Benoît"]  # and in the query
    assert await names(web, headers, q="etait") == ["Benoît"]
    assert await names(web, headers, q="nails") == ["Cleo"]
    assert await names(web, headers, q="4242") == ["Cleo"]


async def test_every_word_must_be_found(web: httpx.AsyncClient, runtime: Runtime) -> None:
    headers, _, _ = await salon(web, runtime)
    assert await names(web, headers, q="twice paid") == ["Cleo"]  # in any order
    assert await names(web, headers, q="friday  morn") == ["Ana Lima"]
    assert await names(web, headers, q="friday nails") == []  # each in another conversation
    assert await names(web, headers, q="ana lim") == ["Ana Lima"]  # the contact's name, word by word


async def test_input_that_looks_like_search_syntax_is_only_words(web: httpx.AsyncClient, runtime: Runtime) -> None:
    headers, _, _ = await salon(web, runtime)
    for query, expected in [
        ('"paid', ["Cleo"]),
        ("paid*", ["Cleo"]),
        ("paid OR friday", []),  # OR is a word here, and no conversation holds it
        ("NEAR(paid twice)", []),  # so is NEAR
        ("twice NOT paid", []),
        ("-paid", ["Cleo"]),
        ("(paid) AND (twice)", []),
        ("paid:* & twice", ["Cleo"]),  # PostgreSQL's syntax too
        ("card' OR '1'='1", []),
        ("nails\\", ["Cleo"]),
        ("^paid", ["Cleo"]),
        ("{text}: paid", []),
    ]:
        assert await names(web, headers, q=query) == expected, query
    for nothing_but_marks in ['"', "*", "()", "-", '"*"', "!?", "^", ":"]:
        r = await web.get(f"{API}/conversations", headers=headers, params={"q": nothing_but_marks})
        assert r.status_code == 200, (nothing_but_marks, r.text)
        assert r.json()["items"] == [], nothing_but_marks  # looked for as it is: nobody wrote it
    assert await names(web, headers, q="(") == ["Cleo"]  # "(card ending 4242)"
    assert await names(web, headers, q="'") == ["Ana Lima"]  # "I'd like"
    assert (await web.get(f"{API}/conversations", headers=headers, params={"q": "x" * 10_000})).status_code == 422
    nul = await web.get(f"{API}/conversations", headers=headers, params={"q": "paid\x00twice"})
    assert nul.status_code in (200, 400, 422), nul.text


async def test_the_service_takes_any_text_the_other_faces_might_pass(web: httpx.AsyncClient, runtime: Runtime) -> None:
    _, ws, _ = await salon(web, runtime)
    async with runtime.db.session() as s:
        for query in ["paid\x00twice", "\x00", "paid " * 2_000, '"' * 10_000, "x" * 10_000, "   "]:
            listed = await conversations(s, workspace_id=ws, user_id=None, filters=Filters(search=query))
            assert listed.total == len(listed.rows) and not listed.more, query[:20]
        found = await conversations(s, workspace_id=ws, user_id=None, filters=Filters(search="paid\x00twice"))
        assert [r.contact_name for r in found.rows] == ["Cleo"]


async def test_another_workspaces_messages_never_match(web: httpx.AsyncClient, runtime: Runtime) -> None:
    headers, _, _ = await salon(web, runtime)
    other, other_ws, _, other_assistant = await owner_of(web, "Other Salon")
    await arrives(runtime, other_ws, other_assistant, "Appointment for a zebra manicure", sender="zed", name="Zed")
    assert await names(web, headers, q="zebra") == []
    assert await names(web, headers, q="appointment") == ["Ana Lima"]
    assert await names(web, other, q="appointment") == ["Zed"]
    assert await names(web, other, q="nails") == []
    assert await names(web, other, q="cleo") == []


async def test_a_message_is_found_as_it_now_reads(web: httpx.AsyncClient, runtime: Runtime) -> None:
    """New messages are indexed as they arrive; a text rewritten later (a voice note's transcript) is
    found by its new words only; a deleted message is found no more."""
    headers, ws, assistant = await salon(web, runtime)
    assert await names(web, headers, q="balayage") == []
    await arrives(runtime, ws, assistant, "Balayage?")  # from Ana, after the index was built
    assert await names(web, headers, q="balayage") == ["Ana Lima"]
    async with runtime.db.session() as s:
        await s.execute(update(Message).where(Message.text == "Balayage?").values(text="Highlights please"))
    assert await names(web, headers, q="balayage") == []
    assert await names(web, headers, q="highlight") == ["Ana Lima"]
    async with runtime.db.session() as s:
        await s.execute(delete(Message).where(Message.text == "Highlights please"))
    assert await names(web, headers, q="highlight") == []
    assert await names(web, headers, q="appointment") == ["Ana Lima"]  # the rest of the index is intact


async def test_a_conversation_matches_through_its_messages_together_newest_first_and_counted_to_a_cap(
    web: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ben wrote "paid" and "twice" in two messages: his conversation holds both words, so it matches;
    the matches come newest first, and past the cap the total says "at least"."""
    headers, ws, _, assistant = await owner_of(web)
    _, other_ws, _, other_assistant = await owner_of(web, "Other Salon")
    await arrives(runtime, ws, assistant, "I paid twice for my nails", sender="ana", name="Ana")
    await arrives(runtime, ws, assistant, "I paid for a cut", sender="ben", name="Ben")
    await arrives(runtime, ws, assistant, "Card charged, paid twice?", sender="cleo", name="Cleo")
    await arrives(runtime, other_ws, other_assistant, "Paid twice here too", sender="zed", name="Zed")
    await arrives(runtime, ws, assistant, "Hello", sender="dara", name="Dara Paid Twice")
    await arrives(runtime, ws, assistant, "They charged me twice", sender="ben", name="Ben")
    await arrives(runtime, ws, assistant, "Twice! I PAID", sender="eli", name="Eli")

    async def listed(**params: object) -> tuple[list[str], int, bool]:
        r = await web.get(f"{API}/conversations", headers=headers, params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        return [row["contact_name"] for row in body["items"]], body["total"], body["total_capped"]

    newest_first = ["Eli", "Ben", "Dara Paid Twice", "Cleo", "Ana"]
    assert await listed(q="paid twice") == (newest_first, 5, False)
    assert await listed(q="PAID tw") == (newest_first, 5, False)
    assert await listed(q="paid twice nails") == (["Ana"], 1, False)
    assert await listed(q="charged cut") == (["Ben"], 1, False)  # "cut" in his first message, "charged" later
    assert await listed(q="refund") == ([], 0, False)
    monkeypatch.setattr(listing, "SEARCH_COUNT_CAP", 2)
    assert await listed(q="paid twice", limit=1) == (newest_first[:1], 2, True)
    assert await listed(q="paid twice", limit=2, offset=3) == (newest_first[3:], 5, False)
