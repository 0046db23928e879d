"""Small real documents of each format, made in the test (no fixtures on disk)."""

from __future__ import annotations

import io
import zipfile


def pdf(pages: list[list[str]], *, password: str | None = None) -> bytes:
    """A real PDF with one text line per entry, written by hand (pypdf reads it; no writer library)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids).encode()
    objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(len(pages)).encode() + b" >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, lines in enumerate(pages):
        content = (
            b"BT /F1 12 Tf 72 720 Td 14 TL "
            + b" ".join(
                b"(" + line.replace("(", r"\(").replace(")", r"\)").encode("latin-1") + b") Tj T*" for line in lines
            )
            + b" ET"
        )
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents " + str(page_ids[i] + 1).encode() + b" 0 R >>"
        )
        objects.append(b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    data = out.getvalue()
    if password is None:
        return data
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    return encrypted.getvalue()


def docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Staff handbook", level=0)
    document.add_heading("Colour services", level=1)
    document.add_paragraph("Every colour service starts with a patch test 48 hours before the appointment.")
    document.add_heading("Product prices", level=1)
    table = document.add_table(rows=3, cols=2)
    prices = [("Product", "Price"), ("Argan oil", "$24"), ("Dry shampoo", "$12")]
    for row, (name, price) in zip(table.rows, prices, strict=True):
        row.cells[0].text, row.cells[1].text = name, price
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx(rows: list[tuple[str, str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Question", "Answer"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    """A DOCX-shaped zip whose document part expands 1000-fold (5 MB of blank XML in a few KB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (5 * 1024 * 1024) + b"</w:document>")
    return out.getvalue()
