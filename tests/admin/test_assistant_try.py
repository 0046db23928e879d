"""The model check and the try panel's dry run, through the API, against a fake OpenAI-compatible
server on loopback (the real openai SDK, no mocks): a check says plainly what is wrong; a try shows
each stage's result and writes, sends and queues nothing, on both databases."""

from __future__ import annotations

import httpx

from bot.runtime import Runtime
from tests.admin.assistant_setup import DRAFT, KEY, knowledge, row_counts, sunday_rule
from tests.admin.conftest import API, bearer, register
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import free_port, serve


async def _first_assistant(web: httpx.AsyncClient, token: str) -> dict[str, object]:
    r = await web.get(f"{API}/assistants", headers=bearer(token))
    return dict(r.json()[0])


async def test_the_model_check_says_what_is_wrong(web: httpx.AsyncClient) -> None:
    owner = await register(web)
    token = owner["token"]
    assistant = await _first_assistant(web, token)
    check = f"{API}/assistants/{assistant['id']}/model-check"
    fake = FakeOpenAI()
    fake.chat_key, fake.models = KEY, {"gpt-small"}
    with serve(fake.app) as url:
        base = f"{url}/v1"
        wrong_key = await web.post(
            check, headers=bearer(token), json={"base_url": base, "model": "gpt-small", "api_key": "sk-wrong"}
        )
        assert wrong_key.status_code == 200
        [result] = wrong_key.json()
        assert not result["ok"] and "API key was refused (HTTP 401)" in result["message"]

        no_model = await web.post(
            check, headers=bearer(token), json={"base_url": base, "model": "gpt-huge", "api_key": KEY}
        )
        assert not no_model.json()[0]["ok"] and "no model 'gpt-huge'" in no_model.json()[0]["message"]

        not_openai = await web.post(
            check, headers=bearer(token), json={"base_url": f"{url}/nothing/v1", "model": "gpt-small"}
        )
        assert "HTTP 404" in not_openai.json()[0]["message"]

        right = await web.post(
            check,
            headers=bearer(token),
            json={
                "base_url": base,
                "model": "gpt-small",
                "api_key": KEY,
                "fallback_base_url": f"http://127.0.0.1:{free_port()}/v1",
            },
        )
        primary, fallback = right.json()
        assert primary["ok"] and "answers" in primary["message"], primary
        assert not fallback["ok"] and "unreachable" in fallback["message"], fallback
        assert all(r.authorization in (f"Bearer {KEY}", "Bearer sk-wrong") for r in fake.requests)

        # Saved with the key, then checked with the redacted key the API shows: the stored key is used.
        saved = await web.patch(
            f"{API}/assistants/{assistant['id']}",
            headers=bearer(token),
            json={"model_settings": {"base_url": base, "model": "gpt-small", "api_key": KEY}},
        )
        assert saved.json()["model_settings"]["api_key"] != KEY
        redacted = saved.json()["model_settings"]
        again = await web.post(check, headers=bearer(token), json=redacted)
        assert again.json()[0]["ok"], again.json()
        as_stored = await web.post(check, headers=bearer(token))  # no body: the settings as they are
        assert as_stored.json()[0]["ok"], as_stored.json()
        assert KEY not in again.text + as_stored.text + saved.text


async def test_a_try_shows_each_stage_and_writes_nothing(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await register(web)
    token, workspace_id = owner["token"], owner["workspace"]["id"]
    assistant = await _first_assistant(web, token)
    await knowledge(web, token)
    await sunday_rule(runtime, workspace_id)
    fake = FakeOpenAI()
    with serve(fake.app) as url:
        r = await web.patch(
            f"{API}/assistants/{assistant['id']}",
            headers=bearer(token),
            json={
                "approval_policy": "autopilot",
                "model_settings": {"base_url": f"{url}/v1", "model": "m", "api_key": KEY},
            },
        )
        assert r.status_code == 200, r.text
        before = await row_counts(runtime.db)
        fake.reply_json(DRAFT)
        r = await web.post(
            f"{API}/assistants/{assistant['id']}/try",
            headers=bearer(token),
            json={"message": "Are you open on Sunday?", "channel": "whatsapp"},
        )
        assert r.status_code == 200, r.text
        tried = r.json()
        after = await row_counts(runtime.db)

    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert len(fake.requests) == 1  # the draft's call, and nothing else reached the model
    assert tried["understanding"]["intent"] and tried["understanding"]["sentiment"]
    [rule] = tried["rules"]
    assert rule["rule"] == "Sunday questions"
    assert rule["actions"] == [
        "add_tags: would set: tags are now sunday",
        "require_approval: would mark: the reply waits for staff approval",
    ]
    assert tried["sources"] and "Sunday" in tried["sources"][0]["title"] + tried["sources"][0]["text"]
    assert tried["sources"][0]["score"] > 0 and 0 < tried["answer_threshold"] < 1
    assert tried["draft"]["text"] == DRAFT["reply"] and tried["draft"]["source"] == "llm"
    assert tried["decision"] == {"decision": "needs_approval", "reason": "a rule requires staff approval"}
    assert "nothing was stored, sent or queued" in tried["note"]


async def test_a_try_without_a_model_answers_from_the_knowledge_base(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await register(web)
    token = owner["token"]
    assistant = await _first_assistant(web, token)
    await knowledge(web, token)
    await web.patch(f"{API}/assistants/{assistant['id']}", headers=bearer(token), json={"approval_policy": "autopilot"})
    before = await row_counts(runtime.db)
    r = await web.post(
        f"{API}/assistants/{assistant['id']}/try", headers=bearer(token), json={"message": "Do you sell gift cards?"}
    )
    tried = r.json()
    assert await row_counts(runtime.db) == before
    assert tried["rules"] == []
    assert tried["draft"]["source"] == "extractive" and "front desk" in tried["draft"]["text"]
    assert tried["decision"]["decision"] in ("auto_send", "needs_approval")
    assert tried["decision"]["reason"].startswith("autopilot: confidence")


async def test_a_try_is_bounded(web: httpx.AsyncClient, runtime: Runtime) -> None:
    # Two a minute (a token back every 30 s): at the default 30 a token came back every 2 s, and
    # on a busy machine the 31 tries took longer than that, so the last one was let through.
    runtime.settings.chat_rate_per_minute = 2
    owner = await register(web)
    token = owner["token"]
    assistant = await _first_assistant(web, token)
    url = f"{API}/assistants/{assistant['id']}/try"
    too_long = "a" * (runtime.settings.max_message_chars + 1)
    r = await web.post(url, headers=bearer(token), json={"message": too_long})
    assert r.status_code == 422 and "at most" in r.text
    assert (await web.post(url, headers=bearer(token), json={"message": "   "})).status_code == 422
    assert (await web.post(url, headers=bearer(token), json={"message": "hi", "channel": "fax"})).status_code == 422
    statuses = [
        (await web.post(url, headers=bearer(token), json={"message": "hi"})).status_code
        for _ in range(runtime.settings.chat_rate_per_minute + 1)
    ]
    assert statuses[0] == 200 and statuses[-1] == 429
    other = await register(web, workspace_name="Other Salon")
    elsewhere = await web.post(url, headers=bearer(other["token"]), json={"message": "hi"})
    assert elsewhere.status_code == 404
