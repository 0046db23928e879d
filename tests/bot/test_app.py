"""The app's own guards, whatever the route: input no database can store is a 4xx, and an error no
handler took is a 500 whose log says where, never what the caller sent."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import Request
from sqlalchemy import func, select

from bot.app import create_app
from bot.runtime import Runtime
from core.logs import PlainFormatter
from core.models import Assistant
from tests.support import new_workspace


async def test_an_unexpected_error_is_a_500_logged_without_the_body_or_secrets(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(runtime, worker=False)
    marker, token = "customer-words-5c1e", "fd_" + "s" * 40

    @app.post("/api/v1/bug")
    async def bug(request: Request) -> None:  # a route with a bug that echoes its input in the error
        body = (await request.body()).decode()
        raise KeyError(f"{body} {request.headers['authorization']}")

    caplog.set_level(logging.DEBUG)
    # The default transport re-raises whatever escapes the app: the test fails if the error does.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        r = await client.post("/api/v1/bug", json={"note": marker}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 500 and r.json() == {"detail": "internal error"}
    [record] = [rec for rec in caplog.records if rec.getMessage() == "unhandled error"]
    assert record.levelno == logging.ERROR
    assert vars(record)["error"] == "KeyError" and "/api/v1/bug" in vars(record)["path"]
    assert "in bug" in vars(record)["stack"]  # where it happened
    logged = "\n".join(PlainFormatter().format(rec) + str(vars(rec)) for rec in caplog.records)
    assert marker not in logged and token not in logged


async def test_lone_surrogates_are_refused_before_any_route_stores_them(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    """`\\ud800` is valid JSON, but neither SQLite nor PostgreSQL can store the string it makes."""
    new = await new_workspace(runtime.db)
    r = await web.post(
        "/api/v1/assistants",
        content=b'{"name": "Lone \\ud800 surrogate"}',
        headers={"content-type": "application/json", "Authorization": f"Bearer {new.token}"},
    )
    assert r.status_code == 422, r.text
    async with runtime.db.reader() as s:
        assert (await s.execute(select(func.count()).select_from(Assistant))).scalar_one() == 1
