"""Files built to hurt the server: zip bombs with honest and with lying headers, XML bombs, and
archives of too many parts. Each is what an attacker can send to the web chat without signing in,
or upload to the knowledge base."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

from docx import Document

DOCUMENT_XML = "word/document.xml"
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
)
TAIL = b"</w:body></w:document>"


def real_docx(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_with(parts: dict[str, bytes], *, stored: frozenset[str] = frozenset()) -> bytes:
    """A real DOCX with some parts replaced or added (deflated, or stored as named)."""
    source = zipfile.ZipFile(io.BytesIO(real_docx("placeholder")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        names = [info.filename for info in source.infolist()]
        for name in names + [n for n in parts if n not in names]:
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), parts.get(name) or source.read(name), compress_type=method)
    return out.getvalue()


def xlsx_bomb() -> bytes:
    """A real FAQ workbook whose first sheet holds 40 MB of empty rows (openpyxl reads every one)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Question", "Answer"])
    out = io.BytesIO()
    workbook.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    rows = b"<row/>" * (40 * 1024 * 1024 // 6)
    sheet_xml = source.read("xl/worksheets/sheet1.xml").replace(b"</sheetData>", rows + b"</sheetData>")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, sheet_xml if info.filename.endswith("sheet1.xml") else source.read(info))
    return bomb.getvalue()


def paragraph_bomb_docx(xml_bytes: int = 48 * 1024 * 1024) -> bytes:
    """A DOCX of ~100 KB whose document part is `xml_bytes` of empty paragraphs, declared honestly.

    Under the old guard (declared sizes up to 50 MB) python-docx built a tree of eight million
    elements from it: 2.6 GB and three minutes of CPU."""
    body = b"<w:p/>" * (xml_bytes // 6)
    return docx_with({DOCUMENT_XML: HEAD + body + TAIL})


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The same zip, with `name`'s uncompressed size in its headers replaced by `size` (a lie)."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<L", out, info.header_offset + 22, size)  # the local header's uncompressed size
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", out, at + 28)[0]
        if bytes(out[at + 46 : at + 46 + name_length]) == name.encode():  # the padding may hold "PK\1\2"
            struct.pack_into("<L", out, at + 24, size)  # the central directory's
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 46)
    raise KeyError(name)


def lying_docx(total_bytes: int = 20 * 1024 * 1024) -> bytes:
    """A DOCX of `total_bytes` whose headers declare less than 50 MB in all, as the old guard wanted.

    It holds the paragraph bomb (48 MB of XML) and a stored part of random bytes that fills the file
    to its size while declaring one byte."""
    bomb = paragraph_bomb_docx()
    padding = os.urandom(max(total_bytes - len(bomb) - 200, 1))
    xml = zipfile.ZipFile(io.BytesIO(bomb)).read(DOCUMENT_XML)
    data = docx_with({DOCUMENT_XML: xml, "word/media/pad.bin": padding}, stored=frozenset({"word/media/pad.bin"}))
    return declare_size(data, "word/media/pad.bin", 1)


def deep_docx(depth: int = 5000) -> bytes:
    body = b"<w:p>" * depth + b"</w:p>" * depth
    return docx_with({DOCUMENT_XML: HEAD + body + TAIL})


def entity_docx() -> bytes:
    """The billion laughs: a DTD whose entities expand to gigabytes."""
    lol = b'<!DOCTYPE w [<!ENTITY a "lollollollollollollollollollol">' + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10) for i in range(9)
    )
    body = HEAD.split(b"?>", 1)[1] + b"<w:p>&j;</w:p>" + TAIL
    return docx_with({DOCUMENT_XML: b'<?xml version="1.0"?>' + lol + b"]>" + body})


def many_parts_zip(count: int = 5000) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(DOCUMENT_XML, HEAD + TAIL)
        for i in range(count):
            archive.writestr(f"word/p{i}.xml", b"<a/>")
    return out.getvalue()


def pdf_with_content(stream: bytes, pages: int = 1) -> bytes:
    """A minimal PDF whose pages all draw one flate-compressed content stream."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (5 + i) for i in range(pages)), pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 3 0 R >> >> >>"
    )
    objects += [page] * pages
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_bomb() -> bytes:
    """A page whose content stream inflates from 300 KB to 300 MB of text-drawing operators."""
    return pdf_with_content(zlib.compress(b"BT /F1 12 Tf 72 700 Td (ha) Tj ET\n" * 9_000_000, 9))
