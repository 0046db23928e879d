"""Browser tests: the real app under uvicorn on a loopback port, driven by headless Chromium.

- `live_server`: the app as `frontdesk serve` runs it (tests/fakes/server.py, bot.cli.server_config),
  with its worker, once per test module and database (SQLite and PostgreSQL). `live_server.run`
  works on its database from the test.
- `browser`: one Chromium for the whole session, Debian's /usr/bin/chromium (never a browser that
  Playwright downloads). Without it, or without Playwright for Python, the browser tests are
  skipped, but with CI=true they fail.
- `page`: a fresh browser context per test, in which every request to anything but 127.0.0.1 is
  refused and fails the test, as does an uncaught script error or a page's own file (script,
  style, image, font) that does not load.
- `customer`: a customer in a browser context of their own, on a phone's screen.
- `assert_accessible(page)`: axe-core (vendored in tests/browser/vendor) on the page as it is; any
  serious or critical violation fails the test.
- `save_screenshots(page, name)`: docs/screenshots/<name>-1280.png and <name>-390.png.

Browser tests are plain (sync) functions and run after every other test: see
pytest_collection_modifyitems below.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import pytest

from bot.app import create_app
from bot.cli import server_config
from bot.runtime import Runtime
from core.db import Database
from tests.conftest import IN_CI, XDIST_WORKER, fresh_pg_database, make_settings, migrate_database
from tests.fakes.server import free_port, serve_config

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, Route

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE_JS = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
WIDTHS = {1280: 800, 390: 844}  # a laptop and a phone: width -> height of the window
PAGE_FILES = {"document", "script", "stylesheet", "image", "font"}
FAILING_IMPACTS = {"serious", "critical"}

T = TypeVar("T")

PLAYWRIGHT_MISSING = (
    "Playwright for Python is missing: the browser tests need it. Install the dev extras: pip install -e '.[dev]'"
)
if importlib.util.find_spec("playwright") is None and not IN_CI:
    collect_ignore_glob = ["test_*.py"]  # under CI=true their imports fail the run instead


def pytest_report_header() -> str | None:
    return f"tests/browser skipped: {PLAYWRIGHT_MISSING}" if importlib.util.find_spec("playwright") is None else None


@dataclass(frozen=True)
class LiveServer:
    url: str
    db_url: str

    def run(self, work: Callable[[Database], Awaitable[T]]) -> T:
        """Run `work` on the server's database (its own connection, in a thread of its own, since
        the sync Playwright API and the server's loop both stay out of the test's thread)."""

        async def go() -> T:
            db = Database(self.db_url)
            try:
                return await work(db)
            finally:
                await db.dispose()

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, go()).result()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run after all others. While Playwright's sync API is open (one browser for the
    session), the test thread counts as running an event loop: no asyncio test, and no asyncio.run
    in the test thread, works until it closes at the end of the session."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("live")
    with in_own_thread(lambda: _serve(request.param, data_dir)) as server:
        yield server


@contextmanager
def _serve(database: str, data_dir: Path) -> Iterator[LiveServer]:
    with _database(database, data_dir) as db_url:
        runtime = Runtime.build(make_settings(db_url, data_dir))
        config = server_config(create_app(runtime), host="127.0.0.1", port=free_port())
        with serve_config(config) as url:
            yield LiveServer(url, db_url)


@contextmanager
def _database(database: str, data_dir: Path) -> Iterator[str]:
    if database == "postgres":
        with fresh_pg_database("fd_browser") as url:
            yield url
    else:
        url = f"sqlite+aiosqlite:///{data_dir / 'frontdesk.db'}"
        asyncio.run(migrate_database(url))
        yield url


@contextmanager
def in_own_thread(open_it: Callable[[], AbstractContextManager[T]]) -> Iterator[T]:
    """Enter and leave a context manager in a thread of its own, so that its asyncio.run calls do
    not meet Playwright's loop; what it raises (pytest.skip and pytest.fail too) is raised here."""
    entered: Future[T] = Future()
    left: Future[None] = Future()
    leave = threading.Event()

    def body() -> None:
        try:
            with open_it() as value:
                entered.set_result(value)
                leave.wait()
        except BaseException as exc:
            (left if entered.done() else entered).set_exception(exc)
        else:
            left.set_result(None)

    threading.Thread(target=body, name="live-server", daemon=True).start()
    value = entered.result()
    try:
        yield value
    finally:
        leave.set()
        left.result(timeout=60)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing: the browser tests need it. Install it: sudo apt-get install -y chromium"
        if IN_CI:
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


def _on_this_machine(url: str) -> bool:
    return urlsplit(url).hostname == "127.0.0.1"


# How Chromium reports a load that the page's Content-Security-Policy refused before any request.
REFUSED_BY_POLICY = re.compile(r"Loading the \w+ '([^']+)' violates the following Content Security Policy")


class Watch:
    """What a page did wrong: asked for files from elsewhere (refused here, so the page is tested
    as if offline), threw, logged an error, or failed to load one of its own files."""

    def __init__(self) -> None:
        self.elsewhere: list[str] = []
        self.problems: list[str] = []

    def route(self, route: Route) -> None:
        if _on_this_machine(route.request.url):
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort("blockedbyclient")

    def console(self, message: ConsoleMessage) -> None:
        refused = REFUSED_BY_POLICY.match(message.text)
        if refused and not _on_this_machine(refused.group(1)):
            print(f"the page's policy refused {refused.group(1)}")  # nothing left this machine
        elif message.type == "error" and not message.text.startswith("Failed to load resource"):
            # (a status of 400 or more: the page's own files are checked in response(), and the
            # API's answers, such as the chat history's 404 before the first message, are not errors)
            self.problems.append(f"console error: {message.text} ({message.location['url']})")

    def response(self, response: Response) -> None:
        if response.request.resource_type == "document" and 400 <= response.status < 500:
            return  # a page the test opened or sent a form to (an error page, a form with its errors): it checks it
        if response.status >= 400 and response.request.resource_type in PAGE_FILES:
            self.problems.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def request_failed(self, request: Request) -> None:
        policy = request.failure == "csp" and not _on_this_machine(request.url)
        # The browser cancels a page's pending loads when the test moves on to the next page: not a
        # fault of the page (a file that is missing or broken answers an error status: response()).
        cancelled = request.failure == "net::ERR_ABORTED"
        if request.url not in self.elsewhere and not (policy or cancelled) and request.resource_type in PAGE_FILES:
            self.problems.append(f"{request.resource_type} {request.url} failed: {request.failure}")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    width = max(WIDTHS)
    context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]})
    watch = Watch()
    context.route("**/*", watch.route)
    opened = context.new_page()
    opened.on("pageerror", lambda error: watch.problems.append(f"script error: {error}"))
    opened.on("console", watch.console)
    opened.on("response", watch.response)
    opened.on("requestfailed", watch.request_failed)
    yield opened
    context.close()
    assert not watch.elsewhere, f"the page asked for files from elsewhere than this machine: {watch.elsewhere}"
    assert not watch.problems, "\n".join(watch.problems)


@pytest.fixture
def customer(browser: Browser) -> Iterator[Page]:
    """A customer in a browser of their own (cookies and all), on a phone."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


AXE_RUN = """async (disabled) => {
  const rules = Object.fromEntries(disabled.map((id) => [id, { enabled: false }]));
  const result = await axe.run(document, { resultTypes: ["violations"], rules });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html, summary: n.failureSummary })),
  }));
}"""


def assert_accessible(page: Page, *, known: Iterable[str] = ()) -> None:
    """Fail on any serious or critical axe-core violation on the page as it is now.

    `known` turns rules off by id; only for third-party pages we cannot fix, each with a comment
    saying why. Our own pages pass with none."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text())  # evaluated as the test's, so the page's policy allows it
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN, list(known))
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    for v in violations:
        if v["impact"] not in FAILING_IMPACTS:
            print(f"axe ({v['impact']}, not failing) {v['id']}: {v['help']} on {page.url}")
    assert not failing, f"axe found on {page.url}:\n" + "\n".join(_describe(v) for v in failing)


def _describe(violation: dict[str, Any]) -> str:
    lines = [f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['url']}>"]
    for node in violation["nodes"][:10]:
        lines.append(f"    at {node['target']}: {node['html'][:160]}")
        lines.extend(f"      {line}" for line in (node["summary"] or "").splitlines())
    if len(violation["nodes"]) > 10:
        lines.append(f"    and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


def save_screenshots(page: Page, name: str) -> list[Path]:
    """The whole page at a laptop's and a phone's width; the window is left at the last width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        path = SCREENSHOTS / f"{name}-{width}.png"
        # Written whole, then renamed: the SQLite and PostgreSQL runs of a test take the same
        # screenshots, at once on two workers under pytest -n.
        partial = path.with_name(f".{path.name}.{XDIST_WORKER}")
        partial.write_bytes(page.screenshot(full_page=True, animations="disabled", caret="hide"))
        partial.replace(path)
        saved.append(path)
    return saved
