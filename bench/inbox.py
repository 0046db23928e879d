"""The staff inbox's list at 10,000 conversations: server time of GET /api/v1/conversations.

    .venv/bin/python -m bench.inbox              # SQLite
    .venv/bin/python -m bench.inbox --postgres   # SQLite and PostgreSQL (127.0.0.1:5432, trust auth)

Seeds one workspace with 10,000 conversations and ~50,000 messages (plus a second workspace of the
same size, so every query has to stay inside its own), a pending draft in a third of them, a reading
in each, tags, priorities and assignees; then times the list page (50 rows) in-process through the
real app (ASGI, with auth and serialisation) for each view, a filter, a search on message text and a
search on a name, and the counts. The target (issue 16): p95 <= 50 ms for the list page.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from bench.common import create_pg_database, drop_pg_database, pct, summary_ms
from core.messages import utcnow

TARGET_MS = 50.0
WORDS = (
    "booking", "cancel", "refund", "colour", "cut", "Saturday", "Sunday", "price", "parking", "voucher", "nails",
    "late", "appointment", "tomorrow", "morning", "evening", "please", "thanks", "hello", "question", "card",
    "paid", "twice", "broken", "dryer",
)  # fmt: skip
CASES: dict[str, dict[str, str]] = {
    "all": {},
    "waiting": {"view": "waiting"},
    "mine": {"view": "mine"},
    "unassigned": {"view": "unassigned"},
    "filter: tag + priority": {"tag": "vip", "priority": "high"},
    "search: message text": {"q": "paid twice"},
    "search: contact name": {"q": "customer 4242"},
    "counts: search message text": {"q": "paid twice"},  # the page's tabs with that search
}


def _messages(workspace_id: str, conversation_id: str, at: Any, per: int, rnd: random.Random) -> list[dict[str, Any]]:
    """`per` messages of 6-20 words, the customer and the assistant in turn, the last at `at`."""
    return [
        {
            "id": str(uuid.uuid4()),
            "workspace_id": workspace_id,
            "conversation_id": conversation_id,
            "direction": "in" if k % 2 == 0 else "out",
            "author": "contact" if k % 2 == 0 else "assistant",
            "kind": "message",
            "text": " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(6, 20))),
            "attachments": [],
            "citations": [],
            "status": "received",
            "created_at": at - timedelta(seconds=per - 1 - k),
        }
        for k in range(per)
    ]


async def _seed(db: Any, workspace_id: str, user_id: str, *, conversations: int, per: int, rnd: random.Random) -> None:
    from core.models import Contact, Conversation, Draft, Message
    from understanding.models import ConversationReading

    now = utcnow()
    batch = 1000
    for start in range(0, conversations, batch):
        contacts, convs, messages, drafts, readings = [], [], [], [], []
        for n in range(start, min(start + batch, conversations)):
            contact_id, conv_id = str(uuid.uuid4()), str(uuid.uuid4())
            at = now - timedelta(minutes=conversations - n)
            contacts.append(
                {"id": contact_id, "workspace_id": workspace_id, "display_name": f"Customer {n}", "created_at": at}
            )
            status = rnd.choice(("open", "waiting", "closed", "closed"))
            convs.append(
                {
                    "id": conv_id,
                    "workspace_id": workspace_id,
                    "contact_id": contact_id,
                    "channel": rnd.choice(("web", "telegram", "whatsapp")),
                    "account": "bench",
                    "thread": f"t{n}",
                    "status": status,
                    "priority": rnd.choice(("low", "normal", "normal", "high")),
                    "tags": rnd.sample(("vip", "refund", "new", "regular"), rnd.randint(0, 2)),
                    "assigned_user_id": user_id if rnd.random() < 0.1 else None,
                    "bot_paused": False,
                    "last_message_at": at,
                    "created_at": at,
                }
            )
            messages += _messages(workspace_id, conv_id, at, per, rnd)
            if status == "waiting":
                drafts.append(
                    {
                        "id": str(uuid.uuid4()),
                        "workspace_id": workspace_id,
                        "conversation_id": conv_id,
                        "text": "",
                        "citations": [],
                        "grounded": False,
                        "source": "none",
                        "decision": "handoff",
                        "state": "pending",
                        "created_at": at,
                    }
                )
            readings.append(
                {
                    "conversation_id": conv_id,
                    "workspace_id": workspace_id,
                    "intent": rnd.choice(("hours", "booking", "refund")),
                    "sentiment": rnd.choice(("positive", "neutral", "negative")),
                    "sentiment_history": [],
                    "summarized_messages": 0,
                    "updated_at": at,
                }
            )
        async with db.session() as s:
            for model, rows in (
                (Contact, contacts), (Conversation, convs), (Message, messages), (Draft, drafts),
                (ConversationReading, readings),
            ):  # fmt: skip
                if rows:
                    await s.execute(insert(model), rows)


async def _measure(url: str, *, conversations: int, per: int, rounds: int) -> dict[str, Any]:
    import bot.schema  # noqa: F401  (every package's tables)
    from bot.app import create_app
    from bot.runtime import Runtime
    from bot.settings import Settings
    from core.db import Database
    from core.migrate import upgrade
    from core.models import Membership, User
    from core.workspaces import create_workspace, issue_token

    db = Database(url)
    await upgrade(db)
    rnd = random.Random(16)
    async with db.session() as s:
        user = User(email=f"staff-{uuid.uuid4().hex[:6]}@example.com", name="Staff")
        s.add(user)
        await s.flush()
        mine = await create_workspace(s, name="Bench Salon")
        other = await create_workspace(s, name="Other Salon")
        s.add(Membership(workspace_id=mine.workspace.id, user_id=user.id, role="owner"))
        token = await issue_token(s, workspace_id=mine.workspace.id, user_id=user.id, name="bench")
    started = time.perf_counter()
    for ws in (mine.workspace.id, other.workspace.id):
        await _seed(db, ws, user.id, conversations=conversations, per=per, rnd=rnd)
    seeded = time.perf_counter() - started
    if db.engine.dialect.name == "postgresql":
        # Autovacuum would gather the new tables' statistics within a minute of the bulk load (without
        # them the planner takes 10,000 rows for a handful and scans instead of using the indexes) and
        # clear the search documents' old versions (each message's insert rewrote its conversation's).
        async with db.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("VACUUM ANALYZE")
    await db.dispose()

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        data_dir=Path(tempfile.mkdtemp(prefix="bench-inbox-")),
        secret_key="bench-secret-key-0123456789",
        log_json=False,
    )
    runtime = Runtime.build(settings)
    app = create_app(runtime, worker=False)
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[str, Any] = {"seed_seconds": seeded, "cases": {}}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        for name, params in [*CASES.items(), ("counts", {})]:
            path = "/api/v1/conversations/counts" if name.startswith("counts") else "/api/v1/conversations"
            r = await http.get(path, headers=headers, params=params)  # warm up (and check it answers)
            assert r.status_code == 200, r.text
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                r = await http.get(path, headers=headers, params=params)
                times.append(time.perf_counter() - t0)
            body = r.json()
            results["cases"][name] = {
                **summary_ms(times),
                "p95": pct(times, 95) * 1000,
                "rows": len(body.get("items", [])),
                "total": body.get("total", body.get("all")),
                "capped": body.get("total_capped", False),
            }
    await runtime.close()
    return results


async def run(*, postgres: bool, conversations: int = 10_000, per: int = 5, rounds: int = 100) -> dict[str, Any]:
    if postgres:
        name, url = await create_pg_database()
        try:
            return await _measure(url, conversations=conversations, per=per, rounds=rounds)
        finally:
            await drop_pg_database(name)
    with tempfile.TemporaryDirectory() as tmp:
        return await _measure(
            f"sqlite+aiosqlite:///{tmp}/inbox.db", conversations=conversations, per=per, rounds=rounds
        )


def report(results: dict[str, Any]) -> str:
    lines = [f"seeded in {results['seed_seconds']:.0f} s; GET /api/v1/conversations, 50 rows, in-process (ASGI):"]
    for name, r in results["cases"].items():
        ok = "MET" if r["p95"] <= TARGET_MS else "NOT MET"
        total = f"{r['total']}{'+' if r.get('capped') else ''}"
        lines.append(f"  {name:<28} p50 {r['median']:5.1f} ms  p95 {r['p95']:.1f} ms  ({total} match)  {ok}")
    return "\n".join(lines)


def target_line(results: dict[str, dict[str, Any]]) -> str:
    worst = max((r["p95"], name, db) for db, res in results.items() for name, r in res["cases"].items())
    return (
        f"target: inbox list p95 <= {TARGET_MS:g} ms at 10k conversations: "
        f"{'MET' if worst[0] <= TARGET_MS else 'NOT MET'} (worst p95 {worst[0]:.1f} ms: {worst[1]}, {worst[2]})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inbox", description=__doc__)
    parser.add_argument("--postgres", action="store_true", help="Also run on PostgreSQL.")
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    results = {}
    for db in ["sqlite", "postgres"] if args.postgres else ["sqlite"]:
        print(f"== inbox on {db} ...", flush=True)
        results[db] = asyncio.run(run(postgres=db == "postgres", conversations=args.conversations, rounds=args.rounds))
        print(report(results[db]), flush=True)
    print(target_line(results))


if __name__ == "__main__":
    main()
