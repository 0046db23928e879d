"""conversation search: one search document per conversation (its messages' words together) instead
of one per message

A search then finds one row per matching conversation of the workspace, not one per matching message
of every workspace (core.search).

SQLite: `conversation_search`, an FTS5 table whose rowid is the conversation's rowid, with two
columns: `workspace` (the workspace id without its dashes, one term) and `text` (the messages' texts,
one a line). Triggers keep it: a conversation's insert and delete add and remove its document, a
message's insert appends its text (FTS5 re-reads the conversation's document), a message's delete,
a change of its text or of its conversation rebuild the document from the messages.
PostgreSQL: `conversation_search` (conversation id, tsvector) with a GIN index; the tsvector holds
the words without positions (core.search.pg_document, stripped) and the lexeme '@<workspace id>',
which no parsed word can be, so the GIN index itself keeps to the workspace. A message's insert adds
its words (`||`); a delete, once per statement, and a change of text or conversation recompute.

Neither is declared on the models (core.migrate.include_name leaves them out of the comparison).
Revision 0013's per-message index and its triggers are dropped; downgrade puts them back. A later
revision that rebuilds `conversations` or `messages` on SQLite (batch mode's copy and rename) must
create the triggers again and rebuild the documents (their rowids may change).

Revision ID: 0021
Revises: 0019
"""

# ruff: noqa: S608  (the SQL is put together from this file's constants only, no input)

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCENTED = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ"
PLAIN = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy"

_SQLITE_DOCUMENT = (  # a conversation's messages' texts, one a line, oldest first
    "coalesce((SELECT group_concat(t, char(10)) FROM (SELECT coalesce(m.text, '') AS t FROM messages m "
    "WHERE m.conversation_id = {conversation} ORDER BY m.created_at, m.rowid)), '')"
)
_SQLITE_REDO = (  # rebuild one conversation's document
    "UPDATE conversation_search SET text = "
    + _SQLITE_DOCUMENT.format(conversation="{id}")
    + " WHERE rowid = (SELECT rowid FROM conversations WHERE id = {id});"
)
SQLITE = (
    "CREATE VIRTUAL TABLE conversation_search USING fts5("
    "workspace, text, detail=column, tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER conversation_search_open AFTER INSERT ON conversations BEGIN "
    "INSERT INTO conversation_search(rowid, workspace, text) "
    "VALUES (new.rowid, replace(new.workspace_id, '-', ''), ''); END",
    "CREATE TRIGGER conversation_search_close AFTER DELETE ON conversations BEGIN "
    "DELETE FROM conversation_search WHERE rowid = old.rowid; END",
    "CREATE TRIGGER conversation_search_message AFTER INSERT ON messages BEGIN "
    "UPDATE conversation_search SET text = text || char(10) || coalesce(new.text, '') "
    "WHERE rowid = (SELECT rowid FROM conversations WHERE id = new.conversation_id); END",
    "CREATE TRIGGER conversation_search_message_gone AFTER DELETE ON messages BEGIN "
    + _SQLITE_REDO.format(id="old.conversation_id")
    + " END",
    "CREATE TRIGGER conversation_search_message_changed AFTER UPDATE OF text, conversation_id ON messages "
    "WHEN old.text IS NOT new.text OR old.conversation_id IS NOT new.conversation_id BEGIN "
    + _SQLITE_REDO.format(id="old.conversation_id")
    + " "
    + _SQLITE_REDO.format(id="new.conversation_id")
    + " END",
    "INSERT INTO conversation_search(rowid, workspace, text) SELECT c.rowid, replace(c.workspace_id, '-', ''), "
    + _SQLITE_DOCUMENT.format(conversation="c.id")
    + " FROM conversations c",
)
SQLITE_TRIGGERS = ("open", "close", "message", "message_gone", "message_changed")

_PG_WORDS = f"strip(to_tsvector('simple'::regconfig, translate({{text}}, '{ACCENTED}', '{PLAIN}')))"
_PG_DOCUMENT = (  # a conversation's document from its messages, the workspace's lexeme first
    "array_to_tsvector(ARRAY['@' || c.workspace_id]) || "
    + _PG_WORDS.format(
        text="coalesce((SELECT string_agg(m.text, E'\\n') FROM messages m WHERE m.conversation_id = c.id), '')"
    )
)
POSTGRESQL = (
    "CREATE TABLE conversation_search ("
    "conversation_id VARCHAR(36) PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE, "
    "document tsvector NOT NULL)",
    f"INSERT INTO conversation_search (conversation_id, document) SELECT c.id, {_PG_DOCUMENT} FROM conversations c",
    "CREATE INDEX ix_conversation_search ON conversation_search USING gin (document)",
    "CREATE FUNCTION conversation_search_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO conversation_search AS s (conversation_id, document) VALUES (NEW.conversation_id, "
    "array_to_tsvector(ARRAY['@' || NEW.workspace_id]) || " + _PG_WORDS.format(text="coalesce(NEW.text, '')") + ") "
    "ON CONFLICT (conversation_id) DO UPDATE SET document = s.document || excluded.document; "
    "RETURN NULL; END $$",
    "CREATE FUNCTION conversation_search_redo() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE conversation_search s SET document = " + _PG_DOCUMENT + " FROM conversations c "
    "WHERE c.id = s.conversation_id AND s.conversation_id IN (SELECT conversation_id FROM changed); "
    "RETURN NULL; END $$",
    "CREATE FUNCTION conversation_search_redo_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE conversation_search s SET document = " + _PG_DOCUMENT + " FROM conversations c "
    "WHERE c.id = s.conversation_id AND s.conversation_id IN (OLD.conversation_id, NEW.conversation_id); "
    "RETURN NULL; END $$",
    "CREATE TRIGGER conversation_search_message AFTER INSERT ON messages "
    "FOR EACH ROW EXECUTE FUNCTION conversation_search_add()",
    "CREATE TRIGGER conversation_search_message_gone AFTER DELETE ON messages "
    "REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_search_redo()",
    "CREATE TRIGGER conversation_search_message_changed AFTER UPDATE OF text, conversation_id ON messages "
    "FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text OR OLD.conversation_id IS DISTINCT FROM "
    "NEW.conversation_id) EXECUTE FUNCTION conversation_search_redo_row()",
)

# Revision 0013's per-message index, as it created it (for downgrade).
MESSAGE_SEARCH_SQLITE = (
    "CREATE VIRTUAL TABLE message_search USING fts5("
    "text, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO message_search(rowid, text) VALUES (new.rowid, new.text); END",
    "CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO message_search(message_search, rowid, text) VALUES ('delete', old.rowid, old.text); END",
    "CREATE TRIGGER message_search_update AFTER UPDATE OF text ON messages BEGIN "
    "INSERT INTO message_search(message_search, rowid, text) VALUES ('delete', old.rowid, old.text); "
    "INSERT INTO message_search(rowid, text) VALUES (new.rowid, new.text); END",
    "INSERT INTO message_search(message_search) VALUES ('rebuild')",
)
MESSAGE_SEARCH_POSTGRESQL = (
    "CREATE INDEX ix_messages_search ON messages USING gin "
    f"(to_tsvector('simple'::regconfig, translate(text, '{ACCENTED}', '{PLAIN}')))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER message_search_{trigger}")
        op.execute("DROP TABLE message_search")
        for statement in SQLITE:
            op.execute(statement)
        return
    op.execute("DROP INDEX ix_messages_search")
    for statement in POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER conversation_search_{trigger}")
        op.execute("DROP TABLE conversation_search")
        for statement in MESSAGE_SEARCH_SQLITE:
            op.execute(statement)
        return
    for trigger in ("message", "message_gone", "message_changed"):
        op.execute(f"DROP TRIGGER conversation_search_{trigger} ON messages")
    for function in ("add", "redo", "redo_row"):
        op.execute(f"DROP FUNCTION conversation_search_{function}()")
    op.execute("DROP TABLE conversation_search")
    op.execute(MESSAGE_SEARCH_POSTGRESQL)
