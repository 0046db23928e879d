"""message search: an FTS5 index over messages' text on SQLite, a GIN text index on PostgreSQL;
conversations by assignee

SQLite: `message_search` is an external-content FTS5 table (the text stays in `messages`, the index
is keyed by the message's rowid), kept in step by three triggers and filled with what exists.
PostgreSQL: a GIN index on the message's words, accents folded (core.search.pg_document, spelled
out here as it was written). Neither is declared on the models; core.migrate.include_name keeps
them out of the comparison between models and database. A later revision that rebuilds `messages`
on SQLite (batch mode's copy and rename) must create the table's triggers again and rebuild the index.

Revision ID: 0013
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCENTED = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ"
PLAIN = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy"

SQLITE = (
    "CREATE VIRTUAL TABLE message_search USING fts5("
    "text, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO message_search(rowid, text) VALUES (new.rowid, new.text); END",
    "CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO message_search(message_search, rowid, text) VALUES ('delete', old.rowid, old.text); END",
    "CREATE TRIGGER message_search_update AFTER UPDATE OF text ON messages BEGIN "
    "INSERT INTO message_search(message_search, rowid, text) VALUES ('delete', old.rowid, old.text); "
    "INSERT INTO message_search(rowid, text) VALUES (new.rowid, new.text); END",
    "INSERT INTO message_search(message_search) VALUES ('rebuild')",  # the messages already there
)


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.create_index(
            "ix_conversations_workspace_assignee",
            ["workspace_id", "assigned_user_id", "last_message_at", "created_at", "id"],
        )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
        return
    op.execute(
        "CREATE INDEX ix_messages_search ON messages USING gin "
        f"(to_tsvector('simple'::regconfig, translate(text, '{ACCENTED}', '{PLAIN}')))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER message_search_{trigger}")
        op.execute("DROP TABLE message_search")
    else:
        op.execute("DROP INDEX ix_messages_search")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_workspace_assignee")
