"""The text of a customer's document (PDF, DOCX, TXT), capped, for the draft's context.

Extraction stops once the cap is reached, so a 300-page PDF costs no more than its first pages.
A PDF or DOCX is parsed in a limited child process (core.files.isolate) after a DOCX's zip is
checked by what it really inflates to (core.files.archive). Damaged or hostile files raise
DocumentProblem; the libraries raise many kinds of error on them.
"""

from __future__ import annotations

import io

from core.files import FileRefused
from core.files.archive import check_archive
from core.files.isolate import run_isolated


class DocumentProblem(FileRefused):
    """The document cannot be read (damaged, encrypted, or built to exhaust the parser)."""


async def read_document(data: bytes, kind: str, *, max_chars: int) -> str:
    """extract_text, with PDF and DOCX parsed in a limited child process."""
    if kind not in ("pdf", "docx"):
        return extract_text(data, kind, max_chars=max_chars)
    text = await run_isolated(
        "core.media.documents:extract_text",
        data,
        refusal=DocumentProblem,
        what=kind.upper(),
        kind=kind,
        max_chars=max_chars,
    )
    return str(text)


def extract_text(data: bytes, kind: str, *, max_chars: int) -> str:
    """Plain text from a sniffed "pdf", "docx" or "text" file, at most max_chars long."""
    try:
        if kind == "pdf":
            text = _pdf(data, max_chars)
        elif kind == "docx":
            text = _docx(data, max_chars)
        elif kind == "text":
            text = data[: max_chars * 4].decode("utf-8", errors="replace")
        else:
            return ""
    except DocumentProblem:
        raise
    except Exception as exc:
        raise DocumentProblem(f"the {kind} file cannot be read: {type(exc).__name__}") from exc
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").splitlines())
    text = text.strip()
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def _pdf(data: bytes, max_chars: int) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise DocumentProblem("the PDF is password-protected")
    parts: list[str] = []
    size = 0
    for page in reader.pages:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size >= max_chars:
            break
    return "\n\n".join(parts)


def _docx(data: bytes, max_chars: int) -> str:
    from docx import Document
    from docx.text.paragraph import Paragraph

    try:
        check_archive(data, "DOCX")
    except FileRefused as exc:
        raise DocumentProblem(str(exc)) from exc
    document = Document(io.BytesIO(data))
    parts: list[str] = []
    size = 0
    for element in document.element.body.iterchildren("{*}p"):  # lazily: stop at the cap
        text = Paragraph(element, document).text
        parts.append(text)
        size += len(text)
        if size >= max_chars:
            break
    return "\n".join(parts)
