"""Message search's index (core's revision 0013), on both databases: the messages a database held
before it are indexed by it, and PostgreSQL's planner can use the index with the expression
core.search queries with (revision 0013 spells it out on its own)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from core import search
from core.db import Database
from core.migrate import alembic_config, upgrade
from core.models import Contact, Conversation, Message, Workspace
from tests.core.test_migrate import empty_db_url

__all__ = ["empty_db_url"]


async def seed_one_conversation(db: Database, words: list[str]) -> tuple[str, str]:
    """A workspace whose one conversation holds one message per text: (workspace id, conversation id)."""
    async with db.session() as s:
        ws = (
            await s.execute(insert(Workspace).values(slug="salon", name="Salon").returning(Workspace.id))
        ).scalar_one()
        contact = (await s.execute(insert(Contact).values(workspace_id=ws).returning(Contact.id))).scalar_one()
        conversation = (
            await s.execute(
                insert(Conversation)
                .values(workspace_id=ws, contact_id=contact, channel="web", account="a", thread="t", tags=[])
                .returning(Conversation.id)
            )
        ).scalar_one()
        for text in words:
            await s.execute(
                insert(Message).values(
                    workspace_id=ws,
                    conversation_id=conversation,
                    direction="in",
                    author="contact",
                    text=text,
                    attachments=[],
                    citations=[],
                )
            )
    return ws, conversation


async def found(db: Database, workspace_id: str, query: str) -> list[str]:
    async with db.session() as s:
        dialect = s.get_bind().dialect.name
        return list((await s.execute(search.messages_with(dialect, workspace_id, search.words(query)))).scalars())


async def test_the_messages_already_there_are_indexed_by_the_migration(empty_db_url: str, tmp_path: Path) -> None:
    db = Database(empty_db_url)
    try:
        config = alembic_config(empty_db_url)

        def to_0012(connection: Connection) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, "0012")  # core's tables, as they were before message search

        async with db.engine.begin() as connection:
            await connection.run_sync(to_0012)
        ws, conversation = await seed_one_conversation(db, ["Booked for Saturday", "Une réservation à Noël"])
        await upgrade(db)
        assert await found(db, ws, "saturday") == [conversation]
        assert await found(db, ws, "reserv noel") == [conversation]
        assert await found(db, ws, "sunday") == []
    finally:
        await db.dispose()


async def test_postgresql_can_use_the_index_for_the_query(db_url: str) -> None:
    db = Database(db_url)
    try:
        ws, conversation = await seed_one_conversation(db, ["Can I book a colour on Friday?"])
        assert await found(db, ws, "COLOU fri") == [conversation]
        if db.engine.dialect.name != "postgresql":
            return
        async with db.engine.connect() as connection:
            await connection.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: ask what it could do
            query = select(Message.id).where(
                search.pg_document(Message.text).op("@@")(search.pg_query(["colou", "fri"]))
            )
            compiled = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
            plan = "\n".join(r[0] for r in (await connection.exec_driver_sql(f"EXPLAIN {compiled}")).all())
        assert "ix_messages_search" in plan, plan
    finally:
        await db.dispose()
