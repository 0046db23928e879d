"""Ingesting each format from small files made here: headings kept, tables kept, FAQ sheets one
question per row, re-ingest a no-op, and bad input refused with nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import Database
from kb.ingest.guard import BadDocument, check_size
from kb.ingest.readers import parse
from kb.models import KnowledgeChunk, KnowledgeCollection, KnowledgeDocument
from kb.search import KnowledgeBase
from kb.service import ingest_file
from tests.kb import files
from tests.support import new_workspace

MARKDOWN = b"""# Bella's Salon

## Prices

Prices include a consultation.

| Service | Price |
|---|---|
| Men's cut | $30 |
| Balayage | from $150 |

## Cancellation

### Can I cancel my appointment?
Yes, free of charge until 24 hours before.
"""

HTML = b"""<html><head><title>Visiting Bella's</title></head><body>
<nav><a href="/">Home</a> <a href="/prices">Prices</a></nav>
<main><h1>Visiting us</h1><h2>Parking</h2><p>Free parking behind the salon on Mill Lane.</p>
<h2>Accessibility</h2><p>Step-free entrance and a ground-floor washroom.</p>
<table><tr><th>Day</th><th>Open</th></tr><tr><td>Sunday</td><td>10am to 4pm</td></tr></table></main>
<footer>Copyright Bella's</footer></body></html>"""


def kinds(name: str, data: bytes) -> list[tuple[str, str | None, str]]:
    return [(s.kind, s.heading, s.text) for s in parse(name, data).sections]


def test_markdown_keeps_headings_tables_and_faq_pairs() -> None:
    parsed = parse("salon.md", MARKDOWN)
    assert parsed.title == "Bella's Salon"
    sections = kinds("salon.md", MARKDOWN)
    assert ("text", "Bella's Salon > Prices", "Prices include a consultation.") in sections
    table = "| Service | Price |\n| Men's cut | $30 |\n| Balayage | from $150 |"
    assert ("table", "Bella's Salon > Prices", table) in sections
    [faq] = [s for s in parse("salon.md", MARKDOWN).sections if s.kind == "faq"]
    assert faq.question == "Can I cancel my appointment?" and faq.answer == "Yes, free of charge until 24 hours before."


def test_html_keeps_the_main_text_and_its_table() -> None:
    parsed = parse("visiting.html", HTML)
    text = "\n".join(s.text for s in parsed.sections)
    assert parsed.title == "Visiting us"
    assert "Mill Lane" in text and "| Sunday | 10am to 4pm |" in text
    assert {s.heading for s in parsed.sections} >= {"Visiting us > Parking", "Visiting us > Accessibility"}


def test_docx_headings_and_tables() -> None:
    parsed = parse("handbook.docx", files.docx())
    assert parsed.title == "Staff handbook"
    by_heading = {s.heading: s.text for s in parsed.sections}
    assert "patch test" in by_heading["Staff handbook > Colour services"]
    table = "| Product | Price |\n| Argan oil | $24 |\n| Dry shampoo | $12 |"
    assert by_heading["Staff handbook > Product prices"] == table


def test_pdf_pages_are_cited_by_number() -> None:
    pages = [["Booking policy", "Deposits are not required."], ["Gift vouchers last a year."]]
    parsed = parse("policy.pdf", files.pdf(pages))
    assert [(s.page, s.text.splitlines()[-1]) for s in parsed.sections] == [
        (1, "Deposits are not required."),
        (2, "Gift vouchers last a year."),
    ]


def test_faq_sheets_give_one_question_per_row() -> None:
    rows = [
        ("Do you sell gift vouchers?", "Yes, at the desk and online."),
        ("Is there Wi-Fi?", "Yes, ask for the code."),
    ]
    for name, data in (
        ("faq.csv", b"Question,Answer\n" + b"\n".join(f'"{q}","{a}"'.encode() for q, a in rows)),
        ("faq.xlsx", files.xlsx(rows)),
    ):
        sections = parse(name, data).sections
        assert [(s.kind, s.question, s.answer) for s in sections] == [("faq", q, a) for q, a in rows]


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("empty.txt", b"", 422, "empty"),
        ("locked.pdf", files.pdf([["secret"]], password="hunter2"), 422, "password"),
        ("bomb.docx", files.zip_bomb_docx(), 422, "zip bomb"),
        ("photo.txt", bytes(range(256)) * 40, 415, "binary"),
        ("program.exe", b"MZ\x90\x00", 415, "not supported"),
        ("scan.pdf", files.pdf([[]]), 422, "no text"),
    ],
)
def test_bad_input_is_refused_with_a_clear_reason(name: str, data: bytes, status: int, message: str) -> None:
    with pytest.raises(BadDocument) as refused:
        check_size(data, 1024 * 1024)
        parse(name, data)
    assert refused.value.status == status and message in str(refused.value)


async def test_reingest_is_a_no_op_and_a_change_re_embeds_only_what_changed(db_url: str) -> None:
    db = Database(db_url)
    try:
        ws = (await new_workspace(db)).workspace
        first = await ingest_file(db, workspace_id=ws.id, name="salon.md", data=MARKDOWN)
        assert first.outcome == "created" and first.embedded == first.document.chunk_count == 3

        async def version() -> int:
            async with db.reader() as r:
                return (await r.execute(select(KnowledgeCollection.version))).scalar_one()

        before = await version()
        again = await ingest_file(db, workspace_id=ws.id, name="salon.md", data=MARKDOWN)
        assert again.outcome == "unchanged" and again.embedded == 0 and await version() == before

        changed = MARKDOWN.replace(b"$30", b"$32")
        updated = await ingest_file(db, workspace_id=ws.id, name="salon.md", data=changed)
        assert updated.outcome == "updated" and updated.embedded == 1 and await version() == before + 1
        hits = await KnowledgeBase(db).search(ws.id, "price of a men's cut")
        assert "$32" in hits[0].passage.text and hits[0].passage.heading == "Bella's Salon > Prices"

        with pytest.raises(BadDocument):
            await ingest_file(db, workspace_id=ws.id, name="bomb.docx", data=files.zip_bomb_docx())
        async with db.reader() as r:
            assert (await r.execute(select(func.count()).select_from(KnowledgeDocument))).scalar_one() == 1
            assert (await r.execute(select(func.count()).select_from(KnowledgeChunk))).scalar_one() == 3
    finally:
        await db.dispose()
