"""A zip-based file (DOCX, XLSX) checked by what it really inflates to, before any parser sees it.

A zip's headers are written by the sender: the sizes, the entry count and the checksums can all lie.
So every entry is inflated here from its raw bytes, through zlib with a cap on each step's output,
counting the bytes it really produces, and refused as soon as the whole passes a limit, one entry
inflates far beyond its compressed size, or the entry's real size and checksum differ from what the
header says (what a parser reads afterwards is then exactly what was counted here). XML parts are
streamed through expat on the way, so a part of a million empty elements, a deep nesting or a DTD
(entity expansion) is refused before lxml builds a tree of it. Memory stays at a few hundred KB
whatever the file holds.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.parsers import expat

from core.files import FileRefused

MB = 1024 * 1024
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader: 30 bytes
_IN_STEP = 64 * 1024
_OUT_STEP = 256 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 2000
    max_total_bytes: int = 100 * MB  # what all entries together really inflate to
    max_ratio: int = 200  # real office parts compress 2-30x; a bomb, hundreds or thousands
    ratio_from_bytes: int = 1 * MB  # small parts may be very repetitive; the ratio applies above this
    max_xml_depth: int = 200
    max_xml_elements: int = 1_000_000  # a 500-page document has a few hundred thousand


def entry_count(data: bytes) -> int | None:
    """The entry count the end-of-central-directory record declares, or None if it has none.

    Read before zipfile builds an object per entry: 20 MB of central directory is 400,000 entries."""
    tail = data[-(22 + 65535) :]
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    total = int.from_bytes(tail[at + 10 : at + 12], "little")
    if total == 0xFFFF:  # a Zip64 record holds the real count; no office file of ours needs one
        return 0xFFFF
    return total


def check_archive(data: bytes, what: str, limits: ArchiveLimits | None = None) -> None:
    """Raise FileRefused unless `data` is a zip whose entries really inflate within the limits."""
    limits = limits or ArchiveLimits()
    count = entry_count(data)
    if count is None:
        raise FileRefused(f"this is not a valid {what} file")
    if count > limits.max_entries:
        raise FileRefused(f"this {what} file has more parts than a real one ({count}); refused")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, struct.error) as exc:
        raise FileRefused(f"this is not a valid {what} file") from exc
    if len(infos) > limits.max_entries:
        raise FileRefused(f"this {what} file has more parts than a real one ({len(infos)}); refused")
    if len({info.filename for info in infos}) != len(infos):
        raise FileRefused(f"this {what} file names one part twice; refused")
    budget = _Budget(limits, what)
    view = memoryview(data)
    for info in infos:
        _inflate(view, info, budget)


class _Budget:
    """What the whole archive may still produce."""

    def __init__(self, limits: ArchiveLimits, what: str) -> None:
        self.limits, self.what, self.left = limits, what, limits.max_total_bytes
        self.elements = 0

    def bomb(self) -> FileRefused:
        return FileRefused(f"this {self.what} file expands to far more than its size (a zip bomb?); refused")


def _inflate(view: memoryview, info: zipfile.ZipInfo, budget: _Budget) -> None:
    what = budget.what
    if info.flag_bits & 0x1:
        raise FileRefused(f"this {what} file is encrypted; save it without a password")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise FileRefused(f"this {what} file uses a compression office files never use; refused")
    start = info.header_offset
    header = bytes(view[start : start + _LOCAL_HEADER.size])
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise FileRefused(f"this {what} file is damaged")
    fields = _LOCAL_HEADER.unpack(header)
    begin = start + _LOCAL_HEADER.size + fields[10] + fields[11]
    raw = view[begin : begin + info.compress_size]
    if len(raw) != info.compress_size:
        raise FileRefused(f"this {what} file is damaged (an entry is cut short)")
    xml = _XmlGuard(budget, info.filename) if info.filename.lower().endswith(_XML_SUFFIXES) else None
    produced, crc = 0, 0
    for piece in _pieces(raw, info.compress_type, budget):
        produced += len(piece)
        budget.left -= len(piece)
        if budget.left < 0:
            raise budget.bomb()
        limits = budget.limits
        if produced > limits.ratio_from_bytes and produced > limits.max_ratio * max(info.compress_size, 1):
            raise budget.bomb()
        crc = zlib.crc32(piece, crc)
        if xml is not None:
            xml.feed(piece)
    if xml is not None:
        xml.close()
    if produced != info.file_size or crc != info.CRC:
        raise FileRefused(f"this {what} file's headers do not match its content; refused")


def _pieces(raw: memoryview, method: int, budget: _Budget) -> Iterator[bytes]:
    """The entry's bytes as inflated, at most _OUT_STEP at a time, whatever the stream holds."""
    if method == zipfile.ZIP_STORED:
        for at in range(0, len(raw), _OUT_STEP):
            yield bytes(raw[at : at + _OUT_STEP])
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    at = 0
    try:
        while not inflater.eof:
            if inflater.unconsumed_tail:
                chunk: bytes | memoryview = inflater.unconsumed_tail
            elif at < len(raw):
                chunk, at = raw[at : at + _IN_STEP], at + _IN_STEP
            else:
                break  # the stream ends without its final block
            out = inflater.decompress(chunk, _OUT_STEP)
            if out:
                yield out
    except zlib.error as exc:
        raise FileRefused(f"this {budget.what} file is damaged") from exc
    if not inflater.eof:
        raise FileRefused(f"this {budget.what} file is damaged (an entry is cut short)")


class _XmlGuard:
    """Streams one XML part through expat, counting elements and depth; no DTD is allowed."""

    def __init__(self, budget: _Budget, name: str) -> None:
        self.budget, self.name, self.depth = budget, name, 0
        parser = expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        self.parser = parser

    def _start(self, _name: str, _attrs: object) -> None:
        budget = self.budget
        self.depth += 1
        budget.elements += 1
        if self.depth > budget.limits.max_xml_depth:
            raise FileRefused(f"this {budget.what} file nests deeper than a real one; refused")
        if budget.elements > budget.limits.max_xml_elements:
            raise FileRefused(f"this {budget.what} file holds more elements than a real one; refused")

    def _end(self, _name: str) -> None:
        self.depth -= 1

    def _doctype(self, *_args: object) -> None:
        raise FileRefused(f"this {self.budget.what} file declares a DTD, which office files never do; refused")

    def feed(self, piece: bytes) -> None:
        try:
            self.parser.Parse(piece, False)
        except expat.ExpatError as exc:
            raise FileRefused(f"this {self.budget.what} file is damaged ({self.name} is not valid XML)") from exc

    def close(self) -> None:
        try:
            self.parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise FileRefused(f"this {self.budget.what} file is damaged ({self.name} is not valid XML)") from exc
