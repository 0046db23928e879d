"""Text search over messages: the words of a query, and the index that finds them on each database.

A query is cut into words (letters and digits; everything else separates them, so no character a
user types is ever read as search syntax). A message matches when every word begins one of its
words, whatever the case and the accents: "appoint" finds "Appointment", "cafe" finds "Café".

- SQLite: the FTS5 table `message_search` (core's revision 0013), an external-content index over
  `messages.text` with the unicode61 tokenizer (diacritics removed), kept in step by triggers.
- PostgreSQL: a GIN index on `to_tsvector('simple', fold(text))` (revision 0013), where fold maps
  the accented Latin letters to their plain ones; the query is folded by the same expression, so
  the index is used and both sides agree. PostgreSQL's word parser differs from SQLite's on a few
  shapes (an e-mail address or a URL is one word there, several here).

Revision 0013 spells the index's expression out as it was then; `tests/core/test_search.py` checks
that the planner still uses it with the expression below.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, column, exists, func, literal, literal_column, select, table

from core.models import Conversation, Message

MAX_WORDS = 16  # more words narrow nothing a person would notice; each costs the index a lookup

# The accented Latin letters PostgreSQL folds (SQLite's unicode61 folds every one it knows).
ACCENTED = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ"
PLAIN = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy"

_WORD = re.compile(r"[^\W_]+")
_message_search = table("message_search", column("rowid", Integer))


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


# Written into the SQL, not bound: the planner matches the index's expression only against constants.
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
_ACCENTED: ColumnElement[str] = literal_column(f"'{ACCENTED}'")
_PLAIN: ColumnElement[str] = literal_column(f"'{PLAIN}'")


def pg_document(text: Any) -> ColumnElement[Any]:
    """The expression revision 0013 indexes on PostgreSQL, over this column."""
    return func.to_tsvector(_SIMPLE, func.translate(text, _ACCENTED, _PLAIN))


def pg_query(found: list[str]) -> ColumnElement[Any]:
    """The words as a PostgreSQL text query, folded as the index is."""
    return func.to_tsquery(_SIMPLE, func.translate(literal(tsquery(found)), _ACCENTED, _PLAIN))


def _fts_rowids(found: list[str]) -> Select[tuple[int]]:
    """The rowids of the messages (of every workspace) holding every word, from the FTS5 index alone."""
    return select(_message_search.c.rowid).where(literal_column("message_search").op("MATCH")(fts_query(found)))


def messages_with(dialect: str, workspace_id: str, found: list[str]) -> Select[str]:
    """The conversations of the workspace with a message holding every word (`found` not empty)."""
    query = select(Message.conversation_id).where(Message.workspace_id == workspace_id)
    if dialect == "postgresql":
        return query.where(pg_document(Message.text).op("@@")(pg_query(found)))
    return query.where(literal_column("messages.rowid").in_(_fts_rowids(found)))


def conversation_has(dialect: str, found: list[str]) -> ColumnElement[bool]:
    """The conversation (of the outer query) has a message holding every word: asked per conversation,
    the same matches as `messages_with`. Cheaper than it when a walk over the conversations meets a
    match soon (a common word): the walk stops at the page, not after every matching message.
    (PostgreSQL's planner turns this into the same hashed set as `messages_with`.)"""
    query = select(Message.id).where(Message.conversation_id == Conversation.id)
    if dialect == "postgresql":
        return exists(query.where(pg_document(Message.text).op("@@")(pg_query(found))))
    return exists(query.where(literal_column("messages.rowid").in_(_fts_rowids(found))))


def hits_up_to(found: list[str], limit: int) -> Select[int]:
    """SQLite: how many messages, of every workspace, hold every word, counted up to `limit` on the
    FTS5 index alone (no message is read): a few milliseconds at most, nothing for a rare word."""
    return select(func.count()).select_from(_fts_rowids(found).limit(limit).subquery())
