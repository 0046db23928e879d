"""The knowledge base in the web admin (/knowledge), over ASGI on both databases: an owner makes a
collection, uploads files (each with its job, polled until ready; a refused file says why and
stores nothing), reads a document's passages, tries questions in the playground, adds a website with
its limits and schedule, keeps saved answers, and deletes. Staff are not let in."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from bot.runtime import Runtime
from bot.settings import Settings
from tests.admin.conftest import wait_for
from tests.admin.test_web_team import _add_staff, _workspace_of
from tests.admin.web_pages import Visitor, csrf_of, error_text
from tests.conftest import make_settings
from tests.kb.files import pdf
from tests.kb.site import serve

FAQ = (  # a question-and-answer sheet: what the assistant answers from in the customer's words
    b"question,answer\nHow much is a haircut?,A haircut is thirty dollars.\n"
    b'Do you do balayage?,"Yes, balayage starts at one hundred and twenty dollars."\n'
)
SCRIPT = {"X-Requested-With": "upload"}  # what the page's upload script sends (kb/templates/kb/collection.html)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    # The test's website is on loopback; small uploads keep the size limit's test small.
    return make_settings(
        db_url, tmp_path, kb_crawl_allow_private=True, kb_crawl_delay_seconds=0.0, kb_max_upload_bytes=200_000
    )


async def _collection(web: httpx.AsyncClient, owner: Visitor, name: str = "Price list") -> str:
    r = await owner.submit("/knowledge", "/knowledge/collections", {"name": name})
    assert r.status_code == 303, r.text
    return r.headers["location"]


async def _upload(web: httpx.AsyncClient, page: str, name: str, data: bytes) -> httpx.Response:
    token = csrf_of(await web.get(page))
    action = page.replace("/knowledge/collections/", "/knowledge/upload/")
    return await web.post(action, files={"file": (name, data)}, headers={**SCRIPT, "X-CSRF-Token": token})


async def _until_final(web: httpx.AsyncClient, fragment: httpx.Response) -> str:
    job = re.search(r'id="job-([^"]+)"', fragment.text)
    assert job, fragment.text
    seen = {"text": fragment.text}

    async def final() -> bool:
        seen["text"] = (await web.get(f"/knowledge/jobs/{job.group(1)}")).text
        return "every 1s" not in seen["text"]  # a final state stops polling

    await wait_for(final, timeout=30)
    return seen["text"]


async def test_an_owner_uploads_files_reads_passages_and_finds_them_in_the_playground(web: httpx.AsyncClient) -> None:
    owner = Visitor(web)
    await owner.register()
    assert "None yet." in (await web.get("/knowledge")).text
    page = await _collection(web, owner)

    r = await _upload(web, page, "prices.csv", FAQ)
    assert r.status_code == 202 and ("Queued" in r.text or "Processing" in r.text), r.text
    done = await _until_final(web, r)
    assert "Ready" in done and "2 passages" in done and "<progress" not in done, done
    handbook = pdf([["Opening hours", "We open at nine on Saturdays and close at four."]])
    done = await _until_final(web, await _upload(web, page, "handbook.pdf", handbook))
    assert "Ready" in done, done

    listed = await web.get(page)
    assert "prices.csv" in listed.text and "handbook.pdf" in listed.text and "Documents (2)" in listed.text
    document = re.search(r'href="(/knowledge/documents/[^"]+)">[^<]*</a><br><small[^>]*>prices.csv<', listed.text)
    assert document, listed.text
    passages = await web.get(document.group(1))
    assert passages.status_code == 200 and "balayage starts at one hundred and twenty dollars" in passages.text

    found = await web.get("/knowledge/playground", params={"q": "How much is a haircut?"})
    assert "Answers from the first passage" in found.text and "Clears the threshold" in found.text
    assert found.text.index("thirty dollars") < found.text.index("balayage")  # the best passage first
    hours = await web.get("/knowledge/playground", params={"q": "When do you open on Saturday?"})
    assert "nine on Saturdays" in hours.text
    nothing = await web.get("/knowledge/playground", params={"q": "Can I park my helicopter on the roof?"})
    assert "Hands the question to staff" in nothing.text and "Under the threshold" in nothing.text

    r = await owner.submit(document.group(1), f"{document.group(1)}/delete", {})
    assert r.status_code == 303 and "document_deleted" in r.headers["location"]
    after = await web.get("/knowledge/playground", params={"q": "How much is a haircut?"})
    assert "thirty dollars" not in after.text
    assert (await web.get(document.group(1))).status_code == 404


async def test_a_refused_file_says_why_and_nothing_is_stored(web: httpx.AsyncClient) -> None:
    owner = Visitor(web)
    await owner.register()
    page = await _collection(web, owner)
    cases = {
        ("prices.exe", b"MZ\x90\x00 not a document"): 415,
        ("big.txt", b"a" * 200_001): 413,
        ("fake.pdf", b"# not a pdf at all"): 415,
        ("empty.md", b""): 422,
    }
    for (name, data), status in cases.items():
        r = await _upload(web, page, name, data)
        assert r.status_code in (status, 400, 422) and r.status_code < 500, (name, r.status_code, r.text)
        assert "Refused:" in r.text and "every 1s" not in r.text, (name, r.text)
    listed = await web.get(page)
    assert "Documents (0)" in listed.text and "No documents yet." in listed.text

    # The plain form (no script) without a file: the page again, saying what to do.
    token = csrf_of(listed)
    r = await web.post(page.replace("/collections/", "/upload/"), data={"csrf_token": token})
    assert r.status_code == 422 and "choose a file" in error_text(r)


async def test_collections_are_made_renamed_and_deleted_with_the_apis_rules(web: httpx.AsyncClient) -> None:
    owner = Visitor(web)
    await owner.register()
    page = await _collection(web, owner, "Price list")
    for bad in ("", "x" * 300):
        r = await owner.submit("/knowledge", "/knowledge/collections", {"name": bad})
        assert r.status_code == 422 and "Not made" in error_text(r), bad
    again = await owner.submit("/knowledge", "/knowledge/collections", {"name": "Price list"})
    assert again.status_code == 409 and "exists" in error_text(again)

    r = await owner.submit(page, f"{page}/rename", {"name": "Prices 2025"})
    assert r.status_code == 303
    assert "<h1>Prices 2025</h1>" in (await web.get(page)).text
    assert (await owner.submit(page, f"{page}/rename", {"name": ""})).status_code == 422

    await _until_final(web, await _upload(web, page, "prices.csv", FAQ))
    r = await owner.submit(page, f"{page}/delete", {})
    assert r.status_code == 303 and r.headers["location"] == "/knowledge?done=deleted"
    assert (await web.get(page)).status_code == 404
    home = await web.get(r.headers["location"])
    assert "Prices 2025" not in home.text and "Collection deleted" in home.text
    gone = await web.get("/knowledge/playground", params={"q": "How much is a haircut?"})
    assert "thirty dollars" not in gone.text


async def test_an_owner_adds_a_website_with_its_limits_and_schedule(web: httpx.AsyncClient) -> None:
    owner = Visitor(web)
    await owner.register()
    page = await _collection(web, owner, "Website")
    for bad, why in (
        ({"url": "ftp://example.com/", "max_pages": "5", "max_depth": "1"}, "url"),
        ({"url": "https://example.com/", "max_pages": "501", "max_depth": "1"}, "max_pages"),
        ({"url": "https://example.com/", "max_pages": "5", "max_depth": "x"}, "max_depth"),
        ({"url": "https://example.com/", "max_pages": "5", "max_depth": "1", "refresh": "hourly"}, "refresh"),
    ):
        r = await owner.submit(page, f"{page}/sites", bad)
        assert r.status_code == 422 and why in error_text(r), (bad, r.text[:300])
    assert "No website yet." in (await web.get(page)).text

    with serve() as site:
        form = {"url": f"{site.base}/help/", "max_pages": "2", "max_depth": "1", "refresh": "weekly"}
        r = await owner.submit(page, f"{page}/sites", form)
        assert r.status_code == 303 and r.headers["location"].endswith("done=crawling")

        async def crawled() -> bool:
            return "2 pages read" in (await web.get(page)).text

        await wait_for(crawled, timeout=30)
    shown = await web.get(page)
    assert "up to 2 pages, 1 links deep" in shown.text
    assert '<option value="weekly" selected>' in shown.text and "(web page)" in shown.text
    home = await web.get("/knowledge")
    assert "websites crawled again: every week" in home.text

    site_id = re.search(r'action="/knowledge/sites/([^/"]+)/delete"', shown.text)
    assert site_id, shown.text
    r = await owner.submit(page, f"/knowledge/sites/{site_id.group(1)}/delete", {})
    assert r.status_code == 303
    after = await web.get(page)
    assert "No website yet." in after.text and "Documents (0)" in after.text


async def test_saved_answers_are_listed_added_edited_and_deleted(web: httpx.AsyncClient) -> None:
    owner = Visitor(web)
    await owner.register()
    assert "None yet." in (await web.get("/knowledge/answers")).text
    for bad in ({"question": "", "answer": "Yes."}, {"question": "Parking?", "answer": " "}):
        r = await owner.submit("/knowledge/answers", "/knowledge/answers", bad)
        assert r.status_code == 422 and "Write both" in error_text(r)
    r = await owner.submit(
        "/knowledge/answers", "/knowledge/answers", {"question": "Is there parking?", "answer": "Yes, behind the shop."}
    )
    assert r.status_code == 303
    listed = await web.get("/knowledge/answers")
    assert "Is there parking?" in listed.text and "Yes, behind the shop." in listed.text
    found = await web.get("/knowledge/playground", params={"q": "Is there parking?"})
    assert "Clears the threshold" in found.text and "behind the shop" in found.text

    answer_id = re.search(r'action="/knowledge/answers/([^"]+)"', listed.text)
    assert answer_id, listed.text
    edit = f"/knowledge/answers/{answer_id.group(1)}"
    bad = await owner.submit("/knowledge/answers", edit, {"question": "Is there parking?", "answer": ""})
    assert bad.status_code == 422
    r = await owner.submit(
        "/knowledge/answers", edit, {"question": "Where can I park?", "answer": "In the car park on Mill Lane."}
    )
    assert r.status_code == 303
    listed = await web.get("/knowledge/answers")
    assert "Where can I park?" in listed.text and "Is there parking?" not in listed.text
    assert "behind the shop" not in (await web.get("/knowledge/playground", params={"q": "parking"})).text

    new_id = re.search(r'action="/knowledge/documents/([^"]+)/delete"', listed.text)
    assert new_id, listed.text
    r = await owner.submit("/knowledge/answers", f"/knowledge/documents/{new_id.group(1)}/delete", {"back": "answers"})
    assert r.status_code == 303 and r.headers["location"] == "/knowledge/answers?done=deleted"
    assert "None yet." in (await web.get("/knowledge/answers")).text


async def test_staff_cannot_open_the_knowledge_base(web: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = Visitor(web)
    await owner.register()
    workspace_id = await _workspace_of(web, owner)
    sam = await _add_staff(web, runtime, workspace_id)
    await owner.sign_out()
    staff = Visitor(web, email=sam["email"])
    assert (await staff.sign_in()).status_code == 303
    assert 'href="/knowledge"' not in (await web.get("/inbox")).text
    for path in ("/knowledge", "/knowledge/playground", "/knowledge/answers"):
        assert (await web.get(path)).status_code == 403, path
