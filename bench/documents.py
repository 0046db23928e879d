"""What reading a document costs, in this process and in the limited child that every file from
outside goes through (core.files.isolate): the price of isolation for an honest DOCX.

    .venv/bin/python -m bench.documents
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

from core.media.documents import extract_text, read_document
from kb.ingest.readers import parse, parse_isolated
from tests.hostile_files import real_docx


def median_ms(work: Callable[[], object], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    data = real_docx(*[f"Paragraph {i}: cancellations need 24 hours notice." for i in range(2000)])
    print(f"a DOCX of 2,000 paragraphs ({len(data) // 1024} KB), median of 7 runs")
    rows = {
        "chat, in process": lambda: extract_text(data, "docx", max_chars=8000),
        "chat, isolated": lambda: asyncio.run(read_document(data, "docx", max_chars=8000)),
        "knowledge base, in process": lambda: parse("policy.docx", data),
        "knowledge base, isolated": lambda: asyncio.run(parse_isolated("policy.docx", data)),
    }
    for name, work in rows.items():
        print(f"  {name:28} {median_ms(work):6.0f} ms")


if __name__ == "__main__":
    main()
