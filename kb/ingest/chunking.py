"""Sections into passages small enough for the embedding model (256 tokens), with LlamaIndex's
sentence splitter. A FAQ pair stays one passage; a table is cut between rows, never inside one, and
each part repeats the header row so it still says what its columns are."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.node_parser import SentenceSplitter

from kb.ingest.sections import Section

# Words, not model tokens: English runs ~1.3 WordPiece tokens a word, so 170 words fit 256 tokens.
CHUNK_WORDS = 170
OVERLAP_WORDS = 20


@dataclass(frozen=True)
class Chunk:
    text: str
    heading: str | None
    page: int | None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.heading}\n{self.text}".encode()).hexdigest()


def _words(text: str) -> list[str]:
    return text.split()


_splitter = SentenceSplitter(chunk_size=CHUNK_WORDS, chunk_overlap=OVERLAP_WORDS, tokenizer=_words)


def _table(section: Section) -> list[Chunk]:
    rows = section.text.splitlines()
    header, body = rows[0], rows[1:]
    chunks, part, size = [], [header], len(header.split())
    for row in body:
        words = len(row.split())
        if len(part) > 1 and size + words > CHUNK_WORDS:
            chunks.append(Chunk("\n".join(part), section.heading, section.page, {"table": True}))
            part, size = [header], len(header.split())
        part.append(row)
        size += words
    chunks.append(Chunk("\n".join(part), section.heading, section.page, {"table": True}))
    return chunks


def chunk_sections(sections: list[Section]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in sections:
        if section.kind == "faq" and section.question and section.answer:
            meta = {"question": section.question, "answer": section.answer}
            if len(section.text.split()) <= CHUNK_WORDS:
                chunks.append(Chunk(section.text, section.heading, section.page, meta))
            else:  # a long answer: every part keeps the question, so it is still found by it
                for part in _splitter.split_text(section.answer):
                    chunks.append(Chunk(f"{section.question}\n{part}", section.heading, section.page, meta))
        elif section.kind == "table":
            chunks.extend(_table(section))
        else:
            chunks.extend(Chunk(t, section.heading, section.page) for t in _splitter.split_text(section.text))
    return chunks
