"""Shared fixtures: a real SQLite file and the real PostgreSQL server, the Runtime, an HTTP client.

The storage and worker suites run on both databases. With CI=true an unreachable PostgreSQL fails
the run instead of skipping it.

Under pytest-xdist (`make test` runs `pytest -n`) each worker is a process of its own: its
PostgreSQL databases carry its id (XDIST_WORKER), its files go under its own tmp_path, its servers
bind free ports, and the tests that share a module-scoped fixture (a live server, a fuzzed app)
run together on one worker, so that fixture is set up once (pytest_collection_modifyitems).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import bot.schema  # noqa: F401  (every package's tables, for the migrated templates)
from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from core.db import Database
from core.migrate import upgrade

PG_ADMIN_URL = os.environ.get("FRONTDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under pytest -n
TABLES = (
    "delivery_events",
    "outbox",
    "drafts",
    "messages",
    "inbox",
    "conversations",
    "contact_identities",
    "contacts",
    "channel_connections",
    "assistants",
    "api_tokens",
    "login_throttle",
    "memberships",
    "users",
    "workspaces",
)


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def migrate_database(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `pytest -n --dist loadgroup`, the tests that use one of our module-scoped fixtures
    (per database, when it is parametrized) go to one worker: else each worker that got one of
    them would start its own server and database for the same module."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        callspec = getattr(item, "callspec", None)
        for name, defs in info.name2fixturedefs.items() if info else ():
            if defs[-1].scope == "module" and defs[-1].baseid:  # ours (a plugin's has no baseid)
                param = callspec.params.get(name, "") if callspec else ""
                item.add_marker(pytest.mark.xdist_group(f"{item.nodeid.split('::')[0]}[{param}]"))
                break


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "frontdesk.db"
    asyncio.run(migrate_database(f"sqlite+aiosqlite:///{path}"))
    return path


@contextmanager
def fresh_pg_database(prefix: str, *, migrated: bool = True) -> Iterator[str]:
    """A PostgreSQL database of its own (migrated unless told), dropped afterwards; unreachable
    fails in CI."""
    name = f"{prefix}_{XDIST_WORKER}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is unreachable in CI: {exc!r}")
        pytest.skip(f"PostgreSQL unreachable: {exc!r}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        if migrated:
            asyncio.run(migrate_database(f"{base}/{name}"))
        yield f"{base}/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    with fresh_pg_database("fd_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "frontdesk.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    asyncio.run(_truncate(url))
    return url


async def _truncate(url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            from sqlalchemy import text

            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    finally:
        await db.dispose()


def make_settings(db_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "dev": False,
        "data_dir": data_dir,
        "database_url": db_url,
        "secret_key": "test-secret-key-0123456789",
        "chat_wait_seconds": 5.0,
        "worker_poll_seconds": 0.2,
        "log_json": False,
        "outbox_backoff_seconds": 0.05,
        "llm_timeout_seconds": 2.0,
        "llm_max_retries": 0,
        # Off here so the fake LLM's scripted answers go to the draft; tests/understanding turn it on.
        "understanding_llm": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime.build(settings)
    yield rt
    await rt.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI, with the in-process worker and outbox sender running."""
    app = create_app(runtime)
    await runtime.start(worker=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as c:
        yield c


@pytest.fixture
async def web(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI without its background loops: the test drives the worker and the outbox
    (`runtime.worker().drain()`, `runtime.sender().run_once()`), so every step is deterministic."""
    app = create_app(runtime, worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
