"""/assistants: an owner edits an assistant (basics, approval, the model endpoint checked before it
is saved, the key never shown again), tries a message, and cannot delete the last one."""

from __future__ import annotations

import re

import httpx

from bot.runtime import Runtime
from tests.admin.assistant_setup import DRAFT, KEY, row_counts
from tests.admin.web_pages import Visitor, error_text
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve


async def _open_first(owner: Visitor) -> str:
    listing = await owner.client.get("/assistants")
    assert listing.status_code == 200
    found = re.search(r'href="/assistants/([0-9a-f-]{36})"', listing.text)
    assert found, listing.text
    return f"/assistants/{found.group(1)}"


async def test_an_owner_edits_an_assistant_and_its_model(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    page = await _open_first(owner)
    basics = {"name": "Front desk", "slug": "front-desk", "instructions": "Warm, brief. Never quote prices.",
              "holding_reply": "", "approval_policy": "autopilot", "confidence_threshold": "0.85"}  # fmt: skip
    r = await owner.submit(page, page, basics)
    assert r.status_code == 200 and "Saved." in r.text
    assert "Never quote prices." in r.text and 'value="autopilot" checked' in r.text and 'value="0.85"' in r.text

    bad = await owner.submit(page, page, {**basics, "confidence_threshold": "2"})
    assert bad.status_code == 422 and "Not saved" in error_text(bad)

    fake = FakeOpenAI()
    fake.chat_key = KEY
    with serve(fake.app) as url:
        model = {"base_url": f"{url}/v1", "model": "m", "api_key": "sk-wrong", "action": "save"}
        refused = await owner.submit(page, f"{page}/model", model)
        assert refused.status_code == 422 and "API key was refused (HTTP 401)" in refused.text
        assert "Save without checking" in refused.text and "sk-wrong" not in refused.text
        assert not (await web.get(page)).text.count(f"{url}/v1")  # not saved

        saved = await owner.submit(page, f"{page}/model", {**model, "api_key": KEY})
        assert saved.status_code == 200 and "Checked and saved." in saved.text
        shown = await web.get(page)
        assert KEY not in shown.text and "•••• set" in shown.text and f"{url}/v1" in shown.text

        # An empty key field keeps the stored key: the check still passes with it.
        kept = await owner.submit(page, f"{page}/model", {**model, "api_key": "", "action": "check"})
        assert kept.status_code == 200 and "The endpoint answers" in kept.text

        before = await row_counts(runtime.db)
        fake.reply_json(DRAFT)
        tried = await owner.submit(page, f"{page}/try", {"message": "Are you open on Sunday?", "channel": "web"})
        assert await row_counts(runtime.db) == before
        assert tried.status_code == 200
        for stage in ("Understanding", "Rules", "Sources", "Draft", "Decision"):
            assert f"<h3>{stage}</h3>" in tried.text
        assert DRAFT["reply"] in tried.text and "Waits for approval" in tried.text

    removed = await owner.submit(
        page, f"{page}/model", {**model, "api_key": "", "remove_key": "1", "action": "save_unchecked"}
    )
    assert "Saved, without checking." in removed.text and "•••• set" not in removed.text


async def test_the_last_assistant_is_not_deleted(web: httpx.AsyncClient) -> None:
    owner = Visitor(web)
    await owner.register()
    page = await _open_first(owner)
    refused = await owner.submit(page, f"{page}/delete", {})
    assert refused.status_code == 409 and "at least one assistant" in error_text(refused)

    made = await owner.submit("/assistants", "/assistants", {"name": "Night desk"})
    assert made.status_code == 303
    night = made.headers["location"]
    gone = await owner.submit(night, f"{night}/delete", {})
    assert gone.status_code == 303 and gone.headers["location"] == "/assistants"
    assert "Night desk" not in (await web.get("/assistants")).text
