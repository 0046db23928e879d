"""Telegram webhook ingest, side by side with a bare aiogram 3 webhook bot, in one run.

    .venv/bin/python -m bench.telegram                 # SQLite
    .venv/bin/python -m bench.telegram --postgres      # and PostgreSQL (127.0.0.1:5432)

- baseline: `python -m bench.aiogram_baseline` (aiohttp + aiogram's SimpleRequestHandler, a handler
  that does nothing, nothing stored);
- frontdesk: `frontdesk serve --no-worker` with a Telegram connection in webhook mode, so every
  acknowledged update has been checked, parsed by aiogram, deduplicated and committed to the inbox.

The worker is off on purpose: this measures what Telegram waits for (the acknowledgement), like for
like with a bot that does nothing. Each server takes --rounds rounds of --requests distinct updates
from --concurrency clients (aiohttp, keep-alive), alternating baseline and frontdesk so both see the
same machine noise; the median round of each is reported, and the ratio between them.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    PYTHON,
    ROOT,
    cpu_seconds,
    create_pg_database,
    drop_pg_database,
    free_port,
    stop_process,
    summary_ms,
    wait_http,
)
from bench.webchat import frontdesk, server_env
from tests.fakes.telegram_server import TOKEN, fake_telegram

SECRET = "bench-webhook-secret_0123456789"
P99_TARGET_MS = 25.0
_ids = itertools.count(1)


def update(i: int) -> bytes:
    user = 100_000 + i % 500  # 500 customers writing at once
    return json.dumps(
        {
            "update_id": 10_000_000 + i,
            "message": {
                "message_id": i,
                "date": int(time.time()),
                "chat": {"id": user, "type": "private", "first_name": "Ann"},
                "from": {"id": user, "is_bot": False, "first_name": "Ann", "language_code": "en"},
                "text": f"Hi! Can I book a haircut for Saturday? ({i})",
            },
        }
    ).encode()


async def drive(url: str, *, requests: int, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    todo = iter(range(requests))
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def lane() -> None:
            for _ in todo:
                body = update(next(_ids))
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except aiohttp.ClientError as exc:
                    statuses[f"error:{type(exc).__name__}"] += 1
                    continue
                statuses[str(status)] += 1
                if status == 200:
                    latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return {
        "ok": len(latencies),
        "wall_s": wall,
        "throughput": len(latencies) / wall if wall else float("nan"),
        "latency": summary_ms(latencies),
        "statuses": dict(statuses),
    }


def _start(cmd: list[str], env: dict[str, str] | None, cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)


def _connect_bot(env: dict[str, str], tmp: Path) -> str:
    """Migrate, create the workspace and connect its Telegram bot through the CLI: the connection's id."""
    frontdesk(["migrate"], env, tmp)
    frontdesk(["workspace", "create", "Bench Salon", "--json"], env, tmp)
    with fake_telegram() as fake:  # only for getMe while connecting the bot
        added = json.loads(
            frontdesk(
                ["channel", "add", "telegram", "--workspace", "bench-salon", "--token", TOKEN,
                 "--api-base", fake.url, "--webhook-secret", SECRET, "--json"],
                env,
                tmp,
            )
        )  # fmt: skip
    return str(added["id"])


async def _rounds(
    targets: dict[str, str], pids: dict[str, int], *, requests: int, concurrency: int, rounds: int
) -> dict[str, list[dict[str, Any]]]:
    """Each target driven in turn, `rounds` times, with the CPU its process spent per update."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, url in targets.items():
            # CPU per update is steadier than throughput on a shared machine: report both.
            cpu0 = cpu_seconds(pids[name])
            result = await drive(url, requests=requests, concurrency=concurrency)
            result["cpu_us_per_update"] = (cpu_seconds(pids[name]) - cpu0) / max(result["ok"], 1) * 1e6
            runs[name].append(result)
    return runs


def _median_round(items: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(items, key=lambda r: r["throughput"])
    return ordered[len(ordered) // 2]


async def run(*, postgres: bool, requests: int, concurrency: int, rounds: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-tg-"))
    pg_name = None
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if postgres:
            pg_name, db_url = await create_pg_database()
        else:
            db_url = f"sqlite+aiosqlite:///{tmp / 'frontdesk.db'}"
        env = server_env(tmp, db_url, "http://127.0.0.1:9/v1")
        connection_id = _connect_bot(env, tmp)
        ours_port, base_port = free_port(), free_port()
        ours = _start(
            [str(ROOT / ".venv" / "bin" / "frontdesk"), "serve", "--no-worker", "--port", str(ours_port)],
            env,
            tmp,
            tmp / "serve.log",
        )
        baseline = _start(
            [PYTHON, "-m", "bench.aiogram_baseline", "--port", str(base_port), "--secret", SECRET],
            None,
            ROOT,
            tmp / "baseline.log",
        )
        procs = [ours, baseline]
        targets = {
            "aiogram": f"http://127.0.0.1:{base_port}/webhook",
            "frontdesk": f"http://127.0.0.1:{ours_port}/webhooks/telegram/{connection_id}",
        }
        await asyncio.to_thread(wait_http, f"http://127.0.0.1:{ours_port}/healthz", timeout=60, proc=ours)
        await asyncio.to_thread(wait_http, targets["aiogram"], timeout=60, proc=baseline, method="POST")
        for url in targets.values():  # warm-up: imports, pools, caches
            await drive(url, requests=300, concurrency=concurrency)
        pids = {"aiogram": baseline.pid, "frontdesk": ours.pid}
        runs = await _rounds(targets, pids, requests=requests, concurrency=concurrency, rounds=rounds)
        stored = None
        if not postgres:
            import sqlite3

            with sqlite3.connect(tmp / "frontdesk.db") as conn:
                stored = conn.execute("SELECT count(*) FROM inbox").fetchone()[0]
    finally:
        for proc in procs:
            stop_process(proc, timeout=20)
        if pg_name:
            await drop_pg_database(pg_name)
        shutil.rmtree(tmp, ignore_errors=True)

    best = {name: _median_round(items) for name, items in runs.items()}
    return {
        "database": "postgres" if postgres else "sqlite",
        "concurrency": concurrency,
        "requests_per_round": requests,
        "rounds": runs,
        "median": best,
        "ratio": best["frontdesk"]["throughput"] / best["aiogram"]["throughput"],
        "all_ratios": [
            f["throughput"] / a["throughput"] for a, f in zip(runs["aiogram"], runs["frontdesk"], strict=True)
        ],
        "inbox_rows": stored,
        "cpu_ratio": statistics.median(r["cpu_us_per_update"] for r in runs["aiogram"])
        / statistics.median(r["cpu_us_per_update"] for r in runs["frontdesk"]),
    }


def report(r: dict[str, Any]) -> str:
    lines = [
        f"Telegram webhook ingest on {r['database']}: {r['concurrency']} concurrent, "
        f"{len(r['rounds']['aiogram'])} rounds of {r['requests_per_round']} updates each",
        f"{'':<10} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/update':>14}  statuses",
    ]
    for name in ("aiogram", "frontdesk"):
        m = r["median"][name]
        lines.append(
            f"{name:<10} {m['throughput']:>10.0f} {m['latency']['median']:>8.1f} {m['latency']['p99']:>8.1f} "
            f"{m['cpu_us_per_update']:>14.0f}  {m['statuses']}"
        )
    p99 = r["median"]["frontdesk"]["latency"]["p99"]
    lines.append(
        f"ratio frontdesk / aiogram: {r['ratio']:.2f}x (per round: "
        f"{', '.join(f'{x:.2f}' for x in r['all_ratios'])}); goal >= 1.0x; "
        f"frontdesk p99 {p99:.1f} ms, goal <= {P99_TARGET_MS:g} ms"
    )
    lines.append(f"CPU per update, aiogram / frontdesk (the server process, all threads): {r['cpu_ratio']:.2f}x")
    if r["inbox_rows"] is not None:
        lines.append(f"inbox rows stored by frontdesk: {r['inbox_rows']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for db in ["sqlite", "postgres"] if args.postgres else ["sqlite"]:
        r = asyncio.run(
            run(postgres=db == "postgres", requests=args.requests, concurrency=args.concurrency, rounds=args.rounds)
        )
        print(report(r), flush=True)


if __name__ == "__main__":
    main()
