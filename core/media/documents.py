"""The text of a customer's document (PDF, DOCX, TXT), capped, for the draft's context.

Extraction stops once the cap is reached, so a 300-page PDF costs no more than its first pages.
Damaged files raise DocumentProblem; the libraries raise many kinds of error on them.
"""

from __future__ import annotations

import io
import zipfile


class DocumentProblem(Exception):
    """The document cannot be read (damaged, encrypted)."""


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


MAX_DOCX_XML_BYTES = 50 * 1024 * 1024  # a DOCX is a zip: refuse one that would inflate past this


def _docx(data: bytes, max_chars: int) -> str:
    from docx import Document

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_DOCX_XML_BYTES:
            raise DocumentProblem("the DOCX inflates to more than 50 MB")
    document = Document(io.BytesIO(data))
    parts: list[str] = []
    size = 0
    for paragraph in document.paragraphs:
        parts.append(paragraph.text)
        size += len(paragraph.text)
        if size >= max_chars:
            break
    return "\n".join(parts)
