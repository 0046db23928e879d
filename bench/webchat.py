"""Web chat POST throughput: the real app (`frontdesk serve`, in-process worker) in its own process.

    .venv/bin/python -m bench.webchat                  # SQLite in a temp dir
    .venv/bin/python -m bench.webchat --postgres       # a fresh database on 127.0.0.1:5432, dropped after

1. `frontdesk workspace create "Bench Salon" --policy auto --json` makes the workspace (and migrates
   SQLite); on PostgreSQL `frontdesk migrate` runs first.
2. `frontdesk serve --port P` runs uvicorn with the web app and the in-process worker and outbox
   sender, its assistant drafting with an instant fake OpenAI server (another process).
3. --concurrency clients (httpx, one connection each) POST /api/v1/chat until --requests are done or
   --duration passes; each request waits for the pipeline's outcome as a browser's would
   (chat_wait_seconds, 8 s by default).
4. The baseline, in the same run: the same clients against `bench.bare_chat`, a bare FastAPI endpoint
   doing one durable SQLite insert (issue 18's goal: frontdesk >= 0.5x its requests/s, p99 <= 250 ms).
   `--no-baseline` skips it.

The web chat rate limit (per session and per IP, 30/min by default) is raised for the run, since every
request comes from 127.0.0.1. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    FakeLLM,
    cpu_seconds,
    create_pg_database,
    drop_pg_database,
    fake_llm,
    fmt_ms,
    free_port,
    stop_process,
    summary_ms,
    wait_http,
)

ROOT = Path(__file__).resolve().parent.parent
FRONTDESK = str(ROOT / ".venv" / "bin" / "frontdesk")


def server_env(data_dir: Path, database_url: str, llm_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(
        {
            "FRONTDESK_DATA_DIR": str(data_dir),
            "FRONTDESK_DATABASE_URL": database_url,
            "FRONTDESK_SECRET_KEY": "bench-secret-key-0123456789",
            "FRONTDESK_LLM_BASE_URL": llm_url,
            "FRONTDESK_LLM_MODEL": "fake",
            "FRONTDESK_LOG_LEVEL": "WARNING",
            "FRONTDESK_CHAT_RATE_PER_MINUTE": "1000000",
        }
    )
    return env


BARE_TARGET_RATIO = 0.5
BARE_TARGET_P99_MS = 250.0


def frontdesk(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> str:
    done = subprocess.run(
        [FRONTDESK, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"frontdesk {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def start_server(port: int, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """`frontdesk serve` on 127.0.0.1:port, its output in cwd/serve.log."""
    with (cwd / "serve.log").open("wb") as log:
        return subprocess.Popen(
            [FRONTDESK, "serve", "--port", str(port), "--host", "127.0.0.1"],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )


async def drive(
    base: str,
    agent: str,
    *,
    requests: int,
    concurrency: int,
    sessions: int,
    duration: float,
    server: subprocess.Popen[bytes] | None = None,
) -> dict[str, Any]:
    """`concurrency` lanes POST until `requests` are done, `duration` passes, or the server is gone."""
    session_ids = [str(uuid.uuid4()) for _ in range(sessions)]
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    counter = iter(range(requests))
    stop_at = time.monotonic() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def lane() -> None:
            for i in counter:
                if time.monotonic() > stop_at:
                    return
                body = {
                    "agent": agent,
                    "session_id": session_ids[i % sessions],
                    "message": f"Hello, message {i}: are you open on Saturday?",
                }
                started = time.perf_counter()
                try:
                    response = await client.post("/api/v1/chat", json=body)
                except httpx.HTTPError as exc:
                    statuses[f"error:{type(exc).__name__}"] += 1
                    if server is not None and server.poll() is not None:
                        return  # the server exited: stop, and report it
                    continue
                elapsed = time.perf_counter() - started
                if response.status_code == 200:
                    latencies.append(elapsed)
                    statuses[response.json().get("status", "?")] += 1
                else:
                    statuses[f"http:{response.status_code}"] += 1

        cpu0 = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        wall = time.perf_counter() - started
        driver_cpu = time.process_time() - cpu0
    ok = len(latencies)
    return {
        "requests": sum(statuses.values()),
        "ok": ok,
        "wall_s": wall,
        "requests_per_s": ok / wall if wall else float("nan"),
        "latency": summary_ms(latencies),
        "statuses": dict(statuses),
        "driver_cpu_s": driver_cpu,
        "complete": sum(statuses.values()) >= requests,
    }


def start_bare(port: int, cwd: Path) -> subprocess.Popen[bytes]:
    """`bench.bare_chat` on 127.0.0.1:port, writing cwd/bare.db, its output in cwd/bare.log."""
    with (cwd / "bare.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bench.bare_chat", "--port", str(port), "--db", str(cwd / "bare.db")],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )


async def baseline(*, requests: int, concurrency: int, sessions: int, duration: float) -> dict[str, Any]:
    """The same load against `bench.bare_chat` (one durable SQLite insert per request), in its own process."""
    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-bare-"))
    port = free_port()
    server = await asyncio.to_thread(start_bare, port, tmp)
    try:
        base = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_http, f"{base}/healthz", timeout=60, proc=server)
        await drive(base, "bare", requests=50, concurrency=4, sessions=10, duration=30)
        cpu0 = cpu_seconds(server.pid)
        result = await drive(
            base,
            "bare",
            requests=requests,
            concurrency=concurrency,
            sessions=sessions,
            duration=duration,
            server=server,
        )
        result["server_cpu_s"] = cpu_seconds(server.pid) - cpu0
        return result
    finally:
        stop_process(server, timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


async def run(
    *,
    postgres: bool,
    requests: int,
    concurrency: int,
    sessions: int,
    duration: float,
    llm: FakeLLM,
    with_baseline: bool = True,
) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-web-"))
    pg_name = None
    server = None
    try:
        if postgres:
            pg_name, url = await create_pg_database()
        else:
            url = f"sqlite+aiosqlite:///{tmp / 'frontdesk.db'}"
        env = server_env(tmp, url, llm.url)
        if postgres:
            frontdesk(["migrate"], env, tmp)
        created = json.loads(frontdesk(["workspace", "create", "Bench Salon", "--policy", "auto", "--json"], env, tmp))
        agent = created["assistant"]["slug"]
        port = free_port()
        server = await asyncio.to_thread(start_server, port, env, tmp)
        base = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_http, f"{base}/healthz", timeout=60, proc=server)
        # Warm-up: imports on first use, connection pools, the LLM client.
        await drive(base, agent, requests=50, concurrency=4, sessions=10, duration=30)
        server_cpu0, llm_cpu0 = cpu_seconds(server.pid), llm.cpu_seconds()
        result = await drive(
            base, agent, requests=requests, concurrency=concurrency, sessions=sessions, duration=duration, server=server
        )
        result["server_cpu_s"] = cpu_seconds(server.pid) - server_cpu0
        result["server_exit"] = server.poll()
        if result["server_exit"] is not None:
            result["server_log_tail"] = (tmp / "serve.log").read_text(errors="replace")[-4000:]
        result["llm_server_cpu_s"] = llm.cpu_seconds() - llm_cpu0
    except BaseException:
        if (tmp / "serve.log").exists():
            print((tmp / "serve.log").read_text(errors="replace")[-3000:])
        raise
    finally:
        if server is not None:
            stop_process(server, timeout=20)
        if pg_name:
            await drop_pg_database(pg_name)
        shutil.rmtree(tmp, ignore_errors=True)
    result.update({"database": "postgres" if postgres else "sqlite", "concurrency": concurrency, "sessions": sessions})
    if with_baseline:
        bare = await baseline(requests=requests, concurrency=concurrency, sessions=sessions, duration=duration)
        result["bare"] = bare
        result["vs_bare"] = result["requests_per_s"] / bare["requests_per_s"] if bare["ok"] else float("nan")
    return result


def target_line(r: dict[str, Any]) -> str:
    """Issue 18's goal for the web chat, met or not (SQLite)."""
    p99 = r["latency"].get("p99", float("nan"))
    met = r.get("vs_bare", 0) >= BARE_TARGET_RATIO and p99 <= BARE_TARGET_P99_MS
    return (
        f"target: POST /api/v1/chat >= {BARE_TARGET_RATIO:g}x a bare FastAPI insert, p99 <= {BARE_TARGET_P99_MS:g} ms "
        f"({r['database']}): {'MET' if met else 'NOT MET'} ({r.get('vs_bare', float('nan')):.2f}x, p99 {p99:.0f} ms)"
    )


def report(r: dict[str, Any]) -> str:
    wall = r["wall_s"] or float("nan")
    lines = [
        f"web chat benchmark on {r['database']} (`frontdesk serve`, {r['concurrency']} concurrent clients, "
        f"{r['sessions']} sessions)",
        f"  POST /api/v1/chat: {r['requests_per_s']:.1f} requests/s ({r['ok']} answered 200 in {r['wall_s']:.1f} s"
        f"{'' if r['complete'] else ', stopped by --duration'})",
        f"  latency:           {fmt_ms(r['latency'])}",
        "  statuses:          " + ", ".join(f"{k}={v}" for k, v in sorted(r["statuses"].items())),
        f"  CPU busy during the run: server {r['server_cpu_s'] / wall:.0%}, fake LLM "
        f"{r['llm_server_cpu_s'] / wall:.0%}, load driver {r['driver_cpu_s'] / wall:.0%} (of one core each)",
    ]
    bare = r.get("bare")
    if bare:
        lines += [
            f"  bare FastAPI insert, same clients: {bare['requests_per_s']:.1f} requests/s, "
            f"latency {fmt_ms(bare['latency'])}, server CPU {bare['server_cpu_s'] / (bare['wall_s'] or 1):.0%}",
            f"  frontdesk / bare:  {r['vs_bare']:.2f}x",
        ]
    if r.get("server_exit") is not None:
        lines += [
            f"  THE SERVER EXITED during the run (status {r['server_exit']}); the end of its log:",
            *("    " + line for line in r.get("server_log_tail", "").splitlines()[-40:]),
        ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=3000, help="Requests to send (default 3000).")
    parser.add_argument("--concurrency", type=int, default=32, help="Concurrent clients (default 32).")
    parser.add_argument("--sessions", type=int, default=300, help="Chat sessions (default 300).")
    parser.add_argument(
        "--duration", type=float, default=120.0, help="Stop sending after this many seconds (default 120)."
    )
    parser.add_argument("--no-baseline", action="store_true", help="Skip the bare FastAPI endpoint's run.")


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    with fake_llm() as llm:
        result = await run(
            postgres=args.postgres,
            requests=args.requests,
            concurrency=args.concurrency,
            sessions=args.sessions,
            duration=args.duration,
            llm=llm,
            with_baseline=not args.no_baseline,
        )
    print(report(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Web chat POST throughput against `frontdesk serve`.")
    add_arguments(parser)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite.")
    parser.add_argument("--json", metavar="PATH", help="Also write the raw figures as JSON.")
    args = parser.parse_args()
    result = asyncio.run(_main(args))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
