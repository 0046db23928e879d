"""Schemathesis against the app's own OpenAPI schema, in process (ASGI, no network): whatever a
client sends to any operation, the answer is never a 5xx.

Bounded and deterministic: a fixed seed, derandomized generation, a fixed number of examples per
operation, no example database; on SQLite and on PostgreSQL. Requests carry a real owner token of a
workspace that has an assistant, a channel, a conversation, a draft and a rule; the ids of those
replace the generated path parameters of the same name, and the workspace's id any generated
X-Frontdesk-Workspace, so the generated bodies reach the handlers instead of stopping at a 404
(other ids, the query and the body stay as generated; auth itself is left to tests/admin).

Two operations would end the run for everything after them: logging out (revokes the token) and
deleting the workspace. They run, but each example on a throwaway owner and workspace of its own.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from argon2 import PasswordHasher
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi

from admin.auth import service as auth_service
from admin.deps import WORKSPACE_HEADER
from bot.app import create_app
from bot.runtime import Runtime
from tests.conftest import fresh_pg_database, make_settings, migrate_database

SEED = 14
EXAMPLES = 50  # per operation, in the fuzzing phase; the coverage phase adds its boundary cases
API = "/api/v1"
THROWAWAYS = 150  # owners made ahead for them; the two operations use 116 of them in all
THROWAWAY = {("POST", f"{API}/auth/logout"), ("DELETE", f"{API}/workspaces/{{workspace_id}}")}
FIXED_IDS = ("workspace_id", "assistant_id", "connection_id", "conversation_id", "draft_id", "rule_id")


class Run:
    """What the fuzz run found: requests sent and the 5xx among them."""

    def __init__(self) -> None:
        self.requests = 0
        self.errors: list[str] = []
        self.operations: set[str] = set()
        self.statuses: Counter[int] = Counter()
        self.started = time.monotonic()


async def _workspace(db_url: str, data_dir: Path) -> dict[str, str]:
    """An owner with one of each thing the API edits, made through the API as a user would."""
    runtime = Runtime.build(make_settings(db_url, data_dir))
    app = create_app(runtime, worker=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            session = await _register(c)
            auth = {"Authorization": f"Bearer {session['token']}"}
            ws = session["workspace"]["id"]
            assistant = (await c.get(f"{API}/assistants", headers=auth)).json()[0]
            channel = await c.post(f"{API}/channels", headers=auth, json={"kind": "slack", "account": "TFUZZ"})
            rule = await c.post(
                f"{API}/context/workspaces/{ws}/rules/",
                headers=auth,
                json={
                    "name": "tag",
                    "trigger": {"type": "message_received"},
                    "actions": [{"type": "add_tags", "tags": ["fuzz"]}],
                },
            )
            chat = await c.post(f"{API}/chat", json={"agent": assistant["slug"], "message": "Open on Sunday?"})
            assert channel.status_code == 201 and rule.status_code == 201 and chat.status_code == 200, rule.text
            await runtime.worker().drain()
            conversation = (await c.get(f"{API}/conversations", headers=auth)).json()["items"][0]
            draft = (await c.get(f"{API}/drafts", headers=auth)).json()["items"][0]
        return {
            "token": session["token"],
            "workspace_id": ws,
            "assistant_id": assistant["id"],
            "connection_id": channel.json()["id"],
            "conversation_id": conversation["id"],
            "draft_id": draft["id"],
            "rule_id": rule.json()["id"],
        }
    finally:
        await runtime.close()


async def _throwaways(db_url: str, data_dir: Path, count: int) -> list[tuple[str, str]]:
    """Owners (token, workspace id) for the operations that end a session or a workspace, made
    through the service ahead of the run, each from an address of its own: made during the run,
    from one test client's address, they would meet the sign-in throttle like anyone else."""
    runtime = Runtime.build(make_settings(db_url, data_dir))
    try:
        made = []
        for i in range(count):
            owner = _owner("Gone")
            _, workspace, _, token = await auth_service.register(
                runtime.db, **owner, address=f"198.18.{i // 250}.{i % 250 + 1}"
            )
            made.append((token, workspace.id))
        return made
    finally:
        await runtime.close()


def _owner(name: str) -> dict[str, str]:
    """A registration body: a new owner and a workspace of their own."""
    return {"email": f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com", "password": "correct horse battery",
            "name": name, "workspace_name": f"{name} Salon"}  # fmt: skip


async def _register(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.post(f"{API}/auth/register", json=_owner("Fuzz"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def _openapi() -> dict[str, Any]:
    """The schema as the app serves it; building the app opens no database."""
    settings = make_settings("sqlite+aiosqlite:///:memory:", Path(tempfile.gettempdir()))
    return create_app(Runtime.build(settings), worker=False).openapi()


# Loaded at import, like any schemathesis test: one test per operation. Headers and ids are the
# fixture's, applied in the test (they exist only once the fixture has made the workspace).
schema = schemathesis.openapi.from_dict(
    _openapi(),
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
        }
    ),
).exclude(
    # The live feed's stream does not end, and the ASGI client waits for the end of a response;
    # tests/staff/test_live_feed.py reads it over a real socket.
    method="GET",
    path="/api/v1/events",
)


@dataclass(frozen=True)
class Served:
    app: Any
    ids: dict[str, str]
    run: Run
    throwaways: list[tuple[str, str]]


@contextmanager
def _database(kind: str, data_dir: Path) -> Iterator[str]:
    """A migrated database of the run's own: what the fuzz leaves behind is dropped with it."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{data_dir / 'frontdesk.db'}"
        asyncio.run(migrate_database(url))
        yield url
        return
    with fresh_pg_database("fd_fuzz") as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app on a migrated database with one owner's workspace, served in schemathesis' event loop
    (its ASGI client starts the lifespan there on first use)."""
    data_dir = tmp_path_factory.mktemp("fuzz")
    with _database(request.param, data_dir) as url, pytest.MonkeyPatch.context() as mp:
        # Production argon2 costs ~50 ms a hash; login and register are fuzzed like the rest.
        mp.setattr(auth_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        auth_service._dummy_hash.cache_clear()
        ids = asyncio.run(_workspace(url, data_dir))
        throwaways = asyncio.run(_throwaways(url, data_dir, THROWAWAYS))
        # The customer's chat answers at once (no worker here): what is measured is the request.
        app = create_app(Runtime.build(make_settings(url, data_dir, chat_wait_seconds=0.0)), worker=False)
        run = Run()
        try:
            yield Served(app, ids, run, throwaways)
        finally:
            asgi.shutdown_lifespans()
            auth_service._dummy_hash.cache_clear()
            print(
                f"\nschemathesis on {request.param}: {len(run.operations)} operations, {run.requests} requests, "
                f"{len(run.errors)} with 5xx, {time.monotonic() - run.started:.0f} s, "
                f"{THROWAWAYS - len(throwaways)} throwaway owners used; {sorted(run.statuses.items())}"
            )
            for error in run.errors:
                print(error)


@schema.parametrize()
def test_no_request_gets_a_5xx(case: Any, served: Served) -> None:
    app, ids, run = served.app, served.ids, served.run
    token = ids["token"]
    path_ids = {name: ids[name] for name in FIXED_IDS}
    if (case.method.upper(), case.path) in THROWAWAY:
        assert served.throwaways, "more examples of logout and workspace deletion than THROWAWAYS"
        token, path_ids["workspace_id"] = served.throwaways.pop()
    for name in set(case.path_parameters or {}) & set(path_ids):
        case.path_parameters[name] = path_ids[name]
    if case.headers and WORKSPACE_HEADER in case.headers:
        case.headers[WORKSPACE_HEADER] = path_ids["workspace_id"]
    response = case.call(app=app, headers={"Authorization": f"Bearer {token}"})
    run.requests += 1
    run.operations.add(case.operation.label)
    run.statuses[response.status_code] += 1
    if response.status_code >= 500:
        run.errors.append(f"{case.method.upper()} {case.path}: {response.status_code} {response.text[:200]}")
    assert response.status_code < 500, case.as_curl_command()
