"""Zip-based files are judged by what they really inflate to, never by what their headers say."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from core.files import FileRefused
from core.files.archive import ArchiveLimits, check_archive
from tests import hostile_files as hostile


def xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Question", "Answer"])
    for i in range(500):
        sheet.append([f"Do you do treatment {i}?", f"Yes, treatment {i} costs ${i}."])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_real_office_files_pass() -> None:
    check_archive(hostile.real_docx(*[f"Paragraph {i} of a long policy." for i in range(3000)]), "DOCX")
    check_archive(xlsx(), "XLSX")


@pytest.mark.parametrize(
    ("build", "why"),
    [
        (hostile.paragraph_bomb_docx, "zip bomb|more elements"),  # honest headers, 48 MB of XML in 100 KB
        (hostile.lying_docx, "zip bomb|more elements|headers do not match"),  # 1 byte declared for 19 MB
        (lambda: hostile.deep_docx(5000), "nests deeper"),
        (hostile.entity_docx, "DTD"),
        (hostile.many_parts_zip, "more parts than a real one"),
    ],
)
def test_hostile_archives_are_refused(build, why: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileRefused, match=why):
        check_archive(build(), "DOCX")


def test_a_part_that_inflates_past_what_its_header_declares_is_refused() -> None:
    # A parser reading by the header would stop at 100 bytes; a streaming one would get it all.
    data = hostile.declare_size(hostile.real_docx("x" * 5000), hostile.DOCUMENT_XML, 100)
    with pytest.raises(FileRefused, match="headers do not match"):
        check_archive(data, "DOCX")
    # And one declaring more than it holds.
    data = hostile.declare_size(hostile.real_docx("x"), hostile.DOCUMENT_XML, 40 * 1024 * 1024)
    with pytest.raises(FileRefused, match="headers do not match"):
        check_archive(data, "DOCX")


def test_the_element_count_is_limited_where_the_ratio_looks_innocent() -> None:
    body = b"".join(b"<w:p><w:r><w:t>%d</w:t></w:r></w:p>" % i for i in range(50_000))
    data = hostile.docx_with({hostile.DOCUMENT_XML: hostile.HEAD + body + hostile.TAIL})
    check_archive(data, "DOCX")
    with pytest.raises(FileRefused, match="more elements than a real one"):
        check_archive(data, "DOCX", ArchiveLimits(max_xml_elements=100_000))


def test_duplicate_names_encryption_and_damage_are_refused() -> None:
    twice = io.BytesIO()
    with zipfile.ZipFile(twice, "w") as archive, pytest.warns(UserWarning):
        archive.writestr(hostile.DOCUMENT_XML, hostile.HEAD + hostile.TAIL)
        archive.writestr(hostile.DOCUMENT_XML, b"<other/>")
    with pytest.raises(FileRefused, match="names one part twice"):
        check_archive(twice.getvalue(), "DOCX")
    real = bytearray(hostile.real_docx("secret"))
    real[6] |= 0x1  # the first local header's "encrypted" flag...
    at = real.find(b"PK\x01\x02")
    real[at + 8] |= 0x1  # ...and its central directory's
    with pytest.raises(FileRefused, match="encrypted"):
        check_archive(bytes(real), "DOCX")
    for damaged in (b"PK\x03\x04 not a zip", hostile.real_docx("x")[:-30], b""):
        with pytest.raises(FileRefused, match=r"not a valid DOCX|damaged"):
            check_archive(damaged, "DOCX")
