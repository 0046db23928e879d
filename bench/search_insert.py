"""What a message's insert costs with the conversation's search document kept by triggers (core's
revision 0021) against revision 0013's one index entry per message, in a conversation that already
holds 200 messages: one transaction per insert, the two revisions alternating on one database.

    .venv/bin/python -m bench.search_insert              # SQLite
    .venv/bin/python -m bench.search_insert --postgres   # SQLite and PostgreSQL (127.0.0.1:5432)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from typing import Any

from alembic import command
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from bench.common import create_pg_database, drop_pg_database
from bench.inbox import WORDS


async def _measure(url: str, *, before: int, rounds: int, per_round: int) -> dict[str, float]:
    import bot.schema  # noqa: F401  (every package's tables)
    from core.db import Database
    from core.migrate import alembic_config, upgrade
    from core.models import Contact, Conversation, Message
    from core.workspaces import create_workspace

    db = Database(url)
    await upgrade(db)
    rnd = random.Random(21)
    async with db.session() as s:
        ws = (await create_workspace(s, name="Bench Salon")).workspace.id
        contact = (await s.execute(insert(Contact).values(workspace_id=ws).returning(Contact.id))).scalar_one()
        values = {"workspace_id": ws, "contact_id": contact, "channel": "web", "account": "a", "thread": "t"}
        conversation = (
            await s.execute(insert(Conversation).values(**values, tags=[]).returning(Conversation.id))
        ).scalar_one()

    async def inserts(n: int) -> list[float]:
        times = []
        for _ in range(n):
            text = " ".join(rnd.choice(WORDS) for _ in range(15))
            started = time.perf_counter()
            async with db.session() as s:
                message = {"workspace_id": ws, "conversation_id": conversation, "direction": "in", "text": text}
                await s.execute(insert(Message).values(**message, author="contact", attachments=[], citations=[]))
            times.append((time.perf_counter() - started) * 1000)
        return times

    config = alembic_config(url)

    def move(to: str) -> Any:
        def run(connection: Connection) -> None:
            config.attributes["connection"] = connection
            if to == "0019":
                command.downgrade(config, "0019")  # revision 0013's per-message index
            else:
                command.upgrade(config, "heads")

        return run

    await inserts(before)
    times: dict[str, list[float]] = {"0021": [], "0013": []}
    for _ in range(rounds):
        for revision in ("0021", "0013"):
            async with db.engine.begin() as connection:
                await connection.run_sync(move("0019" if revision == "0013" else "heads"))
            times[revision] += await inserts(per_round)
    async with db.engine.begin() as connection:
        await connection.run_sync(move("heads"))
    await db.dispose()
    return {revision: statistics.median(t) for revision, t in times.items()}


async def run(*, postgres: bool, before: int = 200, rounds: int = 3, per_round: int = 30) -> dict[str, float]:
    if postgres:
        name, url = await create_pg_database()
        try:
            return await _measure(url, before=before, rounds=rounds, per_round=per_round)
        finally:
            await drop_pg_database(name)
    with tempfile.TemporaryDirectory() as tmp:
        return await _measure(f"sqlite+aiosqlite:///{tmp}/insert.db", before=before, rounds=rounds, per_round=per_round)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search_insert", description=__doc__)
    parser.add_argument("--postgres", action="store_true", help="Also run on PostgreSQL.")
    args = parser.parse_args()
    for db in ["sqlite", "postgres"] if args.postgres else ["sqlite"]:
        found = asyncio.run(run(postgres=db == "postgres"))
        print(
            f"{db}: a message's insert after 200, p50: {found['0021']:.2f} ms with revision 0021's "
            f"conversation documents, {found['0013']:.2f} ms with 0013's per-message index",
            flush=True,
        )


if __name__ == "__main__":
    main()
