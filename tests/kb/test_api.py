"""/api/v1/knowledge-base as an owner uses it: upload, list, search with scores and sources, delete,
jobs with percent done; bad uploads get a clear 4xx and leave nothing behind; tenants see only theirs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bot.runtime import Runtime
from tests import hostile_files as hostile
from tests.admin.conftest import API, bearer
from tests.kb import files
from tests.support import new_workspace

KB = f"{API}/knowledge-base"
FAQ = b"""# Visiting Bella's

## Parking

### Is there parking?
Yes: free parking behind the salon, entrance on Mill Lane.

## Accessibility

### Is the salon wheelchair accessible?
Yes, with a step-free entrance and a ground-floor washroom.
"""


async def upload(client: httpx.AsyncClient, token: str, name: str, data: bytes) -> httpx.Response:
    return await client.post(f"{KB}/documents", headers=bearer(token), files={"file": (name, data)})


async def test_upload_search_and_delete(client: httpx.AsyncClient, runtime: Runtime) -> None:
    new = await new_workspace(runtime.db)
    r = await upload(client, new.token, "visiting.md", FAQ)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "created" and body["job"]["state"] == "done" and body["job"]["percent"] == 100
    document = body["document"]
    assert document["title"] == "Visiting Bella's" and document["chunk_count"] == 2

    again = await upload(client, new.token, "visiting.md", FAQ)
    assert again.status_code == 201 and again.json()["outcome"] == "unchanged"

    parking = {"q": "is there parking near the salon?"}
    found = (await client.get(f"{KB}/search", params=parking, headers=bearer(new.token))).json()
    top = found["results"][0]
    assert top["answer"] == "Yes: free parking behind the salon, entrance on Mill Lane."
    assert top["source"] == {
        "document_id": document["id"],
        "title": "Visiting Bella's",
        "source": "visiting.md",
        "url": None,
        "heading": "Visiting Bella's > Parking > Is there parking?",
        "page": None,
    }
    assert top["answers"] is True and top["similarity"] >= found["threshold"] and top["score"] > 0

    listed = (await client.get(f"{KB}/documents", headers=bearer(new.token))).json()
    assert [d["source"] for d in listed["items"]] == ["visiting.md"] and listed["total"] == 1
    [collection] = (await client.get(f"{KB}/collections", headers=bearer(new.token))).json()
    assert collection["embed_model"] == "all-MiniLM-L6-v2-onnx-int8" and collection["embed_dim"] == 384

    job = (await client.get(f"{KB}/jobs/{body['job']['id']}", headers=bearer(new.token))).json()
    assert job["percent"] == 100 and job["result"]["embedded"] == 2

    reindexed = await client.post(f"{KB}/documents/{document['id']}/reindex", headers=bearer(new.token))
    assert reindexed.status_code == 202 and reindexed.json()["state"] == "done"

    other = await new_workspace(runtime.db, name="Other Shop")
    assert (await client.get(f"{KB}/documents", headers=bearer(other.token))).json()["items"] == []
    assert (await client.get(f"{KB}/search", params={"q": "parking"}, headers=bearer(other.token))).json()[
        "results"
    ] == []
    assert (await client.delete(f"{KB}/documents/{document['id']}", headers=bearer(other.token))).status_code == 404

    assert (await client.delete(f"{KB}/documents/{document['id']}", headers=bearer(new.token))).status_code == 204
    found = (await client.get(f"{KB}/search", params=parking, headers=bearer(new.token))).json()
    assert found["results"] == []


async def test_bad_uploads_get_a_clear_4xx_and_store_nothing(client: httpx.AsyncClient, runtime: Runtime) -> None:
    new = await new_workspace(runtime.db)
    cases = [
        ("empty.md", b"", 422, "empty"),
        ("locked.pdf", files.pdf([["secret"]], password="hunter2"), 422, "password"),
        ("bomb.docx", files.zip_bomb_docx(), 422, "zip bomb"),
        ("photo.txt", bytes(range(256)) * 40, 415, "binary"),
        # Headers that declare under the old 50 MB guard; python-docx built 2.6 GB from the first.
        ("paragraphs.docx", hostile.paragraph_bomb_docx(), 422, "than a real one"),
        ("lying.docx", hostile.lying_docx(5 * 1024 * 1024), 422, "than a real one"),
        ("laughs.docx", hostile.entity_docx(), 422, "DTD"),
        ("deep.docx", hostile.deep_docx(), 422, "nests deeper"),
        ("bomb.pdf", hostile.pdf_bomb(), 422, "could not be read"),  # 900 KB to 300 MB
        ("faq.xlsx", hostile.xlsx_bomb(), 422, "than a real one"),
    ]
    for name, data, status, words in cases:
        r = await upload(client, new.token, name, data)
        assert r.status_code == status and words in r.json()["detail"], (name, r.text)

    async def huge() -> AsyncIterator[bytes]:
        yield b"x" * 1024  # the declared length alone is refused: 200 MB is never read

    r = await client.post(
        f"{KB}/documents",
        headers={
            **bearer(new.token),
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(200 << 20),
        },
        content=huge(),
    )
    assert r.status_code == 413
    listed = (await client.get(f"{KB}/documents", headers=bearer(new.token))).json()
    assert listed["total"] == 0
    jobs = (await client.get(f"{KB}/jobs", headers=bearer(new.token))).json()
    assert jobs == []  # refused before any work began


async def test_staff_may_search_but_only_owners_change_the_knowledge_base(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from tests.admin.test_resources import add_staff, register

    owner = await register(client)
    staff = await add_staff(client, runtime, owner["workspace"]["id"])
    assert (await upload(client, owner["token"], "visiting.md", FAQ)).status_code == 201
    r = await client.post(f"{KB}/documents", headers=staff, files={"file": ("mine.md", b"# Mine\n\nText.")})
    assert r.status_code == 403
    assert (await client.post(f"{KB}/collections", headers=staff, json={"name": "Staff notes"})).status_code == 403
    found = await client.get(f"{KB}/search", params={"q": "is there parking?"}, headers=staff)
    assert found.status_code == 200 and found.json()["results"][0]["source"]["source"] == "visiting.md"


async def test_owners_add_a_website_and_watch_its_crawl(tmp_path: Path, db_url: str) -> None:
    from bot.app import create_app
    from tests.conftest import make_settings
    from tests.kb.site import serve

    runtime = Runtime.build(make_settings(db_url, tmp_path, kb_crawl_allow_private=True, kb_crawl_delay_seconds=0))
    app = create_app(runtime, worker=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            new = await new_workspace(runtime.db)
            with serve() as site:
                r = await client.post(f"{KB}/sites", headers=bearer(new.token), json={"url": f"{site.base}/help/"})
                assert r.status_code == 202 and r.json()["kind"] == "crawl"
                job_id = r.json()["id"]
                for _ in range(100):
                    job = (await client.get(f"{KB}/jobs/{job_id}", headers=bearer(new.token))).json()
                    if job["state"] in ("done", "failed"):
                        break
                    await asyncio.sleep(0.05)
            assert job["state"] == "done" and job["percent"] == 100 and job["result"]["pages"] == 3
            [listed] = (await client.get(f"{KB}/sites", headers=bearer(new.token))).json()
            assert listed["pages"] == 3 and listed["last_error"] is None
            found = (await client.get(f"{KB}/search", params={"q": "parking"}, headers=bearer(new.token))).json()
            assert found["results"][0]["source"]["url"] == f"{site.base}/help/"
            bad = await client.post(f"{KB}/sites", headers=bearer(new.token), json={"url": "ftp://example.com/x"})
            assert bad.status_code == 422
            assert (await client.delete(f"{KB}/sites/{listed['id']}", headers=bearer(new.token))).status_code == 204
            assert (await client.get(f"{KB}/documents", headers=bearer(new.token))).json()["total"] == 0
    finally:
        await runtime.close()


async def test_private_addresses_are_refused_by_default(client: httpx.AsyncClient, runtime: Runtime) -> None:
    new = await new_workspace(runtime.db)
    r = await client.post(f"{KB}/sites", headers=bearer(new.token), json={"url": "http://127.0.0.1:9/help/"})
    assert r.status_code == 422 and "private network" in r.json()["detail"]


async def test_a_long_upload_answers_202_and_its_job_reports_progress(tmp_path: Path, db_url: str) -> None:
    from bot.app import create_app
    from tests.conftest import make_settings

    runtime = Runtime.build(make_settings(db_url, tmp_path, kb_upload_wait_seconds=0))
    app = create_app(runtime, worker=False)
    manual = "# Salon manual\n\n" + "\n\n".join(
        f"## Treatment {i}\n\nTreatment {i} takes {i + 20} minutes and costs ${i + 30}; book it a day ahead."
        for i in range(120)
    )
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            new = await new_workspace(runtime.db)
            r = await upload(client, new.token, "manual.md", manual.encode())
            assert r.status_code == 202 and r.json()["document"] is None
            job = r.json()["job"]
            assert job["state"] in ("pending", "running") and job["percent"] < 100
            seen = []
            for _ in range(400):
                job = (await client.get(f"{KB}/jobs/{job['id']}", headers=bearer(new.token))).json()
                seen.append(job["percent"])
                if job["state"] == "done":
                    break
                await asyncio.sleep(0.05)
            assert job["state"] == "done" and job["percent"] == 100 and job["result"]["embedded"] == 120
            assert seen == sorted(seen)  # progress only goes forward
            listed = (await client.get(f"{KB}/documents", headers=bearer(new.token))).json()
            assert [d["chunk_count"] for d in listed["items"]] == [120]
    finally:
        await runtime.close()


async def test_an_assistants_own_collection_is_searched_only_for_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    new = await new_workspace(runtime.db)
    other = await client.post(f"{API}/assistants", headers=bearer(new.token), json={"name": "Nail bar"})
    assert other.status_code == 201
    nails = await client.post(
        f"{KB}/collections", headers=bearer(new.token), json={"name": "Nails", "assistant_id": other.json()["id"]}
    )
    assert nails.status_code == 201
    r = await client.post(
        f"{KB}/documents",
        headers=bearer(new.token),
        files={"file": ("nails.md", b"# Nails\n\n### Do you do gel nails?\nYes, gel manicures are $40.\n")},
        data={"collection_id": nails.json()["id"]},
    )
    assert r.status_code == 201
    q = {"q": "do you do gel nails?"}
    for_nail_bar = await client.get(
        f"{KB}/search", params={**q, "assistant_id": other.json()["id"]}, headers=bearer(new.token)
    )
    assert for_nail_bar.json()["results"][0]["answer"] == "Yes, gel manicures are $40."
    for_salon = await client.get(
        f"{KB}/search", params={**q, "assistant_id": new.assistant.id}, headers=bearer(new.token)
    )
    assert for_salon.json()["results"] == []
    wrong = await client.post(
        f"{KB}/collections", headers=bearer(new.token), json={"name": "X", "assistant_id": "not-an-assistant"}
    )
    assert wrong.status_code == 422
