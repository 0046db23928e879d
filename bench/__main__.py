"""`python -m bench` (what `make bench` runs): the pipeline benchmark and the web chat benchmark, then
one compact table with the targets.

    .venv/bin/python -m bench                  # SQLite
    .venv/bin/python -m bench --postgres       # SQLite and PostgreSQL (127.0.0.1:5432, trust auth)
    .venv/bin/python -m bench --quick          # smaller counts, for a smoke run

Targets (per the benchmark issue): pipeline overhead <= 5 ms per message, and >= 300 msg/s end to end on
2 cores with SQLite; and (issue 8) 100 rules evaluated per message in <= 0.5 ms median (bench.rule_engine);
and (issue 6) voice-note transcription at RTF <= 0.15 with <= 5% stage overhead (bench.transcription);
and (issue 16) the staff inbox's list at 10,000 conversations in p95 <= 50 ms server time (bench.inbox);
and (issue 18) POST /api/v1/chat at >= 0.5x a bare FastAPI endpoint's one durable insert (bench.webchat),
>= 200 turns in flight and >= 180 msg/s in one worker with a 1 s LLM (bench.slow_llm), two worker
processes >= 1.8x one on PostgreSQL (bench.scale, with --postgres), and `frontdesk serve` <= 500 MB
resident with every model loaded after 10,000 messages (bench.memory).
The exit status is 0 even when a target is missed: this reports, it does not gate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

from bench import pipeline, rule_engine, transcription, webchat
from bench.common import fake_llm

OVERHEAD_TARGET_MS = 5.0
THROUGHPUT_TARGET = 300.0


def _ms(stats: dict[str, float]) -> str:
    return f"{stats['median']:.1f} / {stats['p99']:.1f}" if stats.get("n") else "-"


def _num(value: float, fmt: str = "{:.1f}") -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else fmt.format(value)


def table(results: dict[str, Any]) -> str:
    dbs = [db for db in ("sqlite", "postgres") if db in results["pipeline"]]
    return "\n".join([*_grid(_rows(results, dbs), dbs), "", *_targets(results)])


def _rows(results: dict[str, Any], dbs: list[str]) -> list[tuple[str, list[str], str]]:
    """The figures per database: (label, one value per database, target)."""
    p = results["pipeline"]
    w = results.get("webchat", {})
    rows: list[tuple[str, list[str], str]] = []

    def row(label: str, values: list[str], target: str = "") -> None:
        rows.append((label, values, target))

    row("LLM round trip alone, ms median / p99", [_ms(p[d]["llm"]["sequential"]) for d in dbs])
    row("unloaded: pipeline.run per turn, ms", [_ms(p[d]["unloaded"]["pipeline"]) for d in dbs])
    row(
        "unloaded: overhead (pipeline - LLM), ms",
        [_num(p[d]["overhead_unloaded_ms"]) for d in dbs],
        f"<= {OVERHEAD_TARGET_MS:g} ms",
    )
    row("unloaded: accept -> sent, ms", [_ms(p[d]["unloaded"]["accept_to_sent"]) for d in dbs])
    row(
        "backlog: end-to-end throughput, msg/s",
        [_num(p[d]["backlog"]["throughput"]) for d in dbs],
        f">= {THROUGHPUT_TARGET:g} (SQLite)",
    )
    row("backlog: pipeline.run per turn, ms", [_ms(p[d]["backlog"]["pipeline"]) for d in dbs])
    row("backlog: accept -> sent (queueing), ms", [_ms(p[d]["backlog"]["accept_to_sent"]) for d in dbs])
    row("backlog: worker CPU per message, ms", [_num(p[d]["backlog"]["cpu_ms_per_msg"]) for d in dbs])
    row("backlog: event loop busy", [_num(p[d]["backlog"]["loop_thread_busy"] * 100, "{:.0f}%") for d in dbs])
    row("web chat: POST /api/v1/chat, req/s", [_num(w[d]["requests_per_s"]) if d in w else "-" for d in dbs])
    row("web chat: latency, ms median / p99", [_ms(w[d]["latency"]) if d in w else "-" for d in dbs])
    row(
        "web chat: vs a bare FastAPI insert, req/s ratio",
        [_num(w[d].get("vs_bare", float("nan")), "{:.2f}x") if d in w else "-" for d in dbs],
        f">= {webchat.BARE_TARGET_RATIO:g}x, p99 <= {webchat.BARE_TARGET_P99_MS:g} ms",
    )
    return rows


def _grid(rows: list[tuple[str, list[str], str]], dbs: list[str]) -> list[str]:
    """The rows in aligned columns under a header and a rule."""
    head = ("", [d for d in dbs], "target")
    widths = [
        max(len(r[0]) for r in [*rows, head]),
        *[max(len(r[1][i]) for r in [*rows, head]) for i in range(len(dbs))],
        max(len(r[2]) for r in [*rows, head]),
    ]
    lines = []
    for label, values, target in [head, *rows]:
        cells = [
            label.ljust(widths[0]),
            *[v.rjust(widths[i + 1]) for i, v in enumerate(values)],
            target.ljust(widths[-1]),
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return lines


def _targets(results: dict[str, Any]) -> list[str]:
    """One line per target: met or not, and the figure."""
    s = results["pipeline"]["sqlite"]
    overhead_ok = s["overhead_unloaded_ms"] <= OVERHEAD_TARGET_MS
    throughput_ok = s["backlog"]["throughput"] >= THROUGHPUT_TARGET
    lines = [
        f"target: pipeline overhead <= {OVERHEAD_TARGET_MS:g} ms/message (SQLite): "
        f"{'MET' if overhead_ok else 'NOT MET'} ({s['overhead_unloaded_ms']:.1f} ms)",
        f"target: >= {THROUGHPUT_TARGET:g} msg/s end to end on 2 cores with SQLite: "
        f"{'MET' if throughput_ok else 'NOT MET'} ({s['backlog']['throughput']:.1f} msg/s)",
    ]
    if "sqlite" in results.get("webchat", {}):
        lines.append(webchat.target_line(results["webchat"]["sqlite"]))
    if "sqlite" in results.get("slow_llm", {}):
        from bench import slow_llm

        lines.append(slow_llm.target_line(results["slow_llm"]["sqlite"]))
    if results.get("scale"):
        from bench import scale

        lines.append(scale.target_line(results["scale"]))
    rules = results.get("rules")
    if rules:
        m = rules["match"]
        lines.append(
            f"target: {rules['rules']} rules evaluated per message <= {rule_engine.TARGET_MS:g} ms median: "
            f"{'MET' if m['median'] <= rule_engine.TARGET_MS else 'NOT MET'} "
            f"({m['median']:.2f} ms, p99 {m['p99']:.2f} ms; with log traces {rules['evaluate']['median']:.2f} ms)"
        )
    if results.get("transcription"):
        lines.append(transcription.summary(results["transcription"]))
    tg = results.get("telegram", {}).get("sqlite")
    if tg:
        frontdesk = tg["median"]["frontdesk"]
        lines.append(
            f"target: Telegram webhook ingest >= 1.0x a bare aiogram bot, p99 <= 25 ms (SQLite): "
            f"{'MET' if tg['ratio'] >= 1.0 and frontdesk['latency']['p99'] <= 25 else 'NOT MET'} "
            f"({tg['ratio']:.2f}x, p99 {frontdesk['latency']['p99']:.1f} ms; CPU per update {tg['cpu_ratio']:.2f}x)"
        )
    if results.get("understanding"):
        from bench import understanding

        lines.append(understanding.target_line(results["understanding"]))
    if results.get("inbox"):
        from bench import inbox

        lines.append(inbox.target_line(results["inbox"]))
    if results.get("kb"):
        from bench import kb_eval

        lines.append(kb_eval.target_line(results["kb"]))
    if results.get("memory"):
        from bench import memory

        lines.append(memory.target_line(results["memory"]))
    return lines


async def _hot_path(args: argparse.Namespace, dbs: list[str], results: dict[str, Any]) -> None:
    """Issue 18's runs: a slow LLM's turns in flight per database, two workers against one on PostgreSQL."""
    from bench import scale, slow_llm

    results["slow_llm"] = {}
    for db in dbs:
        print(f"== a 1 s LLM on {db}: turns in flight in one worker ...", flush=True)
        count, convs = (200, 100) if args.quick else (1000, 500)
        r = await slow_llm.run(postgres=db == "postgres", count=count, conversations=convs, delay=1.0, timeout=300)
        print(slow_llm.report(r), flush=True)
        results["slow_llm"][db] = r
    if "postgres" in dbs:
        print("== two worker processes against one on PostgreSQL ...", flush=True)
        results["scale"] = await scale.run(
            count=400 if args.quick else 1500, conversations=100 if args.quick else 300, timeout=300
        )
        print(scale.report(results["scale"]), flush=True)


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"pipeline": {}, "webchat": {}}
    from bench import kb_eval

    print("== knowledge base (retrieval quality, answer threshold, latency at 10k passages) ...", flush=True)
    results["kb"] = kb_eval.run()
    print(kb_eval.report(results["kb"]), flush=True)
    print("== understanding (BANKING77 intents, context extraction) ...", flush=True)
    from bench import understanding

    results["understanding"] = understanding.run(quick=args.quick)
    print(understanding.report(results["understanding"]), flush=True)
    print("== rule engine ...", flush=True)
    results["rules"] = await rule_engine.run(1000 if args.quick else 5000)
    print(rule_engine.report(results["rules"]), flush=True)
    print("== voice-note transcription (RTF, our media stage against faster-whisper directly) ...", flush=True)
    results["transcription"] = await transcription.run(1 if args.quick else 3)
    print(transcription.report(results["transcription"]), flush=True)
    dbs = ["sqlite", "postgres"] if args.postgres else ["sqlite"]
    with fake_llm() as llm:
        for db in dbs:
            print(f"== pipeline on {db} ...", flush=True)
            r = await pipeline.run(
                postgres=db == "postgres",
                count=args.messages,
                conversations=args.conversations,
                unloaded=args.unloaded,
                timeout=args.timeout,
                llm=llm,
                llm_calls=args.llm_calls,
            )
            print(pipeline.report(r), flush=True)
            results["pipeline"][db] = r
        for db in dbs:
            print(f"== web chat on {db} ...", flush=True)
            r = await webchat.run(
                postgres=db == "postgres",
                requests=args.requests,
                concurrency=args.clients,
                sessions=args.sessions,
                duration=args.duration,
                llm=llm,
            )
            print(webchat.report(r), flush=True)
            results["webchat"][db] = r
    await _hot_path(args, dbs, results)
    from bench import telegram

    results["telegram"] = {}
    for db in dbs:
        print(f"== Telegram webhook ingest on {db}, against a bare aiogram bot ...", flush=True)
        r = await telegram.run(
            postgres=db == "postgres", requests=1000 if args.quick else 3000, concurrency=50, rounds=3
        )
        print(telegram.report(r), flush=True)
        results["telegram"][db] = r
    from bench import inbox

    results["inbox"] = {}
    for db in dbs:
        print(f"== staff inbox list at 10k conversations on {db} ...", flush=True)
        results["inbox"][db] = await inbox.run(postgres=db == "postgres", rounds=20 if args.quick else 100)
        print(inbox.report(results["inbox"][db]), flush=True)
    from bench import memory

    print("== resident memory of serve and worker, every model loaded (SQLite) ...", flush=True)
    results["memory"] = await memory.run(
        messages=1000 if args.quick else 10_000, passages=1000 if args.quick else memory.PASSAGES
    )
    print(memory.report(results["memory"]), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", action="store_true", help="Also run on PostgreSQL.")
    parser.add_argument("--quick", action="store_true", help="Small counts (a smoke run of ~1 minute).")
    parser.add_argument("--json", metavar="PATH", help="Also write every figure as JSON.")
    args = parser.parse_args()
    quick = args.quick
    args.messages, args.conversations = (300, 30) if quick else (2000, 200)
    args.unloaded, args.llm_calls = (50, 100) if quick else (200, 500)
    args.timeout = 180.0
    args.requests, args.clients, args.sessions = (300, 32, 100) if quick else (3000, 32, 300)
    args.duration = 30.0 if quick else 120.0

    started = time.monotonic()
    results = asyncio.run(_run(args))
    print()
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
        f"{time.monotonic() - started:.0f} s in all"
    )
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
