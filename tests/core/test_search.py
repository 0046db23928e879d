"""Conversation search's documents (core's revision 0021), on both databases: the messages a database
held before it are indexed by it, a conversation matches through its messages together, downgrade
puts revision 0013's per-message index back, and PostgreSQL's planner uses the GIN index."""

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
        query_ = select(Conversation.id).where(
            Conversation.workspace_id == workspace_id, search.matches(dialect, workspace_id, search.words(query))
        )
        return list((await s.execute(query_)).scalars())


async def test_the_messages_already_there_are_indexed_by_the_migration(empty_db_url: str, tmp_path: Path) -> None:
    db = Database(empty_db_url)
    try:
        config = alembic_config(empty_db_url)

        def to_0019(connection: Connection) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, "0019")  # core's tables, as they were with one index entry per message

        def back_to_0019(connection: Connection) -> None:
            config.attributes["connection"] = connection
            command.downgrade(config, "0019")

        async with db.engine.begin() as connection:
            await connection.run_sync(to_0019)
        ws, conversation = await seed_one_conversation(db, ["Booked for Saturday", "Une réservation à Noël"])
        await upgrade(db)
        assert await found(db, ws, "saturday") == [conversation]
        assert await found(db, ws, "reserv noel") == [conversation]
        assert await found(db, ws, "saturday noel") == [conversation]  # the two messages together
        assert await found(db, ws, "sunday") == []
        async with db.engine.begin() as connection:
            await connection.run_sync(back_to_0019)
        await upgrade(db)  # the documents are built again from the messages
        assert await found(db, ws, "booked noel") == [conversation]
        assert await found(db, ws, "sunday") == []
    finally:
        await db.dispose()


async def test_postgresql_uses_the_index_for_the_query(db_url: str) -> None:
    db = Database(db_url)
    try:
        ws, conversation = await seed_one_conversation(db, ["Can I book a colour on Friday?"])
        assert await found(db, ws, "COLOU fri") == [conversation]
        if db.engine.dialect.name != "postgresql":
            return
        async with db.engine.connect() as connection:
            await connection.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: ask what it could do
            query = select(Conversation.id).where(search.matches("postgresql", ws, ["colou", "fri"]))
            compiled = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
            plan = "\n".join(r[0] for r in (await connection.exec_driver_sql(f"EXPLAIN {compiled}")).all())
        assert "ix_conversation_search" in plan, plan
    finally:
        await db.dispose()
