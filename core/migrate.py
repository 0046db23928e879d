"""Schema migrations (Alembic) run from code: `frontdesk migrate`, the Procfile's release, /readyz.

Core knows its own tables and revisions only. A package that adds tables registers them here with
`register(models, versions)`: the module that declares them on core.models.Base, and the directory
of its Alembic revisions as "package:directory". The composition root registers every package
before anything migrates. A package's first revision branches off core's initial schema ("0001");
`upgrade` brings every branch to its head.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection

    from core.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"  # env.py, the revision template, core's versions/


@dataclass(frozen=True)
class SchemaPart:
    """A package's tables: `models` declares them on core.models.Base; `versions` ("package:directory")
    holds the Alembic revisions that create them, or is None when core's own revisions do."""

    models: str
    versions: str | None


CORE = SchemaPart("core.models", str(MIGRATIONS / "versions"))
_registered: dict[str, SchemaPart] = {}


def register(models: str, versions: str | None = None) -> None:
    """Add a package's tables and revisions to the schema (registering the same ones again is a no-op)."""
    part = SchemaPart(models, versions)
    if _registered.setdefault(models, part) != part:
        raise ValueError(f"{models} is already registered with {_registered[models].versions!r}")


def schema() -> tuple[SchemaPart, ...]:
    """Core's part, then every registered one. Refuses to answer before anything registered: a
    schema of core alone would migrate half the tables and report itself up to date."""
    if not _registered:
        raise RuntimeError("no package registered its tables: the composition root registers them before migrating")
    return (CORE, *_registered.values())


# What core's revision 0021 creates beside the models for conversation search (core.search): SQLite's
# FTS5 table with the tables it keeps its index in, PostgreSQL's table and its GIN index. No model
# declares them, so comparing the models with the database leaves them out.
SEARCH_OBJECTS = frozenset({"conversation_search", "ix_conversation_search"})


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter for comparing the models with a database: everything but conversation search."""
    if type_ == "table" and name is not None and name.startswith("conversation_search"):
        return False
    return name not in SEARCH_OBJECTS


def load_models() -> MetaData:
    """Every table the schema declares (migrations and their check compare the database with it)."""
    for part in schema():
        importlib.import_module(part.models)
    from core.models import Base

    return Base.metadata


def _directory(versions: str) -> str:
    """Where "package:directory" is, found without running any package's __init__ (Alembic's own
    lookup imports the package, and a channel's package imports its SDK, the admin its routers)."""
    package, sep, directory = versions.partition(":")
    if not sep:
        return versions
    top, *subpackages = package.split(".")
    spec = importlib.util.find_spec(top)  # a top-level package's spec is found without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"{versions}: no package {top}")
    return str(Path(next(iter(spec.submodule_search_locations)), *subpackages, directory))


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "newline")  # one directory a line
    config.set_main_option("version_locations", "\n".join(_directory(p.versions) for p in schema() if p.versions))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revisions() -> frozenset[str]:
    """Every head: packages add their tables on their own branch off the initial schema."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


async def upgrade(db: Database) -> None:
    """Bring the schema to every head. Safe to run on every start and from several processes."""
    from alembic import command

    config = alembic_config(db.url)
    config.attributes["revisions_only"] = True  # env.py then imports no models

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        if connection.dialect.name == "postgresql":
            # Two processes migrating at once would race; the advisory lock makes them take turns.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7250412)")
        command.upgrade(config, "heads")

    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def current_revisions(db: Database) -> frozenset[str]:
    from alembic.runtime.migration import MigrationContext

    def _current(connection: Connection) -> frozenset[str]:
        return frozenset(MigrationContext.configure(connection).get_current_heads())

    async with db.read_engine.connect() as connection:
        return await connection.run_sync(_current)
