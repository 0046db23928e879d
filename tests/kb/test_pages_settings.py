"""The knowledge base's settings in the web admin, as the API sets them: the embedding model and the
answer threshold (/knowledge/embedding: checked first, the key never shown back), which assistant
answers from a collection, and a document's Reindex button. Another workspace's things are not
found; staff are not let in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from bot.runtime import Runtime
from tests.admin.conftest import API, bearer, register, wait_for
from tests.admin.test_web_account import beside
from tests.admin.test_web_team import _add_staff, _workspace_of
from tests.admin.web_pages import Visitor
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve
from tests.kb.test_pages import FAQ, _collection, _until_final, _upload

KEY = "sk-embed-page-0123456789"


@pytest.fixture
def fake() -> Iterator[str]:
    server = FakeOpenAI()
    server.embedding_key = KEY
    with serve(server.app) as url:
        yield f"{url}/v1"


async def _api(web: httpx.AsyncClient, owner: Visitor) -> dict[str, str]:
    return bearer(str((await register(web, email=owner.email))["token"]))


async def test_an_owner_sets_the_embedding_model_and_threshold(web: httpx.AsyncClient, fake: str) -> None:
    owner = Visitor(web)
    await owner.register()
    api = await _api(web, owner)
    page = await web.get("/knowledge/embedding")
    assert (
        page.status_code == 200 and "No key is set" in page.text and 'aria-current="page">Embedding model' in page.text
    )

    local = {"provider": "local", "base_url": "", "model": "", "api_key": "", "dimensions": ""}
    r = await owner.submit("/knowledge/embedding", "/knowledge/embedding", {**local, "answer_threshold": "1.5"})
    assert r.status_code == 422 and "from 0 to 1" in beside(r, "answer_threshold")
    r = await owner.submit("/knowledge/embedding", "/knowledge/embedding", {**local, "dimensions": "many"})
    assert r.status_code == 422 and "whole number" in beside(r, "dimensions")
    r = await owner.submit("/knowledge/embedding", "/knowledge/embedding", {**local, "provider": "openai"})
    assert r.status_code == 422 and "needs base_url and model" in r.text  # the service's refusal, nothing saved
    r = await owner.submit("/knowledge/embedding", "/knowledge/embedding", {**local, "answer_threshold": "0.62"})
    assert r.status_code == 303
    assert (await web.get(f"{API}/knowledge-base/embedding", headers=api)).json()["answer_threshold"] == 0.62
    assert 'value="0.62"' in (await web.get("/knowledge/embedding")).text

    remote = {"provider": "openai", "base_url": fake, "model": "fake-embed", "dimensions": "", "answer_threshold": ""}
    r = await owner.submit("/knowledge/embedding", "/knowledge/embedding", {**remote, "api_key": "sk-wrong"})
    assert r.status_code == 422 and "Not saved" in r.text and "sk-wrong" not in r.text
    r = await owner.submit("/knowledge/embedding", "/knowledge/embedding", {**remote, "api_key": KEY})
    assert r.status_code == 303, r.text
    shown = await web.get("/knowledge/embedding")
    assert "A key is set" in shown.text and KEY not in shown.text and "fake-embed" in shown.text
    chosen = (await web.get(f"{API}/knowledge-base/embedding", headers=api)).json()
    assert chosen["provider"] == "openai" and chosen["answer_threshold"] is None and KEY not in str(chosen)
    # Saved again with the key left empty: the same endpoint keeps its key (the probe would fail without it).
    r = await owner.submit(
        "/knowledge/embedding", "/knowledge/embedding", {**remote, "api_key": "", "answer_threshold": "0.4"}
    )
    assert r.status_code == 303, r.text
    assert (await web.get(f"{API}/knowledge-base/embedding", headers=api)).json()["answer_threshold"] == 0.4


async def test_a_collections_assistant_and_reindexing_a_document(web: httpx.AsyncClient) -> None:
    owner = Visitor(web)
    await owner.register()
    api = await _api(web, owner)
    night = (await web.post(f"{API}/assistants", headers=api, json={"name": "Night desk"})).json()
    stranger = await register(web, workspace_name="Elsewhere")
    theirs = (await web.get(f"{API}/assistants", headers=bearer(stranger["token"]))).json()[0]["id"]
    page = await _collection(web, owner)
    collection_id = page.rsplit("/", 1)[-1]

    assert "Only Night desk" in (await web.get(page)).text
    r = await owner.submit(page, f"{page}/assistant", {"assistant_id": night["id"]})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=assistant")
    collection = (await web.get(f"{API}/knowledge-base/collections", headers=api)).json()[0]
    assert collection["assistant_id"] == night["id"]
    assert re.search(rf'<option value="{night["id"]}" selected>Only Night desk', (await web.get(page)).text)
    r = await owner.submit(page, f"{page}/assistant", {"assistant_id": theirs})
    assert r.status_code == 422 and "not one of this workspace" in beside(r, "collection-assistant")
    r = await owner.submit(page, f"{page}/assistant", {"assistant_id": ""})
    assert r.status_code == 303
    assert (await web.get(f"{API}/knowledge-base/collections", headers=api)).json()[0]["assistant_id"] is None
    elsewhere = await owner.submit(page, "/knowledge/collections/not-a-collection/assistant", {"assistant_id": ""})
    assert elsewhere.status_code == 404 and collection_id

    await _until_final(web, await _upload(web, page, "prices.csv", FAQ))
    listed = await web.get(page)
    document = re.search(r'href="(/knowledge/documents/[^"]+)"', listed.text)
    assert document
    r = await owner.submit(document.group(1), f"{document.group(1)}/reindex", {})
    assert r.status_code == 303 and "?reindexing=" in r.headers["location"]
    shown = await web.get(r.headers["location"])
    assert shown.status_code == 200 and "Reindexing" in shown.text
    job_id = r.headers["location"].rsplit("=", 1)[-1]

    async def done() -> bool:
        return bool((await web.get(f"/knowledge/jobs/{job_id}")).text.count("Ready"))

    await wait_for(done, timeout=30)
    stranger_docs = await web.get(f"{API}/knowledge-base/documents", headers=bearer(stranger["token"]))
    assert stranger_docs.json()["items"] == []
    r = await owner.submit(document.group(1), "/knowledge/documents/someone-elses/reindex", {})
    assert r.status_code == 404


async def test_staff_cannot_change_knowledge_settings(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    sam = await _add_staff(web, runtime, await _workspace_of(web, owner))
    await owner.sign_out()
    staff = Visitor(web, email=sam["email"])
    await staff.sign_in()
    assert (await web.get("/knowledge/embedding")).status_code == 403
    r = await staff.submit("/inbox", "/knowledge/embedding", {"provider": "local", "answer_threshold": "0.1"})
    assert r.status_code == 403
