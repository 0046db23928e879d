"""The web chat benchmark's baseline: a bare FastAPI endpoint doing one durable SQLite insert.

    .venv/bin/python -m bench.bare_chat --port 8123 --db /tmp/bare.db

`POST /api/v1/chat` takes the same body as frontdesk's (agent, session_id, message, validated by a
pydantic model), writes one row in one transaction on one connection (WAL, synchronous=NORMAL, the
product's settings; writers queue on an asyncio.Lock as the product's do) and answers 200 with the row's
id. No auth, no pipeline, no reply: what the fastest possible chat endpoint on this stack costs, so
`bench.webchat` can say how far frontdesk is from it in the same run (issue 18: >= 0.5x). Served by
uvicorn with uvloop and httptools when installed, as `frontdesk serve` is. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from fastapi import FastAPI
from pydantic import BaseModel, Field


class ChatIn(BaseModel):
    agent: str = Field(min_length=1, max_length=100)
    session_id: str = Field(min_length=8, max_length=100)
    message: str = Field(min_length=1, max_length=4000)


def build(db_path: str) -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        db = await aiosqlite.connect(db_path)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute(
            "CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, agent TEXT, session TEXT, text TEXT, at REAL)"
        )
        await db.commit()
        state["db"], state["lock"] = db, asyncio.Lock()
        yield
        await db.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/chat")
    async def chat(body: ChatIn) -> dict[str, str]:
        row_id = str(uuid.uuid4())
        async with state["lock"]:
            await state["db"].execute(
                "INSERT INTO messages VALUES (?, ?, ?, ?, ?)",
                (row_id, body.agent, body.session_id, body.message, time.time()),
            )
            await state["db"].commit()
        return {"status": "accepted", "id": row_id}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="A bare FastAPI chat endpoint: one durable SQLite insert.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True, help="The SQLite file to write.")
    args = parser.parse_args()
    uvicorn.run(build(args.db), host="127.0.0.1", port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
