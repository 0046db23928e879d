"""A slow LLM: how many conversations one worker keeps in flight, and its throughput.

    .venv/bin/python -m bench.slow_llm                   # SQLite, a 1 s LLM, 1,000 messages in 500 conversations
    .venv/bin/python -m bench.slow_llm --postgres

The real Runtime (as bench.pipeline builds it) with its assistant drafting through a fake OpenAI
server that answers after --delay seconds (1 s by default: a hosted model's typical latency). A backlog
of --messages across --conversations is accepted with the worker stopped, then the worker and the
sender drain it. Reported: the most turns running at once (Pipeline.run calls in flight), throughput,
accept -> sent. Issue 18's goal: >= 200 in flight and >= 180 msg/s in one worker. With a slow model the
worker's concurrency (FRONTDESK_WORKER_CONCURRENCY) bounds both: a turn holds its slot while it waits.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.common import drop_pg_database, fake_llm, fmt_ms
from bench.harness import Bench, Probe, instrument
from bench.pipeline import bench_settings, migrated_database, run_backlog, run_loop

IN_FLIGHT_TARGET = 200
THROUGHPUT_TARGET = 180.0


async def run(
    *, postgres: bool, count: int, conversations: int, delay: float, timeout: float, concurrency: int | None = None
) -> dict[str, Any]:
    from bot.runtime import Runtime

    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-slow-"))
    pg_name = None
    try:
        with fake_llm(delay=delay) as llm:
            pg_name, url = await migrated_database(postgres, tmp)
            settings = bench_settings(url, tmp, concurrency)
            runtime = Runtime.build(settings)
            probe = Probe()
            instrument(runtime, probe)
            try:
                await runtime.wakeup.listen(runtime.db)
                bench = await Bench.salon(runtime, llm.url, probe)
                backlog = await run_backlog(bench, probe, count=count, conversations=conversations, timeout=timeout)
                backlog["most_in_flight"] = probe.most_in_flight
                outcomes = await bench.outcomes()
            finally:
                await runtime.close()
    finally:
        if pg_name:
            await drop_pg_database(pg_name)
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "database": "postgres" if postgres else "sqlite",
        "worker_concurrency": settings.worker_concurrency,
        "delay_s": delay,
        "conversations": conversations,
        "backlog": backlog,
        "outcomes": outcomes,
    }


def met(r: dict[str, Any]) -> bool:
    bl = r["backlog"]
    return bool(bl["most_in_flight"] >= IN_FLIGHT_TARGET and bl["throughput"] >= THROUGHPUT_TARGET)


def report(r: dict[str, Any]) -> str:
    bl = r["backlog"]
    return "\n".join(
        [
            f"slow LLM ({r['delay_s']:g} s per answer) on {r['database']}, one worker "
            f"(concurrency {r['worker_concurrency']}), {bl['accepted']} messages in {r['conversations']} conversations",
            f"  most turns in flight at once:  {bl['most_in_flight']}",
            f"  throughput:                    {bl['throughput']:.1f} msg/s ({bl['sent']} sent in "
            f"{bl['elapsed_s']:.1f} s{'' if bl['complete'] else ', INCOMPLETE: timed out'})",
            f"  accept -> sent:                {fmt_ms(bl['accept_to_sent'])}",
            f"  worker CPU per message:        {bl['cpu_ms_per_msg']:.2f} ms",
            "  outcomes: " + ", ".join(f"{k}={v}" for k, v in sorted(r["outcomes"].items())),
        ]
    )


def target_line(r: dict[str, Any]) -> str:
    bl = r["backlog"]
    return (
        f"target: with a {r['delay_s']:g} s LLM, >= {IN_FLIGHT_TARGET} turns in flight and >= {THROUGHPUT_TARGET:g} "
        f"msg/s in one worker ({r['database']}): {'MET' if met(r) else 'NOT MET'} "
        f"({bl['most_in_flight']} in flight, {bl['throughput']:.1f} msg/s)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--messages", type=int, default=1000, help="Backlog size (default 1000).")
    parser.add_argument("--conversations", type=int, default=500, help="Backlog conversations (default 500).")
    parser.add_argument("--delay", type=float, default=1.0, help="The LLM's seconds per answer (default 1).")
    parser.add_argument("--concurrency", type=int, default=None, help="FRONTDESK_WORKER_CONCURRENCY.")
    parser.add_argument("--timeout", type=float, default=300.0, help="Limit per phase, seconds (default 300).")


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    r = await run(
        postgres=args.postgres,
        count=args.messages,
        conversations=args.conversations,
        delay=args.delay,
        timeout=args.timeout,
        concurrency=args.concurrency,
    )
    print(report(r), flush=True)
    print(target_line(r), flush=True)
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description="One worker's turns in flight and throughput with a slow LLM.")
    add_arguments(parser)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite.")
    run_loop(_main(parser.parse_args()), use_uvloop=True)


if __name__ == "__main__":
    main()
