"""An owner in the browser makes a collection, drops in a real PDF, watches its upload bar reach 100%
and its processing become ready, reads its passages, then asks the search playground a question the
PDF answers and sees the passage clear the answer threshold. Every page passes axe-core and fits a
phone; screenshots in docs/screenshots/."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_accessible, save_screenshots
from tests.browser.test_admin_signin import _fits_a_phone, _press, _register
from tests.kb.files import pdf

HANDBOOK = [
    ["Bella's Salon gift cards", "Gift cards can be bought at the front desk and are valid for twelve months."],
    ["Cancellations", "Please cancel at least twenty four hours before your appointment."],
]


def test_an_owner_uploads_a_pdf_and_finds_its_passage_in_the_playground(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    url = live_server.url
    _register(page, url, f"bella-{uuid.uuid4().hex[:6]}@example.com", "Bella's Salon")
    with page.expect_navigation():
        page.get_by_role("link", name="Knowledge").click()
    expect(page.get_by_role("heading", name="Knowledge base", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_text("Make a collection").click()
    page.get_by_label("Name").fill("Handbook")
    _press(page, "Make collection")
    expect(page.get_by_role("heading", name="Handbook", level=1)).to_be_visible()
    assert_accessible(page)

    handbook = tmp_path / "handbook.pdf"
    handbook.write_bytes(pdf(HANDBOOK))
    refused = tmp_path / "notes.exe"
    refused.write_bytes(b"MZ\x90\x00 a program, not a document")
    page.get_by_label("Choose files", exact=True).set_input_files([str(handbook), str(refused)])  # several at once

    uploads = page.locator("[data-uploads] > li")
    pdf_row = uploads.filter(has_text="handbook.pdf")
    expect(pdf_row.get_by_text("Uploaded 100%")).to_be_visible()
    expect(pdf_row.locator("progress").first).to_have_attribute("value", "100")
    expect(pdf_row.locator(".job-words")).to_have_text("Ready", timeout=30_000)
    expect(pdf_row.get_by_role("link", name="2 passages")).to_be_visible()
    expect(uploads.filter(has_text="notes.exe").locator(".refused")).to_contain_text("Refused:")
    assert_accessible(page)
    save_screenshots(page, "admin-knowledge")
    _fits_a_phone(page)

    with page.expect_navigation():
        pdf_row.get_by_role("link", name="2 passages").click()
    expect(page.get_by_text("valid for twelve months")).to_be_visible()
    assert_accessible(page)
    _fits_a_phone(page)

    with page.expect_navigation():
        page.get_by_role("link", name="← Back to the collection").click()
    expect(page.locator("table.documents")).to_contain_text("handbook.pdf")

    page.goto(f"{url}/knowledge/playground")
    page.get_by_label("A customer's question").fill("How long are gift cards valid?")
    _press(page, "Search")
    first = page.locator("li.hit").first
    expect(first).to_contain_text("valid for twelve months")
    expect(first.locator(".status")).to_have_text("Clears the threshold")
    expect(page.locator("#verdict-title")).to_have_text("Answers from the first passage")
    similarity = float(first.locator(".similarity").inner_text())
    threshold = float(page.locator(".threshold").inner_text())
    assert similarity >= threshold
    assert_accessible(page)
    save_screenshots(page, "admin-playground")
    _fits_a_phone(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Saved answers").click()
    page.get_by_text("Add an answer").click()
    page.get_by_label("The customer's question").fill("Do you sell gift cards online?")
    page.get_by_label("The answer").fill("Not yet: gift cards are sold at the front desk.")
    _press(page, "Save answer")
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.locator("ul.saved-answers")).to_contain_text("Do you sell gift cards online?")
    assert_accessible(page)
    _fits_a_phone(page)
