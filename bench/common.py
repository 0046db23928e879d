"""Shared pieces of the benchmarks: the fake LLM process, percentiles, a throwaway PostgreSQL database."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# What the instant fake LLM answers every request with: a valid core.pipeline.draft.DraftReply, so the
# pipeline takes the LLM path (and with approval_policy "auto", sends every reply through the outbox).
DRAFT_JSON = json.dumps(
    {
        "reply": "Thanks for asking! We are open 9:00-18:00, Monday to Saturday. See you soon.",
        "confidence": 0.92,
        "cited_sources": [],
        "needs_staff": False,
    }
)

PG_ADMIN_URL = os.environ.get("FRONTDESK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(
    url: str,
    *,
    timeout: float,
    proc: subprocess.Popen[bytes] | None = None,
    method: str = "GET",
    json_body: object = None,
) -> None:
    """Poll until `url` answers (any HTTP status), the process dies, or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            httpx.request(method, url, json=json_body, timeout=1.0)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout}s") from None
            time.sleep(0.05)


def stop_process(proc: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    """SIGTERM the process we started, then SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU seconds used so far by a process (all its threads), or by one of its threads,
    from /proc (Linux; NaN elsewhere)."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class FakeLLM:
    url: str  # the OpenAI base URL, http://127.0.0.1:PORT/v1
    pid: int

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)


@contextlib.contextmanager
def fake_llm(text: str = DRAFT_JSON, *, delay: float = 0.0) -> Iterator[FakeLLM]:
    """Run tests.fakes.openai_server.FakeOpenAI.instant(text) under uvicorn in its own process (so it
    does not compete with the benchmarked event loop); `delay` seconds before each answer."""
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "bench.fake_llm", "--port", str(port), "--text", text, "--delay", str(delay)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_http(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            timeout=30,
            proc=proc,
            method="POST",
            json_body={"model": "fake", "messages": [{"role": "user", "content": "ping"}]},
        )
        yield FakeLLM(f"http://127.0.0.1:{port}/v1", proc.pid)
    finally:
        stop_process(proc)


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank on the sorted values; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values_s: Sequence[float]) -> dict[str, float]:
    """count, median, p99, mean and max of durations given in seconds, in milliseconds."""
    if not values_s:
        return {"n": 0, "median": float("nan"), "p99": float("nan"), "mean": float("nan"), "max": float("nan")}
    return {
        "n": len(values_s),
        "median": statistics.median(values_s) * 1000,
        "p99": pct(values_s, 99) * 1000,
        "mean": statistics.fmean(values_s) * 1000,
        "max": max(values_s) * 1000,
    }


def fmt_ms(stats: dict[str, float]) -> str:
    return f"median {stats['median']:7.2f} ms   p99 {stats['p99']:7.2f} ms   (n={int(stats['n'])})"


# -- a throwaway PostgreSQL database ------------------------------------------------------------------


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_pg_database() -> tuple[str, str]:
    """Create a fresh database; return (its name, its SQLAlchemy asyncpg URL)."""
    name = f"fd_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def drop_pg_database(name: str) -> None:
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
