"""Schema migrations (Alembic) run from code: `frontdesk migrate`, the Procfile's release, /readyz."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from core.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Every module that declares tables on core.models.Base: migrations and their check import them all.
MODEL_MODULES = (
    "core.models",
    "rules.models",
    "kb.models",
    "channels.slack.models",
    "understanding.models",
    "admin.auth.models",
    "staff.models",
)


def load_models() -> MetaData:
    for module in MODEL_MODULES:
        importlib.import_module(module)
    from core.models import Base

    return Base.metadata


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revisions() -> frozenset[str]:
    """Every head: features add their tables on their own branch off the initial schema."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


async def upgrade(db: Database) -> None:
    """Bring the schema to every head. Safe to run on every start and from several processes."""

    def _upgrade(connection: Connection) -> None:
        config = alembic_config(db.url)
        config.attributes["connection"] = connection
        if connection.dialect.name == "postgresql":
            # Two processes migrating at once would race; the advisory lock makes them take turns.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7250412)")
        command.upgrade(config, "heads")

    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def current_revisions(db: Database) -> frozenset[str]:
    def _current(connection: Connection) -> frozenset[str]:
        return frozenset(MigrationContext.configure(connection).get_current_heads())

    async with db.read_engine.connect() as connection:
        return await connection.run_sync(_current)
