"""The inbox's live feed: a customer's message and a staff action arrive as events of their
workspace only, a client resumes after a dropped connection (or is told to re-read), and
GET /api/v1/events streams them as server-sent events from the app served on a loopback port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager

import httpx
import uvicorn

from bot.app import create_app
from bot.runtime import Runtime
from core.db import Database
from core.wakeup import Wakeup
from staff.actor import Actor
from staff.live import Change, LiveFeed
from tests.admin.conftest import API, bearer, customer_says, register, wait_for
from tests.fakes.server import free_port
from tests.rules.conftest import customer_says as arrives
from tests.support import new_workspace

PATIENCE = 10.0  # a safety net against a hung test, not a measure of speed


async def next_change(changes: AsyncIterator[Change]) -> Change:
    """The next event that is not a heartbeat."""
    async with asyncio.timeout(PATIENCE):
        while (change := await anext(changes)).kind == "heartbeat":
            pass
    return change


async def test_changes_of_the_workspace_only_and_resuming(runtime: Runtime) -> None:
    mine, theirs = await new_workspace(runtime.db), await new_workspace(runtime.db, "Other Salon")
    ws = mine.workspace.id
    async with aclosing(runtime.feed.events(ws, last_event_id=runtime.feed.last_id)) as changes:
        await arrives(runtime, theirs.workspace.id, theirs.assistant.id, "Not yours")
        await arrives(runtime, ws, mine.assistant.id, "Are you open on Sunday?")
        first = await next_change(changes)
        assert first.kind == "changed" and first.conversation_id is not None
        conversation = first.conversation_id
        await runtime.staff.change_conversation(Actor(ws, "api", label="test"), conversation, {"priority": "high"})
        while (change := await next_change(changes)).id != runtime.feed.last_id:
            assert change.conversation_id == conversation  # never the other workspace's
        assert change.conversation_id == conversation

    # The connection dropped after `first`: resuming from it replays what came since, in order.
    missed = []
    async with aclosing(runtime.feed.events(ws, last_event_id=first.id)) as changes:
        while not missed or missed[-1].id != change.id:
            missed.append(await next_change(changes))
    assert {c.kind for c in missed} == {"changed"} and {c.conversation_id for c in missed} == {conversation}
    sequences = [int(str(c.id).rsplit("-", 1)[1]) for c in missed]
    assert sequences == sorted(sequences) and sequences[0] > int(str(first.id).rsplit("-", 1)[1])

    for stale in ("0-1", "nonsense", f"{runtime.feed.run}-999999"):
        async with aclosing(runtime.feed.events(ws, last_event_id=stale)) as changes:
            assert (await next_change(changes)).kind == "reset"  # re-read the list, then carry on


async def test_a_client_that_fell_behind_is_told_to_re_read(runtime: Runtime) -> None:
    feed = LiveFeed(Wakeup(), replay=3)
    async with aclosing(feed.events("ws-1", last_event_id=feed.last_id)) as changes:
        for n in range(3):
            feed._heard("ws-1", f"c{n}")
        assert (await next_change(changes)).conversation_id == "c0"
    resume = feed.last_id
    for n in range(5):  # more than the log keeps while the client is away
        feed._heard("ws-1", f"d{n}")
    async with aclosing(feed.events("ws-1", last_event_id=resume)) as changes:
        assert (await next_change(changes)).kind == "reset"
        feed._heard("ws-1", "after")
        assert (await next_change(changes)).conversation_id == "after"
    async with aclosing(feed.events("ws-1", heartbeat=0.01)) as changes:
        assert (await anext(changes)).kind == "heartbeat"  # a quiet feed still says it is alive
    assert feed.watchers("ws-1") == 0


async def test_another_process_is_heard_on_postgres(runtime: Runtime) -> None:
    if not runtime.db.is_postgres:
        return  # SQLite has no NOTIFY: a web process hears the changes its own worker makes
    new = await new_workspace(runtime.db)
    web_db, web_wakeup = Database(runtime.db.url), Wakeup()  # a web process: its own connection and feed
    web_feed = LiveFeed(web_wakeup)
    await web_wakeup.listen(web_db)
    try:
        async with aclosing(web_feed.events(new.workspace.id, last_event_id=web_feed.last_id)) as changes:
            await arrives(runtime, new.workspace.id, new.assistant.id, "Hello from the worker's process")
            assert (await next_change(changes)).kind == "changed"
    finally:
        await web_wakeup.close()
        await web_db.dispose()


@asynccontextmanager
async def served(runtime: Runtime) -> AsyncIterator[str]:
    """The app with its worker, under uvicorn on a loopback port, in this test's event loop."""
    app = create_app(runtime)
    await runtime.start(worker=True)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.ensure_future(server.serve())
    async with asyncio.timeout(PATIENCE):
        while not server.started:
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, str]]:
    """The stream's events as {"id", "event", "data"}; comments (heartbeats) and `retry` skipped."""
    event: dict[str, str] = {}
    async for line in lines:
        if not line:
            if "event" in event:
                yield event
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            event[name] = value


async def test_the_event_stream(runtime: Runtime) -> None:
    async with served(runtime) as url, httpx.AsyncClient(base_url=url, timeout=PATIENCE) as http:
        owner = await register(http)
        headers = bearer(owner["token"])
        assert (await http.get(f"{API}/events")).status_code == 401
        slug = (await http.get(f"{API}/assistants", headers=headers)).json()[0]["slug"]
        async with http.stream("GET", f"{API}/events", headers=headers) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            await customer_says(http, slug, "Are you open on Sunday?")
            async with asyncio.timeout(PATIENCE):
                first = await anext(sse_events(stream.aiter_lines()))
        assert first["event"] == "changed" and first["id"]
        conversation = json.loads(first["data"])["conversation_id"]
        await wait_for(lambda: _settled(http, headers, conversation))  # the holding reply went out

        async with http.stream("GET", f"{API}/events", headers=headers) as stream:
            r = await http.patch(f"{API}/conversations/{conversation}", headers=headers, json={"priority": "urgent"})
            assert r.status_code == 200
            async with asyncio.timeout(PATIENCE):
                staff = await anext(sse_events(stream.aiter_lines()))
        assert staff["event"] == "changed" and json.loads(staff["data"]) == {"conversation_id": conversation}
        await wait_for(lambda: _no_watchers(runtime, owner["workspace"]["id"]))  # they left with the clients

        # Resuming after the first event replays what came since, up to the staff change.
        resumed = {**headers, "Last-Event-ID": first["id"]}
        replayed = []
        async with http.stream("GET", f"{API}/events", headers=resumed) as stream:
            async with asyncio.timeout(PATIENCE):
                async for event in sse_events(stream.aiter_lines()):
                    replayed.append(event)
                    if event["id"] == staff["id"]:
                        break
        assert len(replayed) >= 2 and {e["event"] for e in replayed} == {"changed"}
        async with http.stream("GET", f"{API}/events", headers={**headers, "Last-Event-ID": "1-1"}) as stream:
            async with asyncio.timeout(PATIENCE):
                assert (await anext(sse_events(stream.aiter_lines())))["event"] == "reset"


async def _settled(http: httpx.AsyncClient, headers: dict[str, str], conversation: str) -> bool:
    items = (await http.get(f"{API}/conversations/{conversation}/messages", headers=headers)).json()["items"]
    return any(m["direction"] == "out" and m["status"] == "sent" for m in items)


async def _no_watchers(runtime: Runtime, workspace_id: str) -> bool:
    return runtime.feed.watchers(workspace_id) == 0
