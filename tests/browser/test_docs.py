"""/docs (Swagger UI) and /redoc (ReDoc) render our API in a browser that may reach nothing but this
machine: their scripts, styles and icon come from /static."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_accessible


def _operations(live_server: LiveServer) -> list[tuple[str, str, str]]:
    paths = httpx.get(f"{live_server.url}/openapi.json", timeout=30).json()["paths"]
    return [(method.upper(), path, op["summary"]) for path, ops in paths.items() for method, op in ops.items()]


def test_swagger_ui_lists_every_operation(live_server: LiveServer, page: Page) -> None:
    operations = _operations(live_server)
    assert len(operations) > 50
    page.goto(f"{live_server.url}/docs")
    expect(page.locator(".opblock")).to_have_count(len(operations), timeout=30_000)
    expect(page.get_by_role("heading", name="frontdesk")).to_be_visible()
    for method, path, summary in (op for op in operations if op[1] in {"/api/v1/chat", "/api/v1/auth/login"}):
        block = page.locator(f".opblock-{method.lower()}").filter(has=page.locator(f'[data-path="{path}"]'))
        expect(block.locator(".opblock-summary-description")).to_have_text(summary)
    # Swagger UI's own markup and styles, which no option of it changes: white on its light green and
    # blue method badges and grey version stamps (contrast 2.0 to 3.8), and each operation's summary
    # is a button holding more buttons (copy the path, authorize). html-has-lang was ours and is fixed.
    assert_accessible(page, known=("color-contrast", "nested-interactive"))


def test_swagger_ui_calls_the_api_from_the_page(live_server: LiveServer, page: Page) -> None:
    page.goto(f"{live_server.url}/docs")
    operation = page.locator("#operations-ops-healthz_healthz_get")
    operation.locator(".opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status")).to_have_text("200")
    expect(operation.locator(".live-responses-table .microlight").first).to_contain_text('"status": "ok"')


def test_redoc_renders_the_reference(live_server: LiveServer, page: Page) -> None:
    operations = _operations(live_server)
    page.goto(f"{live_server.url}/redoc")
    expect(page.get_by_role("heading", name="frontdesk (0.1.0)")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-item-id^='tag/'][data-item-id*='/operation/']")).to_have_count(len(operations))
    assert_accessible(page)
