"""A customer's document: its text, capped, for the draft; damaged or inflating files refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.media.documents import DocumentProblem, extract_text
from tests.hostile_files import real_docx as docx


def test_text_is_read_and_capped() -> None:
    data = docx("Booking for Tuesday at 4pm.", "Reference 4571.", *["filler line"] * 2000)
    text = extract_text(data, "docx", max_chars=300)
    assert text.startswith("Booking for Tuesday at 4pm.\nReference 4571.") and len(text) <= 300
    assert extract_text("Hola, ¿cita el martes?\r\n".encode(), "text", max_chars=100) == "Hola, ¿cita el martes?"


def test_damaged_and_inflating_files_are_refused() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * (60 * 1024 * 1024))
    for data, kind in [(bomb.getvalue(), "docx"), (b"%PDF-1.4 not really", "pdf"), (docx("x")[:500], "docx")]:
        with pytest.raises(DocumentProblem):
            extract_text(data, kind, max_chars=100)
