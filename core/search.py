"""Text search over conversations: the words of a query, and the index that finds them on each database.

A query is cut into words (letters and digits; everything else separates them, so no character a
user types is ever read as search syntax). A conversation matches when its messages together hold
every word at the start of one of their words, whatever the case and the accents: "appoint" finds
"Appointment", "cafe" finds "Café".

Each conversation has one search document, its messages' words together (core's revision 0021), so
a search finds one row per matching conversation of the workspace:
- SQLite: the FTS5 table `conversation_search` (rowid = the conversation's rowid; columns `workspace`,
  the workspace id without dashes, and `text`), unicode61 tokenizer with diacritics removed.
- PostgreSQL: the table `conversation_search` (conversation id, tsvector) with a GIN index; the words
  are `to_tsvector('simple', fold(text))`, where fold maps the accented Latin letters to their plain
  ones, and the query is folded by the same expression. The lexeme '@<workspace id>' keeps the index
  to the workspace. PostgreSQL's word parser differs from SQLite's on a few shapes (an e-mail
  address or a URL is one word there, several here).

Both are kept by triggers on messages (revision 0021 spells the expressions out as they were then).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, column, func, literal, literal_column, select, table
from sqlalchemy.dialects.postgresql import TSQUERY

from core.models import Conversation

MAX_WORDS = 16  # more words narrow nothing a person would notice; each costs the index a lookup

# The accented Latin letters PostgreSQL folds (SQLite's unicode61 folds every one it knows).
ACCENTED = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ"
PLAIN = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy"

_WORD = re.compile(r"[^\W_]+")
_fts = table("conversation_search", column("rowid", Integer))
_pg = table("conversation_search", column("conversation_id", String), column("document"))


def words(query: str) -> list[str]:
    """The words of a query, in order, each once: runs of letters and digits (NUL, quotes, `*`,
    brackets and every other mark separate them)."""
    found = _WORD.findall(unicodedata.normalize("NFC", query.replace("\x00", " ")))
    unique = list(dict.fromkeys(w.casefold() for w in found))
    return unique[:MAX_WORDS]


def fts_query(found: list[str]) -> str:
    """An FTS5 query for these words: each a quoted prefix, all required ("appoint"* AND "friday"*)."""
    return " AND ".join('"' + w.replace('"', '""') + '"*' for w in found)


def tsquery(found: list[str]) -> str:
    """A to_tsquery text for these words: each a quoted prefix, all required ('appoint':* & 'friday':*)."""
    return " & ".join("'" + w.replace("'", "''").replace("\\", "\\\\") + "':*" for w in found)


# Written into the SQL, as revision 0021 writes them.
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
_ACCENTED: ColumnElement[str] = literal_column(f"'{ACCENTED}'")
_PLAIN: ColumnElement[str] = literal_column(f"'{PLAIN}'")


def pg_document(text: Any) -> ColumnElement[Any]:
    """The words of this text as revision 0021 indexes them on PostgreSQL (before `strip`)."""
    return func.to_tsvector(_SIMPLE, func.translate(text, _ACCENTED, _PLAIN))


def pg_query(found: list[str]) -> ColumnElement[Any]:
    """The words as a PostgreSQL text query, folded as the index is."""
    return func.to_tsquery(_SIMPLE, func.translate(literal(tsquery(found)), _ACCENTED, _PLAIN))


def _workspace_term(workspace_id: str) -> str:
    return workspace_id.replace("-", "")


def matches(dialect: str, workspace_id: str, found: list[str]) -> ColumnElement[bool]:
    """The conversation (of the outer query, in this workspace) holds every word (`found` not empty),
    decided by the search documents alone: one index lookup for the whole set of matches."""
    if dialect == "postgresql":
        workspace = literal("'@" + workspace_id.replace("'", "''") + "'").cast(TSQUERY)
        documents = select(_pg.c.conversation_id).where(_pg.c.document.op("@@")(workspace.op("&&")(pg_query(found))))
        return Conversation.id.in_(documents)
    expression = '{workspace}: "' + _workspace_term(workspace_id).replace('"', '""') + '" AND {text}: ('
    expression += fts_query(found) + ")"
    documents = select(_fts.c.rowid).where(literal_column("conversation_search").op("MATCH")(expression))
    return literal_column("conversations.rowid").in_(documents)
