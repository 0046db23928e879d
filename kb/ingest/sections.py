"""Markdown-shaped text into sections: the heading path each passage sits under, its tables kept whole
with their header, and FAQ pairs (a heading that asks a question, and the text under it).

Every format is first written as this shape (HTML, DOCX and plain text by their readers), so headings,
tables and FAQs are handled once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
PATH_SEP = " > "


@dataclass(frozen=True)
class Section:
    text: str
    heading: str | None = None  # the heading path, e.g. "Prices > Haircuts"
    page: int | None = None
    kind: str = "text"  # text | table | faq
    question: str | None = None
    answer: str | None = None


LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def unwrap(text: str) -> str:
    """Join the hard-wrapped lines of each paragraph (Markdown renders them as one line), keeping
    paragraph breaks, list items and code as they are."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = paragraph.splitlines()
        if any(line.lstrip().startswith(("```", "|", "    ")) for line in lines):
            out.append(paragraph)
            continue
        joined: list[str] = []
        for line in lines:
            if joined and not LIST_ITEM.match(line):
                joined[-1] = f"{joined[-1]} {line.strip()}"
            else:
                joined.append(line.rstrip())
        out.append("\n".join(joined))
    return "\n\n".join(out)


def is_question(heading: str) -> bool:
    return heading.rstrip().endswith("?")


def split_sections(markdown: str, *, page: int | None = None) -> list[Section]:
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []
    in_code = False

    def path() -> str | None:
        return PATH_SEP.join(h for _, h in stack) or None

    def flush() -> None:
        lines: list[str] = []
        tables: list[str] = []
        table: list[str] = []
        for line in [*body, ""]:
            if line.lstrip().startswith("|") and not in_code:
                table.append(line.strip())
                continue
            if table:
                tables.append("\n".join(r for r in table if not TABLE_RULE.match(r)))
                table.clear()
            lines.append(line)
        body.clear()
        text = unwrap("\n".join(lines))
        if stack and is_question(stack[-1][1]) and (text or tables):
            # A question heading: the text under it (tables too) is the business's answer.
            question, answer = stack[-1][1], "\n\n".join([text, *tables]).strip()
            sections.append(Section(f"{question}\n{answer}", path(), page, "faq", question, answer))
            return
        if text:
            sections.append(Section(text, path(), page))
        sections.extend(Section(t, path(), page, "table") for t in tables)

    for raw in markdown.splitlines():
        line = raw.rstrip()
        if line.lstrip().startswith("```"):
            in_code = not in_code
            body.append(line)
            continue
        match = None if in_code else HEADING.match(line)
        if match:
            flush()
            level, title = len(match.group(1)), match.group(2).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            if title:
                stack.append((level, title))
            continue
        body.append(line)
    flush()
    return sections


def first_heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        match = HEADING.match(line.strip())
        if match and match.group(1) == "#":
            return match.group(2).strip() or None
    return None


def table_row(cells: list[str]) -> str:
    return "| " + " | ".join(" ".join(c.split()).replace("|", "/") for c in cells) + " |"
