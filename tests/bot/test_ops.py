"""Health, readiness, metrics, and logs that never carry a secret."""

from __future__ import annotations

import io
import json
import logging
import uuid
from pathlib import Path

import httpx

from bot.app import create_app
from bot.runtime import Runtime
from core.logs import REDACT, JsonFormatter, PlainFormatter
from tests.conftest import make_settings
from tests.support import new_workspace


async def test_health_ready_and_metrics(client: httpx.AsyncClient, runtime: Runtime) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["migrations"] == "ok"
    new = await new_workspace(runtime.db)
    await client.post(
        "/api/v1/chat", json={"agent": new.assistant.slug, "message": "hi", "session_id": str(uuid.uuid4())}
    )
    text = (await client.get("/metrics")).text
    assert 'frontdesk_inbox_accepted_total{channel="web"}' in text
    assert 'frontdesk_inbox_depth{state="pending"} 0.0' in text
    assert 'frontdesk_outbox_pending{state="pending"}' in text
    assert 'frontdesk_stage_seconds_count{stage="draft"}' in text
    assert "frontdesk_llm_errors_total" in text


async def test_not_ready_when_the_schema_is_not_migrated(tmp_path: Path) -> None:
    runtime = Runtime.build(make_settings(f"sqlite+aiosqlite:///{tmp_path}/empty.db", tmp_path))
    app = create_app(runtime, worker=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.get("/readyz")
            assert r.status_code == 503 and r.json()["migrations"].startswith("at []")
            assert (await c.get("/healthz")).status_code == 200
    finally:
        await runtime.close()


def test_logs_mask_tokens_and_configured_secrets() -> None:
    REDACT.add("my-very-secret-signing-key")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("frontdesk.test.redaction")
    logger.propagate = False
    logger.addHandler(handler)
    secrets = [
        "fd_" + "a" * 40,
        "sk-proj-abcdefghijklmnop",
        "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "xoxb-1234567890-abcdefghij",
        "my-very-secret-signing-key",
    ]
    try:
        for formatter in (JsonFormatter(), PlainFormatter()):
            handler.setFormatter(formatter)
            logger.warning(
                "calling with Authorization: Bearer %s and %s",
                secrets[0],
                secrets[1],
                extra={"token": secrets[2], "detail": f"slack {secrets[3]} key={secrets[4]}"},
            )
            logger.error("failed", extra={"config": {"auth_token": "twilio-auth-token-value"}})
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    for secret in [*secrets, "twilio-auth-token-value"]:
        assert secret not in output
    assert "[redacted]" in output
    json.loads(output.splitlines()[0])  # the JSON formatter still writes valid JSON


async def test_migrations_create_exactly_the_models(db_url: str) -> None:
    """Every table and column a feature adds to the models ships with its migration (on both databases)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.engine import Connection

    from core.db import Database
    from core.migrate import include_name, load_models

    metadata = load_models()

    def diff(connection: Connection) -> list[object]:
        return list(
            compare_metadata(MigrationContext.configure(connection, opts={"include_name": include_name}), metadata)
        )

    db = Database(db_url)
    try:
        async with db.engine.connect() as connection:
            assert await connection.run_sync(diff) == []
    finally:
        await db.dispose()
