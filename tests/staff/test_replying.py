"""Who is replying: a staff member writing in a conversation is told to the others of the workspace
watching it (live feed events and the conversation page), never to themselves, never to another
workspace, and no longer once they stop (or the moment passes); on PostgreSQL another process hears
it through the conversations' NOTIFY. The page's POST takes its token and answers 204."""

from __future__ import annotations

from contextlib import aclosing

import httpx
import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from core.db import Database
from core.models import Conversation
from core.wakeup import Replying, Wakeup
from staff import live
from staff.actor import Actor
from staff.errors import NotFound
from staff.live import LiveFeed
from tests.admin.web_pages import csrf_of
from tests.rules.conftest import customer_says as arrives
from tests.staff.test_inbox_pages import _owner_with_a_customer
from tests.staff.test_live_feed import next_change
from tests.support import new_workspace

ANA, BEN = "user-ana", "user-ben"


async def _conversation(runtime: Runtime, workspace_id: str, assistant_id: str) -> str:
    await arrives(runtime, workspace_id, assistant_id, "Can I move my appointment?")
    async with runtime.db.reader() as s:
        return (await s.execute(select(Conversation.id).where(Conversation.workspace_id == workspace_id))).scalar_one()


async def test_the_others_see_who_is_replying_and_not_the_writer_nor_another_workspace(runtime: Runtime) -> None:
    mine, theirs = await new_workspace(runtime.db), await new_workspace(runtime.db, "Other Salon")
    ws, other = mine.workspace.id, theirs.workspace.id
    cid = await _conversation(runtime, ws, mine.assistant.id)
    other_cid = await _conversation(runtime, other, theirs.assistant.id)
    feed = runtime.feed
    since = feed.last_id
    async with (
        aclosing(feed.events(ws, last_event_id=since, viewer=BEN)) as ben,
        aclosing(feed.events(ws, last_event_id=since, viewer=ANA)) as ana,
        aclosing(feed.events(other, last_event_id=since)) as stranger,
    ):
        await runtime.staff.replying(Actor(ws, "web", ANA), cid, name="Ana  Lopez")
        seen = await next_change(ben)
        assert (seen.kind, seen.conversation_id) == ("replying", cid)
        assert seen.replying == Replying(ANA, "Ana Lopez", True)
        assert feed.replying_now(ws, cid, viewer=BEN) == [(ANA, "Ana Lopez")]
        assert feed.replying_now(ws, cid, viewer=ANA) == []  # never oneself
        assert feed.replying_now(other, cid, viewer=None) == []

        await runtime.staff.change_conversation(Actor(ws, "web", BEN), cid, {"priority": "high"})
        assert (await next_change(ana)).kind == "changed"  # Ana's own writing was not told to her
        await runtime.staff.change_conversation(Actor(other, "web", "user-x"), other_cid, {"priority": "high"})
        first = await next_change(stranger)
        assert (first.kind, first.conversation_id) == ("changed", other_cid)  # nothing of Ana's

        await runtime.staff.replying(Actor(ws, "web", ANA), cid, name="Ana Lopez", typing=False)
        assert (await next_change(ben)).kind == "changed"  # Ben's own priority change, then:
        stopped = await next_change(ben)
        assert stopped.kind == "replying" and stopped.replying == Replying(ANA, "Ana Lopez", False)
        assert feed.replying_now(ws, cid, viewer=BEN) == []

    with pytest.raises(NotFound):  # another workspace's conversation: not theirs to write in
        await runtime.staff.replying(Actor(other, "web", "user-x"), cid, name="Mallory")
    assert feed.replying_now(ws, cid, viewer=BEN) == []


async def test_replying_ends_by_itself_when_nothing_more_is_said(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = LiveFeed(Wakeup())
    monkeypatch.setattr(live, "REPLYING_SECONDS", 0.0)  # the moment has passed as soon as it is said
    feed._heard_replying("ws-1", "c1", Replying(ANA, "Ana"))
    assert feed.replying_now("ws-1", "c1", viewer=BEN) == []
    async with aclosing(feed.events("ws-1", last_event_id=f"{feed.run}-0", viewer=BEN)) as changes:
        feed._heard("ws-1", "c1")
        assert (await next_change(changes)).kind == "changed"  # the stale "replying" was not replayed


async def test_another_process_hears_who_is_replying_on_postgres(runtime: Runtime) -> None:
    if not runtime.db.is_postgres:
        return  # SQLite has no NOTIFY: one web process serves the pages
    new = await new_workspace(runtime.db)
    cid = await _conversation(runtime, new.workspace.id, new.assistant.id)
    web_db, web_wakeup = Database(runtime.db.url), Wakeup()  # another web process
    web_feed = LiveFeed(web_wakeup)
    await web_wakeup.listen(web_db)
    try:
        async with aclosing(web_feed.events(new.workspace.id, last_event_id=web_feed.last_id, viewer=BEN)) as changes:
            await runtime.staff.replying(Actor(new.workspace.id, "web", ANA), cid, name="Ana María de la O")
            heard = await next_change(changes)
        assert heard.kind == "replying" and heard.replying == Replying(ANA, "Ana María de la O", True)
        assert web_feed.replying_now(new.workspace.id, cid, viewer=BEN) == [(ANA, "Ana María de la O")]
    finally:
        await web_wakeup.close()
        await web_db.dispose()


async def test_the_page_says_its_person_is_replying_and_shows_the_others(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, cid = await _owner_with_a_customer(client, runtime, "Bella's Salon")
    page = await client.get(f"/inbox/{cid}")
    token = csrf_of(page)
    assert 'aria-live="polite"' in page.text and "is replying" not in page.text

    told = await client.post(f"/inbox/{cid}/replying", data={"csrf_token": token, "state": "typing"})
    assert told.status_code == 204
    assert "Bella is replying" not in (await client.get(f"/inbox/{cid}")).text  # never oneself
    async with runtime.db.reader() as s:
        ws = (await s.execute(select(Conversation.workspace_id).where(Conversation.id == cid))).scalar_one()
    assert runtime.feed.replying_now(ws, cid, viewer=None)[0][1] == "Bella"

    await runtime.staff.replying(Actor(ws, "web", ANA), cid, name="Ana")
    assert "Ana is replying…" in (await client.get(f"/inbox/{cid}")).text
    await runtime.staff.replying(Actor(ws, "web", BEN), cid, name="Ben")
    assert "Ana and Ben are replying…" in (await client.get(f"/inbox/{cid}")).text

    stopped = await client.post(f"/inbox/{cid}/replying", data={"csrf_token": token, "state": "stopped"})
    assert stopped.status_code == 204 and runtime.feed.replying_now(ws, cid, viewer=ANA) == [(BEN, "Ben")]
    bad = await client.post(f"/inbox/{cid}/replying", data={"csrf_token": token, "state": "shouting"})
    assert bad.status_code == 400
    assert (await client.post(f"/inbox/{cid}/replying", data={"state": "typing"})).status_code == 403  # no token
    missing = await client.post("/inbox/no-such-conversation/replying", data={"csrf_token": token})
    assert missing.status_code == 404
