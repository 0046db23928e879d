"""/inbox, the web admin's landing page: the workspace's conversations, the latest activity first,
and nothing of another workspace's."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from bot.runtime import Runtime
from core.messages import utcnow
from core.models import Contact, Conversation
from tests.admin.conftest import API, PASSWORD, bearer, customer_says, make_tenant
from tests.admin.web_pages import Visitor


async def test_the_inbox_lists_conversations_latest_activity_first(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(client)
    await owner.register("Bella's Salon")
    token = (await client.post(f"{API}/auth/login", json={"email": owner.email, "password": PASSWORD})).json()["token"]
    slug = (await client.get(f"{API}/assistants", headers=bearer(token))).json()[0]["slug"]
    workspace_id = (await client.get(f"{API}/auth/profile", headers=bearer(token))).json()["workspace"]["id"]
    for _ in range(2):
        await customer_says(client, slug, "Are you open on Sunday?")
    await make_tenant(client, "Someone Else's Salon")  # another workspace's conversation: never listed here
    async with runtime.db.session() as s:
        ours = (await s.execute(select(Conversation).where(Conversation.workspace_id == workspace_id))).scalars().all()
        now = utcnow()
        for n, (name, conversation) in enumerate(zip(("Ana", "Ben"), ours, strict=True)):
            await s.execute(update(Contact).where(Contact.id == conversation.contact_id).values(display_name=name))
            await s.execute(
                update(Conversation)
                .where(Conversation.id == conversation.id)
                .values(last_message_at=now - timedelta(hours=2 - n), status="waiting" if n else "open")
            )
    page = await client.get("/inbox?view=all")
    assert page.status_code == 200
    assert re.findall(r'<strong class="who">([^<]+)<', page.text) == ["Ben", "Ana"]
    assert re.search(r'aria-current="page">All <span class="count"[^>]*>2<', page.text)
    assert "Web visitor" not in page.text  # the other workspace's customer
    waiting = await client.get("/inbox")  # the view staff land on: waiting for them
    assert re.findall(r'<strong class="who">([^<]+)<', waiting.text) == ["Ben"]


async def test_a_bad_page_number_is_a_400_page(web: httpx.AsyncClient) -> None:
    await Visitor(web).register()
    for offset in ("-1", "x", "99999999999"):
        r = await web.get(f"/inbox?offset={offset}")
        assert r.status_code == 400 and "Not a page of the inbox" in r.text
