"""What an upload must be before anything is parsed or stored. Each refusal is a `BadDocument` with
the HTTP status the API answers and a message a business owner can act on."""

from __future__ import annotations

import io
import zipfile

MAX_TEXT_CHARS = 5_000_000  # extracted text; a real FAQ or manual is far below this
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # DOCX/XLSX are zip files: what they may expand to
MAX_ZIP_RATIO = 200  # real office files compress 2-20x; a zip bomb, thousands
ALLOWED_CONTROL = frozenset("\t\n\r\f")


class BadDocument(ValueError):
    """The input cannot become knowledge. `status` is the HTTP status for the API (4xx)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def check_size(data: bytes, max_bytes: int) -> None:
    if not data:
        raise BadDocument("the file is empty")
    if len(data) > max_bytes:
        raise BadDocument(f"the file is larger than {max_bytes // (1024 * 1024)} MB", 413)


def check_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """Open an office file's zip, refusing one that would expand far beyond its size (a zip bomb)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise BadDocument(f"this is not a valid {what} file") from exc
    total = 0
    for member in archive.infolist():
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > MAX_UNZIPPED_BYTES or (member.file_size > 1024 * 1024 and ratio > MAX_ZIP_RATIO):
            raise BadDocument(f"this {what} file expands to far more than its size (a zip bomb?); refused")
    return archive


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
