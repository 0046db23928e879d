"""One reader per format. Each turns the bytes into sections (kb.ingest.sections): PDF page by page,
DOCX/HTML/Markdown/TXT with their headings and tables, CSV/XLSX FAQ sheets one question per row.

Readers never trust the file: size, zip expansion, encryption and binary content are checked first
(kb.ingest.guard), and a file with no text in it is refused rather than stored empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import PurePath

from core.files.isolate import run_isolated
from kb.ingest.guard import MAX_PDF_PAGES, BadDocument, check_text, check_zip, decode_text
from kb.ingest.sections import Section, first_heading, split_sections, table_row

QUESTION_COLUMNS = ("question", "questions", "q", "faq", "query", "ask")
ANSWER_COLUMNS = ("answer", "answers", "a", "reply", "response")


@dataclass(frozen=True)
class Parsed:
    title: str
    media_type: str
    sections: list[Section]


MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def supported() -> list[str]:
    return sorted(MEDIA_TYPES)


def parse(name: str, data: bytes) -> Parsed:
    """Parse a file by its extension. Raises BadDocument with a 4xx status."""
    suffix = PurePath(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        what = suffix or "a file without an extension"
        raise BadDocument(f"{what} is not supported; use {', '.join(supported())}", 415)
    title, sections = reader(data)
    # NUL never belongs in text (and PostgreSQL refuses it); some PDFs and DOCX files carry it.
    sections = [replace(s, text=s.text.replace("\x00", "")) for s in sections if s.text.replace("\x00", "").strip()]
    if not sections:
        raise BadDocument("no text was found in the file (a scanned PDF needs OCR first)")
    check_text("".join(s.text for s in sections))
    return Parsed(title or PurePath(name).stem, MEDIA_TYPES[suffix], sections)


async def parse_isolated(name: str, data: bytes) -> Parsed:
    """parse() in a limited child process: what an upload from outside goes through."""
    answer = await run_isolated("kb.ingest.readers:parse_to_json", data, refusal=BadDocument, what="file", name=name)
    return Parsed(answer["title"], answer["media_type"], [Section(**section) for section in answer["sections"]])


def parse_to_json(data: bytes, *, name: str) -> dict[str, object]:
    """The child side of parse_isolated."""
    return asdict(parse(name, data))


def _markdown(data: bytes) -> tuple[str | None, list[Section]]:
    text = check_text(decode_text(data))
    return first_heading(text), split_sections(text)


def _text(data: bytes) -> tuple[str | None, list[Section]]:
    # Plain text has no markup; its paragraphs are kept, nothing is read as a heading.
    text = check_text(decode_text(data))
    return None, [Section(text.strip())] if text.strip() else []


def _pdf(data: bytes) -> tuple[str | None, list[Section]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BadDocument("the PDF is password-protected; upload an unprotected copy")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise BadDocument(f"the PDF has more than {MAX_PDF_PAGES:,} pages; split it", 413)
        pages = [(number, page.extract_text() or "") for number, page in enumerate(reader.pages, start=1)]
        title = reader.metadata.title if reader.metadata else None
    except BadDocument:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise BadDocument(f"this PDF could not be read ({type(exc).__name__})") from exc
    except Exception as exc:  # pypdf raises many kinds on damaged files; none may become a 500
        if "password" in str(exc).lower() or "decrypt" in str(exc).lower():
            raise BadDocument("the PDF is password-protected; upload an unprotected copy") from exc
        raise BadDocument(f"this PDF could not be read ({type(exc).__name__})") from exc
    sections = [Section(text.strip(), None, number) for number, text in pages if text.strip()]
    return (str(title).strip() or None) if title else None, sections


def _docx(data: bytes) -> tuple[str | None, list[Section]]:
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_zip(data, "DOCX")
    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError/ValueError/lxml errors on broken files
        raise BadDocument(f"this DOCX could not be read ({type(exc).__name__})") from exc
    # python-docx looks a paragraph's style up by scanning every style (4 s for 2,000 paragraphs): once.
    style_names = {style.style_id: style.name or "" for style in document.styles}
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            text = paragraph.text.strip()
            style = style_names.get(child.style, "") if child.style else ""
            if not text:
                lines.append("")
            elif style == "Title":
                lines.append(f"# {text}")
            elif style.startswith("Heading") and style[-1:].isdigit():
                lines.append(f"{'#' * min(int(style[-1]) + 1, 6)} {text}")
            else:
                lines += [text, ""]
        elif tag == "tbl":
            table = Table(child, document)
            lines += ["", *(table_row([c.text for c in row.cells]) for row in table.rows), ""]
    markdown = check_text("\n".join(lines))
    return first_heading(markdown) or (document.core_properties.title or None), split_sections(markdown)


def html_to_markdown(html: bytes | str, *, main_only: bool = False) -> tuple[str | None, str]:
    """HTML as markdown-shaped text: headings, paragraphs, list items and tables, in order.

    `main_only` drops navigation, headers, footers and asides and prefers <main>/<article>:
    what a crawled page says, not its menus."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "svg", "iframe", "form", "button"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    root: Tag = soup.body or soup
    if main_only:
        for tag in soup(["nav", "header", "footer", "aside"]):
            tag.decompose()
        root = soup.find("main") or soup.find("article") or soup.select_one('[role="main"]') or soup.body or soup
    blocks = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "dt", "dd", "pre", "blockquote", "table")
    lines: list[str] = []
    seen: set[int] = set()
    for element in root.find_all(blocks):
        if any(id(parent) in seen for parent in element.parents):
            continue  # already written as part of its enclosing block (a table, a list item)
        seen.add(id(element))
        name = element.name
        if name == "table":
            rows = [
                table_row([c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])])
                for tr in element.find_all("tr")
            ]
            lines += ["", *rows, ""]
            continue
        text = element.get_text(" ", strip=True)
        if not text:
            continue
        if name[0] == "h" and name[1:].isdigit():
            lines += ["", f"{'#' * int(name[1])} {text}", ""]
        elif name == "li":
            lines.append(f"- {text}")
        else:
            lines += [text, ""]
    markdown = "\n".join(lines)
    return first_heading(markdown) or title, markdown


def _html(data: bytes) -> tuple[str | None, list[Section]]:
    title, markdown = html_to_markdown(check_text(decode_text(data)))
    return title, split_sections(check_text(markdown))


def faq_rows(rows: Iterable[list[str]]) -> list[Section]:
    """A FAQ sheet: one question and its answer per row, found by header name or in the first two columns."""
    table = [[(c or "").strip() for c in row] for row in rows]
    table = [row for row in table if any(row)]
    if not table:
        return []
    header = [c.lower().strip(" ?:") for c in table[0]]
    q_col = next((i for i, c in enumerate(header) if c in QUESTION_COLUMNS), None)
    a_col = next((i for i, c in enumerate(header) if c in ANSWER_COLUMNS), None)
    if q_col is not None and a_col is not None:
        body = table[1:]
    else:
        q_col, a_col, body = 0, 1, table
    sections = []
    for row in body:
        question = row[q_col] if q_col < len(row) else ""
        answer = row[a_col] if a_col < len(row) else ""
        if question and answer:
            sections.append(Section(f"{question}\n{answer}", question, None, "faq", question, answer))
    if not sections:
        raise BadDocument("a FAQ sheet needs a question and an answer on each row (columns Question and Answer)")
    return sections


def _csv(data: bytes) -> tuple[str | None, list[Section]]:
    text = check_text(decode_text(data))
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return None, faq_rows(csv.reader(io.StringIO(text), dialect))


def _xlsx(data: bytes) -> tuple[str | None, list[Section]]:
    from openpyxl import load_workbook

    check_zip(data, "XLSX")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise BadDocument(f"this XLSX could not be read ({type(exc).__name__})") from exc
    sections: list[Section] = []
    for sheet in workbook.worksheets:
        rows = ([("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True))
        try:
            sections += faq_rows(rows)
        except BadDocument:
            continue  # a sheet of something else (notes, prices) beside the FAQ
    workbook.close()
    if not sections:
        raise BadDocument("a FAQ sheet needs a question and an answer on each row (columns Question and Answer)")
    return None, sections


READERS: dict[str, Callable[[bytes], tuple[str | None, list[Section]]]] = {
    ".pdf": _pdf,
    ".docx": _docx,
    ".md": _markdown,
    ".markdown": _markdown,
    ".html": _html,
    ".htm": _html,
    ".txt": _text,
    ".csv": _csv,
    ".xlsx": _xlsx,
}
