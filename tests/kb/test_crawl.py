"""Crawling a local site on loopback as the owner's website: in scope, polite, within limits, and a
second crawl re-embeds only what changed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import Database
from kb.crawl import CrawlRefused, Limits
from kb.embedders import Embedders
from kb.embeddings import LOCAL_MODEL
from kb.models import KnowledgeDocument
from kb.search import KnowledgeBase
from kb.sites import add_site, crawl_site
from kb.store import bump_version
from tests.kb.site import Site, page, serve
from tests.support import new_workspace

LIMITS = Limits(delay_seconds=0.0, allow_private=True, timeout_seconds=5.0)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as s:
        yield s


async def test_crawl_stays_in_scope_obeys_robots_and_limits(db_url: str, site: Site) -> None:
    db = Database(db_url)
    try:
        ws = (await new_workspace(db)).workspace
        added = await add_site(
            db, workspace_id=ws.id, start_url=f"{site.base}/help/", collection_id=None, max_pages=20, max_depth=2
        )
        result = await crawl_site(db, site_id=added.id, limits=LIMITS)
        base = site.base
        assert sorted(result["skipped"]) == sorted(
            [
                f"{base}/help/private/staff.html",
                f"http://localhost:{site.port}/help/elsewhere.html",
                f"{base}/help/missing.html",
                f"{base}/help/loop-a",
                f"{base}/help/huge.html",
                f"{base}/blog/news.html",
            ]
        )
        assert result["skipped"][f"{base}/help/private/staff.html"] == "disallowed by robots.txt"
        assert result["skipped"][f"{base}/help/loop-a"] == "redirect loop"
        assert result["skipped"][f"{base}/help/missing.html"] == "HTTP 404"
        assert "larger than" in result["skipped"][f"{base}/help/huge.html"]
        # Never fetched: robots.txt said no, and the other host and path are out of scope.
        assert not any("/private/" in p or p.startswith("localhost") or "/blog/" in p for p in site.requested)
        assert (
            result["pages"] == 3 and result["created"] == 3
        )  # start page, prices (also via /moved), sitemap's vouchers

        async with db.reader() as r:
            docs = {d.source: d for d in (await r.execute(select(KnowledgeDocument))).scalars()}
        assert set(docs) == {f"{base}/help/", f"{base}/help/prices.html", f"{base}/help/gift-vouchers.html"}
        assert docs[f"{base}/help/prices.html"].kind == "page"
        hits = await KnowledgeBase(db).search(ws.id, "where can I park?")
        top = hits[0].passage
        assert "Mill Lane" in top.text and top.url == f"{base}/help/" and top.heading == "Visiting Bella's > Parking"
        assert "Home" not in top.text  # the menu is not main text
        prices = await KnowledgeBase(db).search(ws.id, "price of a men's cut")
        assert "| Men's cut | $30 |" in prices[0].passage.text  # tables survive

        # The site changes: one page edited, one gone (the menu no longer links it). The start page's
        # main text is the same, so only the edited page is embedded again.
        site.pages["/help/gift-vouchers.html"] = (200, {}, page("Gift vouchers", "<p>Vouchers now last two years.</p>"))
        body = site.pages["/help/"][2].replace(b"prices.html", b"nothing.html").replace(b"moved", b"nothing.html")
        site.pages["/help/"] = (200, {}, body)
        again = await crawl_site(db, site_id=added.id, limits=LIMITS)
        assert (again["created"], again["updated"], again["unchanged"], again["removed"]) == (0, 1, 1, 1)
        vouchers = await KnowledgeBase(db).search(ws.id, "how long do gift vouchers last?")
        assert "two years" in vouchers[0].passage.text
    finally:
        await db.dispose()


async def test_private_addresses_and_non_http_urls_are_refused(db_url: str, site: Site) -> None:
    db = Database(db_url)
    try:
        ws = (await new_workspace(db)).workspace
        with pytest.raises(CrawlRefused):
            await add_site(
                db, workspace_id=ws.id, start_url="ftp://example.com/", collection_id=None, max_pages=5, max_depth=1
            )
        added = await add_site(
            db, workspace_id=ws.id, start_url=f"{site.base}/help/", collection_id=None, max_pages=5, max_depth=1
        )
        with pytest.raises(CrawlRefused, match="private network"):
            await crawl_site(db, site_id=added.id, limits=Limits(delay_seconds=0.0))
        assert site.requested == []
    finally:
        await db.dispose()


async def test_scheduled_refresh_crawls_due_sites_once_across_processes(db_url: str, site: Site) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from core.messages import utcnow
    from kb.jobs import JobRunner, get_job
    from kb.models import KnowledgeCollection, KnowledgeSite
    from kb.refresh import SiteRefresher

    first, second = Database(db_url), Database(db_url)
    runners = [JobRunner(first), JobRunner(second)]
    try:
        ws = (await new_workspace(first)).workspace
        added = await add_site(
            first, workspace_id=ws.id, start_url=f"{site.base}/help/", collection_id=None, max_pages=5, max_depth=1
        )
        a = SiteRefresher(first, runners[0], LIMITS, Embedders(first), every_seconds=60)
        b = SiteRefresher(second, runners[1], LIMITS, Embedders(second), every_seconds=60)
        assert await a.due() == []  # the collection's refresh is off
        async with first.session() as s:
            await s.execute(update(KnowledgeCollection).values(refresh="daily"))
            await s.execute(update(KnowledgeSite).values(last_crawled_at=utcnow() - timedelta(days=2)))
        started = await a.tick()
        assert len(started) == 1 and await b.tick() == []  # claimed once
        await asyncio.gather(*runners[0].tasks.values())
        job = await get_job(first, job_id=started[0])
        assert job.state == "done" and job.kind == "crawl" and job.result["created"] == 3
        assert await a.due() == []  # crawled just now: due again tomorrow
        tomorrow = await a.due(now=utcnow() + timedelta(days=1, minutes=1))
        assert [site_id for site_id, _ in tomorrow] == [added.id]
    finally:
        for runner in runners:
            await runner.close()
        await first.dispose()
        await second.dispose()


async def test_passages_of_another_embedding_model_are_embedded_again(db_url: str) -> None:
    from sqlalchemy import update

    from kb.demo import seed_demo_faq
    from kb.jobs import JobRunner
    from kb.models import KnowledgeChunk
    from kb.refresh import SiteRefresher

    db = Database(db_url)
    runner = JobRunner(db)
    try:
        ws = (await new_workspace(db)).workspace
        stored = await seed_demo_faq(db, workspace_id=ws.id)
        async with db.session() as s:  # as if embedded by the model of an older version
            await s.execute(update(KnowledgeChunk).values(embed_model="old-model", embedding=b"\0" * 16, embed_dim=4))
            await bump_version(s, stored.document.collection_id)
        kb = KnowledgeBase(db)
        # Not comparable by vector: found by keyword only, and too weak for an extractive answer.
        waiting = await kb.search(ws.id, "how much is a haircut?")
        assert waiting and {h.similarity for h in waiting} == {0.0}
        started = await SiteRefresher(db, runner, LIMITS, Embedders(db), every_seconds=60).tick()
        assert len(started) == 1
        await asyncio.gather(*runner.tasks.values())
        hits = await kb.search(ws.id, "how much is a haircut?")
        assert hits and "$55" in hits[0].passage.text and hits[0].similarity > 0.45
        async with db.reader() as r:
            assert set((await r.execute(select(KnowledgeChunk.embed_model))).scalars()) == {LOCAL_MODEL}
    finally:
        await runner.close()
        await db.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_page_built_to_exhaust_the_parser_costs_the_crawler_no_memory(db_url: str, site: Site) -> None:
    # 1 MB of empty paragraphs: BeautifulSoup needs ~160 MB and seconds of CPU for it. That happens in
    # a limited child, not in the process that crawls (the web server or the worker).
    site.pages["/help/"] = (200, {}, b"<html><body><main>" + b"<p></p>" * (1024 * 1024 // 7) + b"</main></body></html>")
    db = Database(db_url)
    try:
        ws = (await new_workspace(db)).workspace
        added = await add_site(
            db, workspace_id=ws.id, start_url=f"{site.base}/help/", collection_id=None, max_pages=5, max_depth=1
        )
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
        before = peak_memory()
        result = await crawl_site(db, site_id=added.id, limits=LIMITS)
        grown = peak_memory() - before
        assert result["skipped"][f"{site.base}/help/"] == "no text"
        assert result["pages"] == 1  # the sitemap's vouchers page, crawled as usual
        assert grown < 60 * 1024 * 1024, f"the crawler's peak memory grew {grown / 1024 / 1024:.0f} MB"
    finally:
        await db.dispose()


def peak_memory() -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) * 1024
