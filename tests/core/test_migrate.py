"""The schema's revisions, each package's in its own directory: same ids and parents as when they
all lived in core/migrations/versions, so a database migrated before the move upgrades cleanly."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from core.db import Database
from core.migrate import (
    alembic_config,
    current_revisions,
    head_revisions,
    include_name,
    load_models,
    register,
    schema,
    upgrade,
)
from tests.conftest import fresh_pg_database

# Every revision as it was when they all lived in core/migrations/versions: id → the one it revises.
BEFORE_THE_MOVE = {
    "0001": None,
    "0002": "0001",
    "0003": "0001",
    "0004": "0001",
    "0006": "0002",
    "0007": "0001",
    "0008": "0001",
    "0009": "0003",
    "0010": "0001",
}


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.db"
        return
    with fresh_pg_database("fd_migrate", migrated=False) as url:
        yield url


def old_layout(tmp_path: Path, url: str) -> Config:
    """Every revision that existed before the move, in one directory, as core/migrations/versions
    held them all (revisions added since, like the audit log's, arrive with the upgrade)."""
    one = tmp_path / "versions"
    one.mkdir()
    for revision in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions():
        assert revision.path is not None
        if revision.revision in BEFORE_THE_MOVE:
            shutil.copy(revision.path, one)
    config = alembic_config(url)
    config.set_main_option("version_locations", str(one))
    return config


async def run_alembic(db: Database, config: Config, *targets: str) -> None:
    def go(connection: Connection) -> None:
        config.attributes["connection"] = connection
        for target in targets:
            command.upgrade(config, target)

    async with db.engine.begin() as connection:
        await connection.run_sync(go)


async def differences(db: Database) -> list[object]:
    metadata = load_models()

    def diff(connection: Connection) -> list[object]:
        return list(
            compare_metadata(MigrationContext.configure(connection, opts={"include_name": include_name}), metadata)
        )

    async with db.engine.connect() as connection:
        return await connection.run_sync(diff)


def test_revisions_keep_their_ids_parents_and_branch_labels() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = {r.revision: r for r in script.walk_revisions()}
    assert {rev: revisions[rev].down_revision for rev in BEFORE_THE_MOVE} == BEFORE_THE_MOVE
    assert all(not revisions[rev].branch_labels for rev in BEFORE_THE_MOVE)
    # Each package's revisions live next to its models; core's own stay in core.
    root = Path(__file__).parents[2]
    where = {rev: Path(str(revisions[rev].path)).parent.relative_to(root).as_posix() for rev in BEFORE_THE_MOVE}
    assert where == {
        "0001": "core/migrations/versions",
        "0002": "core/migrations/versions",
        "0006": "core/migrations/versions",
        "0003": "kb/migrations",
        "0009": "kb/migrations",
        "0004": "rules/migrations",
        "0007": "channels/slack/migrations",
        "0008": "understanding/migrations",
        "0010": "admin/auth/migrations",
    }


def test_the_schema_is_core_then_every_registered_package() -> None:
    parts = schema()
    assert parts[0].models == "core.models"
    assert {p.models for p in parts} >= {
        "core.models",
        "admin.auth.models",
        "kb.models",
        "understanding.models",
        "rules.models",
        "channels.slack.models",
    }
    register("kb.models", "kb:migrations")  # the same registration again changes nothing
    assert schema() == parts
    with pytest.raises(ValueError, match="already registered"):
        register("kb.models", "elsewhere:migrations")
    assert schema() == parts


@pytest.mark.parametrize(
    "migrated_to",
    [("0001",), ("0003", "0006"), ("heads",)],
    ids=["initial-schema", "some-branches", "every-head"],
)
async def test_a_database_migrated_before_the_move_upgrades_cleanly(
    empty_db_url: str, tmp_path: Path, migrated_to: tuple[str, ...]
) -> None:
    db = Database(empty_db_url)
    try:
        await run_alembic(db, old_layout(tmp_path, empty_db_url), *migrated_to)
        before = await current_revisions(db)
        assert before and before <= set(BEFORE_THE_MOVE)
        await upgrade(db)
        assert await current_revisions(db) == head_revisions()
        assert await differences(db) == []
        await upgrade(db)  # and again: nothing left to do
        assert await current_revisions(db) == head_revisions()
    finally:
        await db.dispose()
