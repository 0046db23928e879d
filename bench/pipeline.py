"""Pipeline overhead and throughput per message, with an instant LLM.

    .venv/bin/python -m bench.pipeline                 # SQLite (a fresh file in a temp dir)
    .venv/bin/python -m bench.pipeline --postgres      # a fresh database on 127.0.0.1:5432, dropped after

The real Runtime (inbox, pipeline, worker, outbox sender, web channel) on a freshly migrated database,
with one workspace whose assistant (approval policy "auto") drafts with an instant fake OpenAI server
running in its own process. Four measurements:

1. LLM round trip alone: the openai client against the fake, the same request the draft stage sends
   (json_schema response_format), sequentially and at the worker's concurrency.
2. Unloaded: one message at a time (accept, wait until its reply is sent, next); per-turn pipeline time,
   per-stage time, accept→sent latency. Pipeline overhead = pipeline time - LLM round trip.
3. Backlog: accept N messages (across C conversations) with the worker stopped, then start the worker
   and the outbox sender and time until every reply is sent: throughput, accept→sent latency (mostly
   queueing, since everything is accepted up front), per-turn pipeline time, CPU per message.

Every loop is bounded in count and each phase in time (--timeout); the process stops by itself. The
probes, the driver and the LLM's own measurement are in bench/harness.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import (
    FakeLLM,
    cpu_seconds,
    create_pg_database,
    drop_pg_database,
    fake_llm,
    fmt_ms,
    summary_ms,
)
from bench.harness import Bench, Probe, instrument, measure_llm

# -- the pipeline -------------------------------------------------------------------------------------


def _stage_summary(probe: Probe) -> dict[str, dict[str, float]]:
    return {name: summary_ms(values) for name, values in probe.stages.items()}


def _histogram_means() -> dict[str, float]:
    """Mean ms per stage from core.metrics' frontdesk_stage_seconds (process lifetime)."""
    from core.metrics import REGISTRY
    from core.pipeline import ORDER

    means = {}
    for stage in ORDER:
        total = REGISTRY.get_sample_value("frontdesk_stage_seconds_sum", {"stage": stage})
        count = REGISTRY.get_sample_value("frontdesk_stage_seconds_count", {"stage": stage})
        if total is not None and count:
            means[stage] = total / count * 1000
    return means


async def run_unloaded(bench: Bench, probe: Probe, *, count: int, conversations: int, timeout: float) -> dict[str, Any]:
    """One message at a time: accept, wait until its reply is sent, next."""
    probe.reset(0)
    latencies: list[float] = []
    deadline = time.monotonic() + timeout
    prefix = uuid.uuid4().hex[:8]
    bench.start_loops()
    try:
        for i in range(count):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            probe.one_sent.clear()
            started = time.perf_counter()
            await bench.accept(f"seq-{prefix}-{i % conversations}", i)
            try:
                await asyncio.wait_for(probe.one_sent.wait(), min(remaining, 10))
            except TimeoutError:
                print(f"  unloaded: message {i} not sent within 10 s; stopping", file=sys.stderr)
                break
            latencies.append(time.perf_counter() - started)
    finally:
        await bench.stop_loops()
    return {
        "messages": len(latencies),
        "accept_to_sent": summary_ms(latencies),
        "pipeline": summary_ms(probe.turns),
        "stages": _stage_summary(probe),
    }


async def run_backlog(
    bench: Bench, probe: Probe, *, count: int, conversations: int, timeout: float, profile: str | None = None
) -> dict[str, Any]:
    """Accept `count` messages with the worker stopped, then run it and the sender until all are sent."""
    probe.reset(count)
    prefix = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    for i in range(count):
        await bench.accept(f"bl-{prefix}-{i % conversations}", i)
        if time.perf_counter() - started > timeout:
            break
    accepted = len(probe.accepted)
    accept_s = time.perf_counter() - started
    probe.expected = accepted

    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
    cpu0, loop_cpu0 = time.process_time(), _loop_thread_cpu()
    t0 = time.perf_counter()
    bench.start_loops()
    try:
        await asyncio.wait_for(probe.done.wait(), timeout)
        complete = True
    except TimeoutError:
        complete = False
    finally:
        await bench.stop_loops()
    cpu, loop_cpu = time.process_time() - cpu0, _loop_thread_cpu() - loop_cpu0
    if profiler is not None and profile:
        profiler.stop()
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        await asyncio.to_thread(Path(profile).write_text, text)
    last = max(probe.sent.values(), default=t0)
    elapsed = last - t0
    sent = len(probe.sent)
    mapping = await bench.sent_to_inbox()
    latencies = [
        probe.sent[o] - probe.accepted[i] for o, i in mapping.items() if o in probe.sent and i in probe.accepted
    ]
    return {
        "accepted": accepted,
        "accept_per_s": accepted / accept_s if accept_s else float("nan"),
        "sent": sent,
        "complete": complete,
        "elapsed_s": elapsed,
        "throughput": sent / elapsed if elapsed > 0 else float("nan"),
        "accept_to_sent": summary_ms(latencies),
        "pipeline": summary_ms(probe.turns),
        "stages": _stage_summary(probe),
        "cpu_ms_per_msg": cpu * 1000 / max(1, sent),
        "loop_thread_cpu_ms_per_msg": loop_cpu * 1000 / max(1, sent),
        "loop_thread_busy": loop_cpu / elapsed if elapsed > 0 else float("nan"),
    }


def _loop_thread_cpu() -> float:
    """CPU seconds of the event loop's thread alone (the process's main thread here); the rest of the
    process's CPU is driver threads (aiosqlite runs each connection in its own thread)."""
    import os

    return cpu_seconds(os.getpid(), os.getpid())


async def migrated_database(postgres: bool, tmp: Path) -> tuple[str | None, str]:
    """A fresh database, migrated: a PostgreSQL one of its own (its name, to drop) or a SQLite file in `tmp`."""
    import bot.schema  # noqa: F401  (every package's tables)
    from core.db import Database
    from core.migrate import upgrade

    pg_name, url = await create_pg_database() if postgres else (None, f"sqlite+aiosqlite:///{tmp / 'frontdesk.db'}")
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    return pg_name, url


def bench_settings(url: str, tmp: Path, concurrency: int | None) -> Any:
    from bot.settings import Settings

    overrides: dict[str, Any] = {"worker_concurrency": concurrency} if concurrency else {}
    values: dict[str, Any] = {
        "dev": False,
        "data_dir": tmp,
        "database_url": url,
        "log_json": False,
        "secret_key": "bench-secret-key-0123456789",
        # The fake answers one fixed draft, which is no reading: understanding reads offline here
        # (its own LLM call, when on, is one more round trip like the draft's).
        "understanding_llm": False,
        **overrides,
    }
    return Settings(_env_file=None, **values)


async def run(
    *,
    postgres: bool,
    count: int,
    conversations: int,
    unloaded: int,
    timeout: float,
    llm: FakeLLM,
    concurrency: int | None = None,
    profile: str | None = None,
    llm_calls: int = 500,
) -> dict[str, Any]:
    from bot.runtime import Runtime

    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-"))
    pg_name = None
    try:
        pg_name, url = await migrated_database(postgres, tmp)
        settings = bench_settings(url, tmp, concurrency)
        llm_stats = await measure_llm(
            llm.url, calls=llm_calls, concurrency=settings.worker_concurrency, deadline_s=timeout
        )
        runtime = Runtime.build(settings)
        probe = Probe()
        instrument(runtime, probe)
        try:
            await runtime.wakeup.listen(runtime.db)  # LISTEN/NOTIFY on PostgreSQL, as runtime.start does
            bench = await Bench.salon(runtime, llm.url, probe)
            await run_unloaded(bench, probe, count=30, conversations=5, timeout=timeout)  # warm-up
            quiet = await run_unloaded(
                bench, probe, count=unloaded, conversations=max(1, unloaded // 10), timeout=timeout
            )
            llm_cpu0 = llm.cpu_seconds()
            backlog = await run_backlog(
                bench, probe, count=count, conversations=conversations, timeout=timeout, profile=profile
            )
            backlog["llm_server_cpu_ms_per_msg"] = (llm.cpu_seconds() - llm_cpu0) * 1000 / max(1, backlog["sent"])
            outcomes = await bench.outcomes()
        finally:
            await runtime.close()
    finally:
        if pg_name:
            await drop_pg_database(pg_name)
        shutil.rmtree(tmp, ignore_errors=True)

    seq_llm = llm_stats["sequential"]["median"]
    conc_llm = llm_stats["concurrent"]["median"]
    return {
        "database": "postgres" if postgres else "sqlite",
        "worker_concurrency": settings.worker_concurrency,
        "llm": llm_stats,
        "unloaded": quiet,
        "backlog": backlog,
        "outcomes": outcomes,
        "stage_histogram_mean_ms": _histogram_means(),
        "overhead_unloaded_ms": quiet["pipeline"]["median"] - seq_llm,
        "overhead_loaded_ms": backlog["pipeline"]["median"] - conc_llm,
        "overhead_cpu_ms_per_msg": backlog["cpu_ms_per_msg"] - llm_stats["client_cpu_ms_per_call"],
    }


# -- report -------------------------------------------------------------------------------------------


def report(r: dict[str, Any]) -> str:
    llm, quiet, bl = r["llm"], r["unloaded"], r["backlog"]
    lines = [
        f"pipeline benchmark on {r['database']} (worker concurrency {r['worker_concurrency']})",
        f"  LLM round trip alone, sequential:        {fmt_ms(llm['sequential'])}",
        f"  LLM round trip alone, {llm['concurrency']} concurrent:      {fmt_ms(llm['concurrent'])}"
        f"   ({llm['calls_per_s_concurrent']:.0f} calls/s, client CPU {llm['client_cpu_ms_per_call']:.2f} ms/call)",
        "  unloaded (one message at a time):",
        f"    pipeline.run per turn:                  {fmt_ms(quiet['pipeline'])}",
        f"    accept -> outbox sent:                  {fmt_ms(quiet['accept_to_sent'])}",
        "    per stage (median ms): " + "  ".join(f"{k} {v['median']:.2f}" for k, v in quiet["stages"].items()),
        f"    overhead = pipeline - LLM:              {r['overhead_unloaded_ms']:.2f} ms per message",
        f"  backlog ({bl['accepted']} accepted at {bl['accept_per_s']:.0f}/s, then drained):",
        f"    end to end throughput:                  {bl['throughput']:.1f} msg/s "
        f"({bl['sent']} sent in {bl['elapsed_s']:.2f} s{'' if bl['complete'] else ', INCOMPLETE: timed out'})",
        f"    pipeline.run per turn:                  {fmt_ms(bl['pipeline'])}",
        f"    accept -> outbox sent (incl. queueing): {fmt_ms(bl['accept_to_sent'])}",
        "    per stage (median ms): " + "  ".join(f"{k} {v['median']:.2f}" for k, v in bl["stages"].items()),
        f"    overhead = pipeline - LLM(concurrent):  {r['overhead_loaded_ms']:.2f} ms per message",
        f"    CPU per message: worker process {bl['cpu_ms_per_msg']:.2f} ms "
        f"(minus LLM client {llm['client_cpu_ms_per_call']:.2f} = {r['overhead_cpu_ms_per_msg']:.2f} ms), "
        f"fake LLM server {bl['llm_server_cpu_ms_per_msg']:.2f} ms",
        f"    event loop thread: {bl['loop_thread_cpu_ms_per_msg']:.2f} ms CPU per message, "
        f"busy {bl['loop_thread_busy']:.0%} of the drain (a single event loop cannot exceed 100%)",
        "  outcomes: " + ", ".join(f"{k}={v}" for k, v in sorted(r["outcomes"].items())),
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--messages", type=int, default=2000, help="Backlog size (default 2000).")
    parser.add_argument("--conversations", type=int, default=200, help="Backlog conversations (default 200).")
    parser.add_argument("--unloaded", type=int, default=200, help="Messages sent one at a time (default 200).")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="FRONTDESK_WORKER_CONCURRENCY (default: the product default)."
    )
    parser.add_argument("--timeout", type=float, default=180.0, help="Limit per phase, seconds (default 180).")
    parser.add_argument("--uvloop", action="store_true", help="Run on uvloop (as `frontdesk serve` does).")


async def _main(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    with fake_llm() as llm:
        for postgres in [False, True] if args.both else [args.postgres]:
            results.append(
                await run(
                    postgres=postgres,
                    count=args.messages,
                    conversations=args.conversations,
                    unloaded=args.unloaded,
                    timeout=args.timeout,
                    llm=llm,
                    concurrency=args.concurrency,
                    profile=args.profile,
                )
            )
            print(report(results[-1]), flush=True)
    return results


def run_loop(coro: Any, *, use_uvloop: bool) -> Any:
    if use_uvloop:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coro)
    return asyncio.run(coro)


def main() -> None:
    parser = argparse.ArgumentParser(description="Pipeline overhead and throughput with an instant LLM.")
    add_arguments(parser)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite.")
    parser.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL.")
    parser.add_argument("--profile", metavar="PATH", help="pyinstrument the backlog phase into PATH (text).")
    parser.add_argument("--json", metavar="PATH", help="Also write the raw figures as JSON.")
    args = parser.parse_args()
    results = run_loop(_main(args), use_uvloop=args.uvloop)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
