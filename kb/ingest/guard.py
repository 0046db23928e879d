"""What an upload must be before anything is parsed or stored. Each refusal is a `BadDocument` with
the HTTP status the API answers and a message a business owner can act on. Zip-based formats are
checked by the shared guard (core.files.archive), by what they really inflate to."""

from __future__ import annotations

from core.files import FileRefused
from core.files.archive import check_archive

MAX_TEXT_CHARS = 5_000_000  # extracted text; a real FAQ or manual is far below this
MAX_PDF_PAGES = 2000
ALLOWED_CONTROL = frozenset("\t\n\r\f")


class BadDocument(FileRefused):
    """The input cannot become knowledge. `status` is the HTTP status for the API (4xx)."""


def check_size(data: bytes, max_bytes: int) -> None:
    if not data:
        raise BadDocument("the file is empty")
    if len(data) > max_bytes:
        raise BadDocument(f"the file is larger than {max_bytes // (1024 * 1024)} MB", 413)


def check_zip(data: bytes, what: str) -> None:
    """An office file's zip, checked by what it really inflates to (a zip bomb is refused)."""
    try:
        check_archive(data, what)
    except FileRefused as exc:
        raise BadDocument(str(exc), exc.status) from exc


def decode_text(data: bytes) -> str:
    """Text files as UTF-8 (or Windows-1252, common from spreadsheets); anything binary is refused."""
    if b"\x00" in data[:65536]:
        raise BadDocument("this is a binary file, not text", 415)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:65536]
        controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in ALLOWED_CONTROL)
        if controls > len(sample) // 100:
            break
        return text
    raise BadDocument("this is a binary file, not text", 415)


def check_text(text: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise BadDocument(f"the document holds more than {MAX_TEXT_CHARS:,} characters of text", 413)
    return text
