"""/channels, /channels/new/{kind} and /channels/{connection_id}: an owner connects a Telegram bot
against the fake Bot API (a wrong token is refused in plain words, beside its field), changes it
(renamed, another assistant, a new token checked first), tests, pauses, resumes and removes
connections, and sees each one's health; agents are refused, another workspace's connection is not
found."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from admin.assistants import service as assistants
from admin.assistants.schemas import AssistantCreate
from bot.runtime import Runtime
from channels import connections
from core.channels import NewConnection
from core.models import ChannelConnection
from tests.admin.conftest import API, bearer, register
from tests.admin.test_web_team import _add_staff, _workspace_of
from tests.admin.web_pages import Visitor
from tests.channels.telegram_support import SECRET, connect, text_update
from tests.channels.test_telegram import deliver, post
from tests.fakes.telegram_server import TOKEN, USERNAME, FakeTelegram, fake_telegram

NEW = "/channels/new/telegram"
WRONG = "7000000001:AAWrongTokenWrongTokenWrongToken_xyz"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_telegram() as f:
        yield f


def telegram_form(fake: FakeTelegram, token: str, **more: str) -> dict[str, str]:
    return {"token": token, "api_base": fake.url, "name": "", "assistant_id": "", **more}


async def rows(runtime: Runtime, workspace_id: str) -> list[ChannelConnection]:
    async with runtime.db.reader() as s:
        query = select(ChannelConnection).where(ChannelConnection.workspace_id == workspace_id)
        return list((await s.execute(query)).scalars())


async def test_an_owner_connects_a_telegram_bot_after_a_wrong_token(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeTelegram
) -> None:
    owner = Visitor(web)
    await owner.register()
    ws = await _workspace_of(web, owner)
    page = await web.get("/channels")
    assert page.status_code == 200 and "No channel yet." in page.text and 'href="/channels/new/telegram"' in page.text
    form = await web.get(NEW)
    assert form.status_code == 200 and "@BotFather" in form.text
    assert "Nothing to paste into Telegram" in form.text and "/webhooks/telegram/" in form.text

    # The Test button (htmx): only the result comes back, in plain words; nothing is stored.
    r = await owner.submit(NEW, f"{NEW}/test", telegram_form(fake, WRONG), **{"HX-Request": "true"})
    assert r.status_code == 200 and "<form" not in r.text
    assert "Telegram says this token is not valid (401 Unauthorized): copy it again from @BotFather" in r.text
    r = await owner.submit(NEW, f"{NEW}/test", telegram_form(fake, TOKEN), **{"HX-Request": "true"})
    assert f"Telegram knows this bot: @{USERNAME} (Bella&#39;s Salon)." in r.text
    # Without htmx, the page again, the result on it and the secret not in it.
    r = await owner.submit(NEW, f"{NEW}/test", telegram_form(fake, WRONG))
    assert r.status_code == 422 and "token is not valid" in r.text and WRONG not in r.text
    assert await rows(runtime, ws) == []

    # Connect with the wrong token: refused beside the token field; with the right one: connected.
    r = await owner.submit(NEW, NEW, telegram_form(fake, WRONG))
    assert r.status_code == 422 and WRONG not in r.text
    assert re.search(r'id="token-help" class="field-error">Telegram says this token is not valid', r.text)
    r = await owner.submit(NEW, NEW, telegram_form(fake, TOKEN))
    assert r.status_code == 303, r.text
    [row] = await rows(runtime, ws)
    assert row.name == f"@{USERNAME}" and row.enabled and row.config["mode"] == "polling"
    assert TOKEN not in str(row.config) and runtime.box.open(row.config)["token"] == TOKEN
    page = await web.get(r.headers["location"])
    assert f"Connected @{USERNAME}." in page.text and TOKEN not in page.text
    assert "Polling: this server fetches them from Telegram" in page.text and "None yet" in page.text

    # The same bot again: one connection per account, said beside the token.
    r = await owner.submit(NEW, NEW, telegram_form(fake, TOKEN))
    assert r.status_code == 409 and "already connected" in r.text


async def test_wrong_input_is_refused_with_the_apis_words_and_never_a_500(
    web: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    owner = Visitor(web)
    await owner.register()
    r = await owner.submit(NEW, NEW, telegram_form(fake, TOKEN, api_base="not a url"))
    assert r.status_code == 422
    assert re.search(r'id="api_base-help" class="field-error">A URL cannot contain spaces', r.text)
    r = await owner.submit(NEW, NEW, telegram_form(fake, TOKEN, name="x" * 300))
    assert r.status_code == 422 and 'id="name-help" class="field-error">' in r.text
    r = await owner.submit(NEW, NEW, telegram_form(fake, TOKEN, assistant_id="not-one-of-ours"))
    assert r.status_code == 422 and "Choose one of this workspace" in r.text
    r = await owner.submit(NEW, NEW, telegram_form(fake, "not-a-token"))
    assert r.status_code == 422 and "That is not a bot token" in r.text
    # A Bot API nobody answers at: a clear message, not a 500.
    r = await owner.submit(NEW, f"{NEW}/test", telegram_form(fake, TOKEN, api_base="http://127.0.0.1:9"))
    assert r.status_code == 422 and "Could not reach the Bot API at http://127.0.0.1:9" in r.text
    for kind, asks in {"whatsapp": "WhatsApp sender", "sms": "SMS number", "slack": "Signing secret"}.items():
        form = await web.get(f"/channels/new/{kind}")
        assert form.status_code == 200 and asks in form.text and "/webhooks/" in form.text
    r = await owner.submit("/channels/new/sms", "/channels/new/sms", {"account_sid": "XX", "auth_token": "t",
                                                                      "from": "+14155238886"})  # fmt: skip
    assert r.status_code == 422
    assert re.search(r'id="account_sid-help" class="field-error">The account SID starts with AC', r.text)
    r = await owner.submit(NEW, "/channels/new/fax", {})
    assert r.status_code == 404
    assert (await web.get("/channels/new/web")).status_code == 404


async def test_pause_resume_test_and_remove_with_the_health_shown(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeTelegram
) -> None:
    owner = Visitor(web)
    await owner.register()
    ws = await _workspace_of(web, owner)
    row = await connect(runtime, ws, fake)  # webhook mode
    page = await web.get("/channels")
    assert "Webhook: Telegram delivers them to this server" in page.text and "None yet" in page.text

    # A customer writes; the reply is refused by Telegram: both show in its health.
    fake.fail("sendMessage", 400, "Bad Request: chat not found")
    assert (await post(web, row.id, text_update(1, "Are you open on Sunday?"))).status_code == 200
    await deliver(runtime)
    page = await web.get("/channels")
    health = page.text[page.text.index(f'id="connection-{row.id}"') :]
    assert "Last message in</dt><dd>just now" in health
    assert "chat not found" in health

    # Test: passes with the stored token, and says so; a revoked token fails, in plain words.
    r = await owner.submit("/channels", f"/channels/{row.id}/test", {})
    assert r.status_code == 303
    assert f"@{USERNAME}: it works." in (await web.get(r.headers["location"])).text
    fake.bots.clear()
    r = await owner.submit("/channels", f"/channels/{row.id}/test", {})
    page = await web.get(r.headers["location"])
    assert "the test failed. Telegram says this token is not valid (401 Unauthorized)" in page.text

    r = await owner.submit("/channels", f"/channels/{row.id}/pause", {})
    assert r.status_code == 303 and not (await rows(runtime, ws))[0].enabled
    page = await web.get(r.headers["location"])
    assert "Paused: its messages are no longer answered." in page.text and ">Resume<" in page.text
    r = await owner.submit("/channels", f"/channels/{row.id}/resume", {})
    assert r.status_code == 303 and (await rows(runtime, ws))[0].enabled
    r = await owner.submit("/channels", f"/channels/{row.id}/remove", {})
    assert r.status_code == 303 and await rows(runtime, ws) == []
    assert "Removed." in (await web.get(r.headers["location"])).text


async def test_agents_are_refused_and_another_workspaces_connection_is_not_found(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    other = await register(web)
    r = await web.post(f"{API}/channels", headers=bearer(other["token"]), json={"kind": "web", "name": "Theirs"})
    theirs = r.json()["id"]
    owner = Visitor(web)
    await owner.register()
    ws = await _workspace_of(web, owner)
    for action in ("pause", "test", "remove"):
        r = await owner.submit("/channels", f"/channels/{theirs}/{action}", {})
        assert r.status_code == 404
    assert (await web.get(f"/channels/{theirs}")).status_code == 404
    for action in ("", "/test-changes"):
        r = await owner.submit("/channels", f"/channels/{theirs}{action}", {"name": "Mine now"})
        assert r.status_code == 404
    assert "Theirs" not in (await web.get("/channels")).text

    sam = await _add_staff(web, runtime, ws)
    await owner.sign_out()
    await Visitor(web, email=sam["email"]).sign_in()
    assert (await web.get("/channels")).status_code == 403
    assert (await web.get(NEW)).status_code == 403
    assert (await web.get(f"/channels/{theirs}")).status_code == 403
    assert 'href="/channels"' not in (await web.get("/inbox")).text


async def test_an_owner_renames_a_connection_changes_its_assistant_and_pastes_a_new_token(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeTelegram
) -> None:
    owner = Visitor(web)
    await owner.register()
    ws = await _workspace_of(web, owner)
    row = await connect(runtime, ws, fake)  # webhook mode, with a webhook secret the form never shows
    async with runtime.db.session() as s:
        late = await assistants.create(s, runtime.box, workspace_id=ws, data=AssistantCreate(name="Late shift"))
    page = f"/channels/{row.id}"
    assert f'href="{page}"' in (await web.get("/channels")).text
    form = await web.get(page)
    assert form.status_code == 200 and f"Change: @{USERNAME}" in form.text
    assert "•••• set. Leave empty to keep it" in form.text and TOKEN not in form.text and SECRET not in form.text
    assert f'value="{fake.url}"' in form.text  # the Bot API server, not a secret, as stored

    # Renamed and answered by another assistant, the token left empty: kept, not asked of Telegram.
    checks = len(fake.sent("getMe"))
    r = await owner.submit(page, page, {"name": "Front desk bot", "assistant_id": late.id, "token": "",
                                        "api_base": fake.url})  # fmt: skip
    assert r.status_code == 303, r.text
    assert "Saved the changes to Front desk bot." in (await web.get(r.headers["location"])).text
    [saved] = await rows(runtime, ws)
    assert saved.name == "Front desk bot" and saved.assistant_id == late.id and len(fake.sent("getMe")) == checks
    kept = runtime.box.open(saved.config)
    assert kept["token"] == TOKEN and kept["webhook_secret"] == SECRET and kept["mode"] == "webhook"

    # A wrong new token: refused beside the field in Telegram's words, and nothing saved at all.
    r = await owner.submit(page, page, {"name": "Renamed again", "assistant_id": late.id, "token": WRONG,
                                        "api_base": fake.url})  # fmt: skip
    assert r.status_code == 422 and WRONG not in r.text
    assert re.search(r'id="token-help" class="field-error">Telegram says this token is not valid', r.text)
    [same] = await rows(runtime, ws)
    assert same.name == "Front desk bot" and runtime.box.open(same.config)["token"] == TOKEN

    # Test with the field empty asks about the stored token; the new bot's token replaces it.
    r = await owner.submit(page, f"{page}/test-changes", {"token": "", "api_base": fake.url}, **{"HX-Request": "true"})
    assert f"Telegram knows this bot: @{USERNAME}" in r.text and "until you save" in r.text
    new_token = "7000000002:AANewTokenForTheSecondBot_abcdefghij"
    fake.bots[new_token] = {"id": 7000000002, "username": "bella_salon_2_bot", "first_name": "Bella 2"}
    r = await owner.submit(page, page, {"name": "Front desk bot", "assistant_id": late.id, "token": new_token,
                                        "api_base": fake.url})  # fmt: skip
    assert r.status_code == 303, r.text
    [changed] = await rows(runtime, ws)
    config = runtime.box.open(changed.config)
    assert config["token"] == new_token and config["username"] == "bella_salon_2_bot" and changed.id == row.id
    assert (
        changed.account == "7000000002" and config["webhook_secret"] == SECRET and new_token not in str(changed.config)
    )


async def test_changing_refuses_wrong_input_beside_its_field(
    web: httpx.AsyncClient, runtime: Runtime, fake: FakeTelegram
) -> None:
    owner = Visitor(web)
    await owner.register()
    ws = await _workspace_of(web, owner)
    row = await connect(runtime, ws, fake)
    page = f"/channels/{row.id}"
    good = {"name": "Bot", "assistant_id": "", "token": "", "api_base": fake.url}
    r = await owner.submit(page, page, {**good, "name": "x" * 300})
    assert r.status_code == 422 and 'id="name-help" class="field-error">' in r.text
    r = await owner.submit(page, page, {**good, "api_base": "not a url"})
    assert re.search(r'id="api_base-help" class="field-error">A URL cannot contain spaces', r.text)
    r = await owner.submit(page, page, {**good, "assistant_id": "not-one-of-ours"})
    assert r.status_code == 422 and "Choose one of this workspace" in r.text
    r = await owner.submit(page, page, {**good, "token": "not-a-token"})
    assert r.status_code == 422 and "That is not a bot token" in r.text
    [same] = await rows(runtime, ws)
    assert same.name == f"@{USERNAME}" and runtime.box.open(same.config)["api_base"] == fake.url
    # Web chat has nothing to configure: its form has the name and the assistant only.
    async with runtime.db.session() as s:
        chat = await connections.create(s, runtime.box, workspace_id=ws, new=NewConnection(kind="web", name="Site"))
    form = await web.get(f"/channels/{chat.id}")
    assert form.status_code == 200 and "Change: Site" in form.text and ">Test<" not in form.text
    r = await owner.submit(f"/channels/{chat.id}", f"/channels/{chat.id}", {"name": "Website chat"})
    assert r.status_code == 303 and "Website chat" in [c.name for c in await rows(runtime, ws)]
    assert (await web.get("/channels/not-a-connection")).status_code == 404
