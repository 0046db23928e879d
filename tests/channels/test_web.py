"""Web chat end to end: POST /api/v1/chat through the inbox, worker, pipeline and outbox."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from core.assistants import DEFAULT_HOLDING_REPLY
from core.models import InboxItem
from staff.actor import Actor
from tests.support import latest_pending, new_workspace


async def _history(client: httpx.AsyncClient, session_id: str, **params: str) -> list[dict]:
    r = await client.get(f"/api/v1/chat/{session_id}/messages", params=params)
    assert r.status_code == 200, r.text
    return r.json()["messages"]


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_no_llm_gets_holding_reply_then_staff_answer(client: httpx.AsyncClient, runtime: Runtime) -> None:
    new = await new_workspace(runtime.db)
    session = str(uuid.uuid4())
    r = await client.post(
        "/api/v1/chat", json={"agent": new.assistant.slug, "message": "Are you open on Sunday?", "session_id": session}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "handed_off"
    assert body["response"] == DEFAULT_HOLDING_REPLY
    assert body["session_id"] == session and body["agent"] == new.assistant.slug

    # A second message while waiting does not get a second holding reply.
    r2 = await client.post("/api/v1/chat", json={"agent": new.assistant.id, "message": "Hello?", "session_id": session})
    assert r2.json()["status"] == "handed_off" and r2.json()["response"] is None

    pending = await latest_pending(runtime.db, new.workspace.id)
    assert pending is not None and pending.text == ""
    await runtime.staff.approve(Actor(new.workspace.id, "api"), pending.id, text="Sorry, we are closed on Sundays.")

    async def answered() -> bool:
        texts = [m["text"] for m in await _history(client, session)]
        return "Sorry, we are closed on Sundays." in texts

    await wait_for(answered)
    history = await _history(client, session)
    assert [m["role"] for m in history] == ["customer", "system", "customer", "staff"]
    # Polling with ?after= returns only what is newer.
    newer = await _history(client, session, after=history[1]["id"])
    assert [m["text"] for m in newer] == ["Hello?", "Sorry, we are closed on Sundays."]


async def test_same_message_id_three_times_gives_one_reply(client: httpx.AsyncClient, runtime: Runtime) -> None:
    new = await new_workspace(runtime.db)
    session = str(uuid.uuid4())
    payload = {
        "agent": new.assistant.slug,
        "message": "Do you do balayage?",
        "session_id": session,
        "message_id": "widget-msg-1",
    }
    results = [await client.post("/api/v1/chat", json=payload) for _ in range(3)]
    assert all(r.status_code == 200 for r in results)
    history = await _history(client, session)
    assert [m["role"] for m in history] == ["customer", "system"]


async def test_bad_input_gets_clear_4xx_and_nothing_is_stored(client: httpx.AsyncClient, runtime: Runtime) -> None:
    new = await new_workspace(runtime.db)
    agent = new.assistant.slug
    cases = [
        ({"agent": agent, "message": "   "}, 422),
        ({"agent": agent, "message": "x" * 100_000}, 413),
        ({"agent": "no-such-agent", "message": "hi"}, 404),
        ({"agent": agent, "message": "hi", "session_id": "not-a-uuid"}, 422),
        ({"message": "hi"}, 422),
    ]
    for payload, status in cases:
        r = await client.post("/api/v1/chat", json=payload)
        assert r.status_code == status, (payload.get("message", "")[:20], r.status_code, r.text[:200])
    r = await client.post(
        "/api/v1/chat", content=b'{"agent": "x", "message": ', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/chat", content=b"agent=x&message=hi", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 415
    from sqlalchemy import func, select

    from core.models import InboxItem

    async with runtime.db.reader() as s:
        assert (await s.execute(select(func.count()).select_from(InboxItem))).scalar_one() == 0


async def test_rate_limit_per_session(settings: Settings) -> None:
    runtime = Runtime.build(settings.model_copy(update={"chat_rate_per_minute": 3}))
    app = create_app(runtime)
    await runtime.start(worker=True)
    try:
        new = await new_workspace(runtime.db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            session = str(uuid.uuid4())
            codes = []
            for i in range(4):
                r = await client.post(
                    "/api/v1/chat", json={"agent": new.assistant.slug, "message": f"msg {i}", "session_id": session}
                )
                codes.append(r.status_code)
            assert codes == [200, 200, 200, 429]
            assert int(r.headers["retry-after"]) >= 1
            # Another session from the same address is not held up by the first one's limit.
            r = await client.post(
                "/api/v1/chat", json={"agent": new.assistant.slug, "message": "hi", "session_id": str(uuid.uuid4())}
            )
            assert r.status_code == 200
    finally:
        await runtime.close()


async def test_chat_page_and_unknown_session(client: httpx.AsyncClient, runtime: Runtime) -> None:
    new = await new_workspace(runtime.db)
    r = await client.get(f"/chat/{new.workspace.slug}")
    assert r.status_code == 200
    assert "Bella&#39;s Salon" in r.text or "Bella's Salon" in r.text
    assert (await client.get("/chat/nobody-here")).status_code == 404
    assert (await client.get(f"/api/v1/chat/{uuid.uuid4()}/messages")).status_code == 404


async def test_widget_on_an_allowed_site_may_call_the_chat_api_and_no_other(settings: Settings) -> None:
    runtime = Runtime.build(settings.model_copy(update={"chat_allowed_origins": ["https://bellas-salon.example"]}))
    app = create_app(runtime)
    await runtime.start(worker=True)
    try:
        new = await new_workspace(runtime.db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
            ok = await client.options("/api/v1/chat", headers={"Origin": "https://bellas-salon.example", **preflight})
            assert ok.status_code == 200
            assert ok.headers["access-control-allow-origin"] == "https://bellas-salon.example"
            evil = await client.options("/api/v1/chat", headers={"Origin": "https://evil.example", **preflight})
            assert "access-control-allow-origin" not in evil.headers
            r = await client.post(
                "/api/v1/chat",
                json={"agent": new.assistant.slug, "message": "hi"},
                headers={"Origin": "https://bellas-salon.example"},
            )
            assert r.status_code == 200
            assert r.headers["access-control-allow-origin"] == "https://bellas-salon.example"
            admin = await client.options(
                "/api/v1/drafts", headers={"Origin": "https://bellas-salon.example", **preflight}
            )
            assert "access-control-allow-origin" not in admin.headers
    finally:
        await runtime.close()


async def test_a_chat_body_that_is_not_utf8_gets_400_and_nothing_is_stored(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    new = await new_workspace(runtime.db)
    json_type = {"content-type": "application/json"}
    not_utf8 = b'{"agent": "' + new.assistant.slug.encode() + b'", "message": "caf\xe9"}'  # Latin-1
    r = await web.post("/api/v1/chat", content=not_utf8, headers=json_type)
    assert r.status_code == 400, r.text
    async with runtime.db.reader() as s:
        assert (await s.execute(select(func.count()).select_from(InboxItem))).scalar_one() == 0
