"""Scale-out on PostgreSQL: two `frontdesk worker` processes against one, on a CPU-bound backlog.

    .venv/bin/python -m bench.scale                       # 1,500 messages in 300 conversations, instant LLM

For 1 and then 2 workers, each on a fresh database: the backlog is accepted first (through the inbox,
in this process), then the `frontdesk worker` processes start (the pipeline and the outbox sender, as
the Procfile runs them) and drain it, drafting with an instant fake LLM in its own process. Throughput
is taken between the first and the last reply sent (the outbox rows' finish times), so the workers'
start-up (imports, models) is not counted. Issue 18's goal: 2 workers >= 1.8x one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import cpu_seconds, drop_pg_database, fake_llm, stop_process
from bench.harness import Bench, Probe
from bench.pipeline import bench_settings, migrated_database, run_loop
from bench.webchat import FRONTDESK

TARGET_RATIO = 1.8


def worker_env(url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(
        {
            "FRONTDESK_DATA_DIR": str(tmp),
            "FRONTDESK_DATABASE_URL": url,
            "FRONTDESK_SECRET_KEY": "bench-secret-key-0123456789",  # bench_settings' key: the same workspace secrets
            "FRONTDESK_LOG_LEVEL": "WARNING",
            "FRONTDESK_UNDERSTANDING_LLM": "false",
        }
    )
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [FRONTDESK, "worker"], env=env, cwd=log.parent, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )


def _logs_and_cleanup(tmp: Path) -> dict[str, str]:
    """The end of each worker's log, then the temporary directory removed."""
    logs = {f.name: f.read_text(errors="replace")[-2000:] for f in tmp.glob("worker-*.log")}
    shutil.rmtree(tmp, ignore_errors=True)
    return logs


async def _sent(runtime: Any) -> tuple[int, float | None, float | None]:
    """Replies sent so far, and the first and last finish times (epoch seconds)."""
    from sqlalchemy import func, select

    from core.models import OutboxItem

    async with runtime.db.reader() as s:
        count, first, last = (
            await s.execute(
                select(func.count(), func.min(OutboxItem.finished_at), func.max(OutboxItem.finished_at)).where(
                    OutboxItem.state == "sent"
                )
            )
        ).one()
    return int(count), first.timestamp() if first else None, last.timestamp() if last else None


async def run_once(*, workers: int, count: int, conversations: int, timeout: float, llm_url: str) -> dict[str, Any]:
    from bot.runtime import Runtime

    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-scale-"))
    pg_name = None
    procs: list[subprocess.Popen[bytes]] = []
    try:
        pg_name, url = await migrated_database(True, tmp)
        runtime = Runtime.build(bench_settings(url, tmp, None))
        try:
            bench = await Bench.salon(runtime, llm_url, Probe())
            prefix = uuid.uuid4().hex[:8]
            for i in range(count):
                await bench.accept(f"sc-{prefix}-{i % conversations}", i)
            env = worker_env(url, tmp)
            procs = [start_worker(env, tmp / f"worker-{n}.log") for n in range(workers)]
            started = time.monotonic()
            sent = 0
            while time.monotonic() - started < timeout and sent < count:
                await asyncio.sleep(0.5)
                sent, first, last = await _sent(runtime)
                if any(p.poll() is not None for p in procs):
                    break
            cpu = sum(cpu_seconds(p.pid) for p in procs if p.poll() is None)
            outcomes = await bench.outcomes()
        finally:
            await runtime.close()
    finally:
        for p in procs:
            stop_process(p, timeout=20)
        if pg_name:
            await drop_pg_database(pg_name)
        logs = await asyncio.to_thread(_logs_and_cleanup, tmp)
    span = (last - first) if first and last else float("nan")
    result = {
        "workers": workers,
        "sent": sent,
        "complete": sent >= count,
        "span_s": span,
        "throughput": (sent - 1) / span if span and span > 0 else float("nan"),
        "cpu_ms_per_msg": cpu * 1000 / max(1, sent),
        "outcomes": outcomes,
    }
    if not result["complete"]:
        result["logs"] = logs
    return result


async def run(*, count: int, conversations: int, timeout: float) -> dict[str, Any]:
    with fake_llm() as llm:
        one = await run_once(workers=1, count=count, conversations=conversations, timeout=timeout, llm_url=llm.url)
        two = await run_once(workers=2, count=count, conversations=conversations, timeout=timeout, llm_url=llm.url)
    return {"one": one, "two": two, "ratio": two["throughput"] / one["throughput"]}


def report(r: dict[str, Any]) -> str:
    lines = ["scale-out on PostgreSQL (`frontdesk worker` processes, instant LLM)"]
    for key in ("one", "two"):
        w = r[key]
        lines.append(
            f"  {w['workers']} worker(s): {w['throughput']:.1f} msg/s ({w['sent']} sent over {w['span_s']:.1f} s"
            f"{'' if w['complete'] else ', INCOMPLETE'}), worker CPU {w['cpu_ms_per_msg']:.1f} ms/message"
        )
        for name, tail in w.get("logs", {}).items():
            lines += [f"    {name}:", *("      " + line for line in tail.splitlines()[-15:])]
    lines.append(f"  two / one: {r['ratio']:.2f}x")
    return "\n".join(lines)


def target_line(r: dict[str, Any]) -> str:
    return (
        f"target: two worker processes >= {TARGET_RATIO:g}x one on PostgreSQL: "
        f"{'MET' if r['ratio'] >= TARGET_RATIO else 'NOT MET'} ({r['ratio']:.2f}x)"
    )


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    r = await run(count=args.messages, conversations=args.conversations, timeout=args.timeout)
    print(report(r), flush=True)
    print(target_line(r), flush=True)
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description="Two worker processes against one on PostgreSQL.")
    parser.add_argument("--messages", type=int, default=1500, help="Backlog size (default 1500).")
    parser.add_argument("--conversations", type=int, default=300, help="Backlog conversations (default 300).")
    parser.add_argument("--timeout", type=float, default=300.0, help="Limit per run, seconds (default 300).")
    run_loop(_main(parser.parse_args()), use_uvloop=True)


if __name__ == "__main__":
    main()
