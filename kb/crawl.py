"""Crawling a business's website into pages of main text, politely and within limits.

It stays in scope (the start URL's host and path prefix), obeys robots.txt (and its crawl delay),
starts from sitemap.xml as well as the start page, and stops at the page, depth, size and rate
limits. Redirects are followed by hand, a hop at a time, so a redirect out of scope or in a loop is
refused. Only the main text is kept (no menus, headers or footers), with the URL it came from.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from core.files.isolate import run_isolated
from kb.ingest.guard import BadDocument
from kb.ingest.readers import html_to_markdown
from kb.ingest.sections import Section, split_sections

USER_AGENT = "frontdesk-kb/0.1 (+https://github.com/frontdesk)"
MAX_REDIRECTS = 5
LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)


class CrawlRefused(ValueError):
    """The start URL cannot be crawled at all (bad URL, private address, robots.txt says no)."""


@dataclass(frozen=True)
class Limits:
    max_pages: int = 50
    max_depth: int = 3
    max_page_bytes: int = 2 * 1024 * 1024
    delay_seconds: float = 0.5  # between requests to the site (robots.txt may ask for more)
    timeout_seconds: float = 15.0
    allow_private: bool = False  # loopback and private networks (tests, intranets); off for safety


class CrawlSettings(Protocol):
    """What a crawl reads of the instance's settings (FRONTDESK_KB_CRAWL_*)."""

    @property
    def kb_crawl_delay_seconds(self) -> float: ...
    @property
    def kb_crawl_max_page_bytes(self) -> int: ...
    @property
    def kb_crawl_allow_private(self) -> bool: ...


def crawl_limits(settings: CrawlSettings) -> Limits:
    """The instance's crawl limits; each site brings its own page and depth limits to a crawl."""
    return Limits(
        delay_seconds=settings.kb_crawl_delay_seconds,
        max_page_bytes=settings.kb_crawl_max_page_bytes,
        allow_private=settings.kb_crawl_allow_private,
    )


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    sections: list[Section]
    markdown: str


@dataclass
class Report:
    pages: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # url -> why


def scope_of(start: str) -> tuple[str, str, str]:
    """(scheme, host, path prefix): the start URL's directory and everything under it."""
    parts = urlsplit(start)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrawlRefused("give an http(s) URL, e.g. https://bellas-salon.example/")
    path = parts.path or "/"
    prefix = path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"
    return parts.scheme, parts.netloc.lower(), prefix


def in_scope(url: str, scope: tuple[str, str, str]) -> bool:
    parts = urlsplit(url)
    return parts.scheme == scope[0] and parts.netloc.lower() == scope[1] and (parts.path or "/").startswith(scope[2])


def normalise(url: str) -> str:
    url = urldefrag(url)[0]
    parts = urlsplit(url)
    return parts._replace(path=parts.path or "/").geturl()


async def check_host(url: str, allow_private: bool) -> None:
    """Refuse hosts on loopback, private or link-local networks (cloud metadata, the intranet) unless
    allowed: a crawl is a request the server makes on an owner's behalf."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.to_thread(socket.getaddrinfo, host, None)
    except OSError as exc:
        raise CrawlRefused(f"{host} could not be resolved") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not allow_private and (address.is_private or address.is_loopback or address.is_link_local):
            raise CrawlRefused(f"{host} is on a private network; crawling it is not allowed")


class Crawler:
    def __init__(self, client: httpx.AsyncClient, limits: Limits) -> None:
        self.client = client
        self.limits = limits
        self._last_request = 0.0
        self._delay = limits.delay_seconds

    async def _pause(self) -> None:
        wait = self._last_request + self._delay - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_request = time.monotonic()

    async def _get(self, url: str) -> tuple[str, httpx.Response, bytes]:
        """GET with redirects followed by hand; returns the final URL, the response and at most
        `max_page_bytes` of body. Raises ValueError with the reason a page is skipped."""
        seen = {url}
        for _ in range(MAX_REDIRECTS + 1):
            await self._pause()
            async with self.client.stream("GET", url, headers={"User-Agent": USER_AGENT}) as response:
                if response.is_redirect:
                    target = normalise(urljoin(url, response.headers.get("location", "")))
                    if target in seen:
                        raise ValueError("redirect loop")
                    seen.add(target)
                    url = target
                    continue
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.limits.max_page_bytes:
                    raise ValueError(f"larger than {self.limits.max_page_bytes // 1024} KB")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self.limits.max_page_bytes:
                        raise ValueError(f"larger than {self.limits.max_page_bytes // 1024} KB")
                return url, response, bytes(body)
        raise ValueError("too many redirects")

    async def _robots(self, scheme: str, host: str) -> RobotFileParser:
        robots = RobotFileParser()
        try:
            _, response, body = await self._get(f"{scheme}://{host}/robots.txt")
            lines = body.decode("utf-8", "replace").splitlines() if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError):
            lines = []
        robots.parse(lines)
        delay = robots.crawl_delay(USER_AGENT)
        if delay:
            self._delay = max(self._delay, min(float(delay), 10.0))
        return robots

    async def _sitemap(self, urls: list[str]) -> list[str]:
        found: list[str] = []
        for url in urls[:3]:
            try:
                _, response, body = await self._get(url)
            except (httpx.HTTPError, ValueError):
                continue
            if response.status_code == 200:
                found += LOC.findall(body.decode("utf-8", "replace"))
        return found

    async def crawl(self, start: str, report: Report) -> AsyncIterator[Page]:
        start = normalise(start)
        scope = scope_of(start)
        await check_host(start, self.limits.allow_private)
        robots = await self._robots(scope[0], scope[1])
        if not robots.can_fetch(USER_AGENT, start):
            raise CrawlRefused("the site's robots.txt does not allow crawling this URL")
        sitemaps = robots.site_maps() or [f"{scope[0]}://{scope[1]}/sitemap.xml"]
        queue: list[tuple[str, int]] = [(start, 0)]
        queue += [(normalise(u), 1) for u in await self._sitemap(sitemaps)]
        seen: set[str] = set()
        while queue and len(report.pages) < self.limits.max_pages:
            url, depth = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            if not in_scope(url, scope):
                report.skipped[url] = "out of scope"
                continue
            if not robots.can_fetch(USER_AGENT, url):
                report.skipped[url] = "disallowed by robots.txt"
                continue
            try:
                final, response, body = await self._get(url)
            except ValueError as exc:
                report.skipped[url] = str(exc)
                continue
            except httpx.HTTPError as exc:
                report.skipped[url] = f"unreachable ({type(exc).__name__})"
                continue
            if not in_scope(final, scope):
                report.skipped[url] = "redirects out of scope"
                continue
            if response.status_code != 200:
                report.skipped[url] = f"HTTP {response.status_code}"
                continue
            if "html" not in response.headers.get("content-type", "text/html"):
                report.skipped[url] = "not an HTML page"
                continue
            try:
                read = await run_isolated(
                    "kb.crawl:read_page", body, refusal=BadDocument, what="page", encoding=response.encoding, url=final
                )
            except BadDocument as exc:
                report.skipped[final] = str(exc)
                continue
            title, markdown = read["title"], read["markdown"]
            sections = [s for s in split_sections(markdown) if s.text.strip()]
            if depth < self.limits.max_depth:
                queue += [(link, depth + 1) for link in read["links"] if link not in seen]
            if not sections:
                report.skipped[final] = "no text"
                continue
            report.pages.append(final)
            yield Page(final, title or final, sections, markdown)


def read_page(data: bytes, *, encoding: str | None, url: str) -> dict[str, object]:
    """A fetched page's title, main text and links; run in a limited child (core.files.isolate),
    since a page of a million tags costs BeautifulSoup seconds and hundreds of MB."""
    try:
        html = data.decode(encoding or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        html = data.decode("utf-8", "replace")
    title, markdown = html_to_markdown(html, main_only=True)
    return {"title": title, "markdown": markdown, "links": links(html, url)}


def links(html: str, base: str) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    out = []
    for a in soup.find_all("a", href=True):
        href = str(a["href"]).strip()
        if href.startswith(("mailto:", "tel:", "javascript:")):
            continue
        out.append(normalise(urljoin(base, href)))
    return out
