"""Alembic environment: async engine, the same migrations for SQLite and PostgreSQL."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from core.db import Database
from core.migrate import include_name, load_models

config = context.config
# Running revisions needs no models (each revision carries its own DDL); comparing the database
# with the models (autogenerate) does. core.migrate.upgrade only runs revisions, and says so.
target_metadata = None if config.attributes.get("revisions_only") else load_models()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no sqlalchemy.url: run migrations through `frontdesk migrate`")
    db = Database(url)
    try:
        async with db.engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await db.dispose()


existing = config.attributes.get("connection")
if existing is not None:
    _run(existing)
else:
    asyncio.run(_main())
