"""What a file really is, from its first bytes, whatever its name or declared MIME type says.

Customers' phones and channels label files loosely, and a file named .ogg may be an MP3. The media
stage trusts the content, and refuses a file whose content contradicts a specific label.
"""

from __future__ import annotations

import io
import zipfile

from core.files.archive import ArchiveLimits, entry_count

AUDIO = frozenset({"ogg", "mp3", "wav", "flac", "webm", "mp4", "aac", "amr"})
IMAGE = frozenset({"jpeg", "png", "gif", "webp", "heic"})
DOCUMENT = frozenset({"pdf", "docx", "text"})

# What a declared MIME type or file extension promises, as sniffed types.
_DECLARED = {
    "audio/ogg": {"ogg"},
    "audio/opus": {"ogg"},
    "application/ogg": {"ogg"},
    "audio/mpeg": {"mp3"},
    "audio/mp3": {"mp3"},
    "audio/wav": {"wav"},
    "audio/x-wav": {"wav"},
    "audio/wave": {"wav"},
    "audio/flac": {"flac"},
    "audio/x-flac": {"flac"},
    "audio/webm": {"webm"},
    "video/webm": {"webm"},
    "audio/mp4": {"mp4", "aac"},
    "audio/m4a": {"mp4"},
    "audio/x-m4a": {"mp4"},
    "audio/aac": {"aac", "mp4"},
    "audio/amr": {"amr"},
    "image/jpeg": {"jpeg"},
    "image/jpg": {"jpeg"},
    "image/png": {"png"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "image/heic": {"heic"},
    "application/pdf": {"pdf"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "text/plain": {"text"},
}
_EXTENSIONS = {
    "ogg": {"ogg"}, "oga": {"ogg"}, "opus": {"ogg"}, "mp3": {"mp3"}, "wav": {"wav"}, "flac": {"flac"},
    "webm": {"webm"}, "m4a": {"mp4", "aac"}, "aac": {"aac", "mp4"}, "amr": {"amr"},
    "jpg": {"jpeg"}, "jpeg": {"jpeg"}, "png": {"png"}, "gif": {"gif"}, "webp": {"webp"}, "heic": {"heic"},
    "pdf": {"pdf"}, "docx": {"docx"}, "txt": {"text"},
}  # fmt: skip


def sniff(data: bytes) -> str | None:
    """The file's type from its content ("ogg", "mp3", "pdf", "text"…), or None if unknown."""
    head = data[:64]
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"  # Matroska/WebM: what Chrome's MediaRecorder makes
    if head[4:8] == b"ftyp":
        return "heic" if head[8:12] in (b"heic", b"heix", b"mif1") else "mp4"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return "mp3"  # an ID3 tag, or an MPEG audio layer III frame sync
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"  # ADTS
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") and _is_docx(data):
        return "docx"
    if _is_text(data):
        return "text"
    return None


def promised(mime_type: str | None, name: str | None) -> set[str] | None:
    """The types a label promises, or None when it promises nothing specific (octet-stream, no name)."""
    mime = (mime_type or "").split(";")[0].strip().lower()
    if mime in _DECLARED:
        return _DECLARED[mime]
    extension = (name or "").rsplit(".", 1)[-1].lower() if name and "." in name else ""
    return _EXTENSIONS.get(extension)


def contradicts(detected: str, mime_type: str | None, name: str | None) -> bool:
    """True when the label names a specific type and the content is another (an MP3 named .ogg)."""
    for label in (promised(mime_type, None), promised(None, name)):
        if label is not None and detected not in label:
            return True
    return False


def _is_docx(data: bytes) -> bool:
    count = entry_count(data)
    if count is None or count > ArchiveLimits().max_entries:
        return False  # not a zip, or one whose directory alone would cost more than a real DOCX
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return False


def _is_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not merely a character cut at the sample's end
            return False
    return True
