"""Resident memory of `frontdesk serve` and `frontdesk worker` with every embedded model loaded (issue 18).

    .venv/bin/python -m bench.memory                           # this checkout, 10,000 messages
    .venv/bin/python -m bench.memory --baseline ../main        # and another checkout's code, side by side
    .venv/bin/python -m bench.memory --messages 2000           # shorter

Setup (once, in this process, shared by every side through a copy of the data directory): a fresh
SQLite data dir, `frontdesk migrate`, `frontdesk demo`, and a knowledge base of 10,000 passages
stored through kb.store (with seeded unit vectors under the local model's name: the same memory as
MiniLM's, without an hour of embedding on a busy machine; questions are embedded by the real model).
Then for each checkout, as real subprocesses with that checkout's code first on PYTHONPATH, in two layouts:
- "split": `frontdesk serve --no-worker` and `frontdesk worker`;
- "all-in-one": `frontdesk serve` (the worker in-process, the default).
Every model is made to load: a voice note through POST /api/v1/chat (multipart: Whisper in the media
stage), a knowledge-base search through the admin API (the web process's index), then the messages
through POST /api/v1/chat (JSON, FRONTDESK_CHAT_WAIT_SECONDS=0 so each request returns once the
message is durably accepted; understanding's MiniLM and intents, retrieval, the fake instant LLM, the
outbox). When the inbox is drained, VmRSS (now) and VmHWM (peak) are read from /proc/PID/status of
each process and its children.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.common import FakeLLM, fake_llm, free_port, stop_process, wait_http
from bench.webchat import server_env

ROOT = Path(__file__).resolve().parent.parent
NOTE = ROOT / "bench" / "audio" / "front_desk_note.ogg"
PASSAGES = 10_000
SECTIONS_PER_DOCUMENT = 1000
LAYOUTS = ("split", "all-in-one")
CLI = "from bot.cli import main; main()"
VOCABULARY = (
    "appointment booking cancel colour cut hair nails massage facial price voucher gift card parking "
    "opening hours saturday sunday holiday staff stylist treatment allergy patch test refund deposit "
    "late arrival wheelchair access children beard trim wax brows lashes student discount loyalty "
    "points membership towel shampoo conditioner products online payment cash receipt invoice"
)
WORDS = VOCABULARY.split()


def _document(index: int, rng: random.Random) -> bytes:
    """Markdown with SECTIONS_PER_DOCUMENT headed sections of 40-120 words (one passage each)."""
    parts = [f"# Salon handbook {index}\n"]
    for s in range(SECTIONS_PER_DOCUMENT):
        words = " ".join(rng.choices(WORDS, k=rng.randint(40, 120)))
        parts.append(f"## Topic {index}.{s}\n\n{words.capitalize()}.\n")
    return "\n".join(parts).encode()


def run_cli(code: Path, args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", CLI, *args],
        env={**env, "PYTHONPATH": str(code)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"frontdesk {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


async def set_up(data: Path, env: dict[str, str], passages: int) -> dict[str, Any]:
    """Migrate, seed the demo, and store `passages` passages in its knowledge base."""
    run_cli(ROOT, ["migrate"], env, data)
    demo = json.loads(run_cli(ROOT, ["demo", "--json"], env, data))
    os.environ.update({k: v for k, v in env.items() if k.startswith("FRONTDESK_")})
    import bot.schema  # noqa: F401  (every package's tables)
    from core.db import Database
    from kb.embeddings import LOCAL_DIM, LOCAL_MODEL
    from kb.ingest.readers import parse
    from kb.store import content_hash, store_document

    db = Database(env["FRONTDESK_DATABASE_URL"])
    rng = random.Random(18)
    try:
        for i in range(max(1, passages // SECTIONS_PER_DOCUMENT)):
            body = _document(i, rng)
            await store_document(
                db,
                workspace_id=demo["workspace"]["id"],
                collection_id=None,
                source=f"handbook-{i}.md",
                kind="file",
                parsed=parse(f"handbook-{i}.md", body),
                digest=content_hash(body),
                size=len(body),
                model=_StandIn(LOCAL_MODEL, LOCAL_DIM),
            )
    finally:
        await db.dispose()
    return demo


class _StandIn:
    """Seeded unit vectors under the local model's name: the stored vectors take the same memory as
    real ones, and embedding 10,000 passages on a busy 2-core machine takes most of an hour."""

    def __init__(self, model_name: str, dimension: int) -> None:
        self.model_name, self.dimension = model_name, dimension
        self.rng = np.random.default_rng(18)

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.rng.standard_normal((len(texts), self.dimension)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    async def aencode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def memory_of(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM in MB of a process and of its children, summed."""
    total = {"rss_mb": 0.0, "hwm_mb": 0.0, "processes": 0}
    for p in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        total["rss_mb"] += int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
        total["hwm_mb"] += int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
        total["processes"] += 1
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for kid in kids:
            found += [kid, *_children(kid)]
    return found


def _start(code: Path, args: list[str], env: dict[str, str], cwd: Path, name: str) -> subprocess.Popen[bytes]:
    with (cwd / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-c", CLI, *args],
            env={**env, "PYTHONPATH": str(code)},
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )


def _pending(db_file: Path) -> int:
    with sqlite3.connect(db_file) as c:
        return int(c.execute("SELECT count(*) FROM inbox WHERE state IN ('pending', 'processing')").fetchone()[0])


async def _send(base: str, agent: str, token: str, messages: int, concurrency: int = 16) -> dict[str, int]:
    statuses: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        voice = await client.post(
            "/api/v1/chat",
            data={"agent": agent, "kind": "voice"},
            files={"file": ("note.ogg", NOTE.read_bytes(), "audio/ogg")},
            headers={"X-Frontdesk-Chat": "1"},
        )
        statuses[f"voice:{voice.status_code}"] = 1
        found = await client.get(
            "/api/v1/knowledge-base/search",
            params={"q": "can I bring my children to a colour appointment?"},
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses[f"kb-search:{found.status_code}"] = 1
        sessions = [str(uuid.uuid4()) for _ in range(max(1, messages // 10))]
        counter = iter(range(messages))

        async def lane() -> None:
            for i in counter:
                body = {
                    "agent": agent,
                    "session_id": sessions[i % len(sessions)],
                    "message": f"Hello, message {i}: {random.choice(WORDS)} on {random.choice(WORDS)}, can you help?",
                }
                r = await client.post("/api/v1/chat", json=body)
                statuses[f"chat:{r.status_code}"] = statuses.get(f"chat:{r.status_code}", 0) + 1

        await asyncio.gather(*(lane() for _ in range(concurrency)))
    return statuses


async def measure(
    code: Path, template: Path, env: dict[str, str], demo: dict[str, Any], messages: int, split: bool
) -> dict[str, Any]:
    """One side: copy the data dir, start the processes, load every model, send, drain, read memory."""
    data = Path(tempfile.mkdtemp(prefix="fd-bench-mem-"))
    shutil.copytree(template, data, dirs_exist_ok=True)
    env = {**env, "FRONTDESK_DATA_DIR": str(data), "FRONTDESK_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'fd.db'}"}
    port = free_port()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    started = time.monotonic()
    try:
        serve_args = ["serve", "--port", str(port), "--host", "127.0.0.1"]
        procs["serve"] = _start(code, [*serve_args, "--no-worker"] if split else serve_args, env, data, "serve")
        if split:
            procs["worker"] = _start(code, ["worker"], env, data, "worker")
        base = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_http, f"{base}/healthz", timeout=90, proc=procs["serve"])
        statuses = await _send(base, demo["assistant"]["slug"], demo["token"], messages)
        deadline = time.monotonic() + 3600
        while _pending(data / "fd.db") and time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs.values()):
                raise RuntimeError(f"a process exited: {(data / 'serve.log').read_text()[-2000:]}")
            await asyncio.sleep(1)
        figures = {name: memory_of(p.pid) for name, p in procs.items()}
        with sqlite3.connect(data / "fd.db") as c:
            states = dict(c.execute("SELECT state, count(*) FROM inbox GROUP BY state").fetchall())
    except BaseException:
        for name in procs:
            log = data / f"{name}.log"
            if log.exists():
                print(f"--- {name}.log\n{log.read_text(errors='replace')[-3000:]}")
        raise
    finally:
        for p in procs.values():
            stop_process(p, timeout=20)
        shutil.rmtree(data, ignore_errors=True)
    return {"processes": figures, "statuses": statuses, "inbox": states, "wall_s": time.monotonic() - started}


async def run(
    *,
    messages: int = 10_000,
    passages: int = PASSAGES,
    baseline: Path | None = None,
    llm: FakeLLM | None = None,
    layouts: tuple[str, ...] = LAYOUTS,
) -> dict[str, Any]:
    template = Path(tempfile.mkdtemp(prefix="fd-bench-mem-template-"))
    try:
        with fake_llm() if llm is None else contextlib.nullcontext(llm) as fake:
            env = server_env(template, f"sqlite+aiosqlite:///{template / 'fd.db'}", fake.url)
            env["FRONTDESK_CHAT_WAIT_SECONDS"] = "0"
            print(f"   setting up: demo and {passages} passages ...", flush=True)
            demo = await set_up(template, env, passages)
            sides = [("this", ROOT)] + ([("baseline", baseline)] if baseline else [])
            results: dict[str, Any] = {"messages": messages, "passages": passages, "sides": {}}
            for layout in layouts:
                split = layout == "split"
                for side, code in sides:
                    print(f"   {side} ({code}), {layout}: {messages} messages ...", flush=True)
                    r = await measure(code, template, env, demo, messages, split)
                    results["sides"][f"{side} / {layout}"] = r
                    print(_lines(f"{side} / {layout}", r), flush=True)
            return results
    finally:
        shutil.rmtree(template, ignore_errors=True)


def _lines(label: str, r: dict[str, Any]) -> str:
    cells = [f"{name} VmRSS {m['rss_mb']:.0f} MB, VmHWM {m['hwm_mb']:.0f} MB" for name, m in r["processes"].items()]
    return f"   {label}: " + "; ".join(cells) + f"  (inbox {r['inbox']}, {r['wall_s']:.0f} s)"


def report(r: dict[str, Any]) -> str:
    head = f"{'side / layout':<28} {'process':<8} {'VmRSS MB':>9} {'VmHWM MB':>9}"
    lines = [f"memory after {r['messages']} messages, {r['passages']} passages, every model loaded", head]
    lines.append("-" * len(head))
    for label, side in r["sides"].items():
        for name, m in side["processes"].items():
            lines.append(f"{label:<28} {name:<8} {m['rss_mb']:>9.0f} {m['hwm_mb']:>9.0f}")
    return "\n".join(lines)


def target_line(r: dict[str, Any]) -> str:
    side = r["sides"].get("this / all-in-one")
    if not side:
        return "target: frontdesk serve <= 500 MB resident: not measured"
    rss = side["processes"]["serve"]["rss_mb"]
    return f"target: frontdesk serve <= 500 MB resident after {r['messages']} messages: " + (
        f"{'MET' if rss <= 500 else 'NOT MET'} ({rss:.0f} MB VmRSS, {side['processes']['serve']['hwm_mb']:.0f} MB peak)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--passages", type=int, default=PASSAGES)
    parser.add_argument("--baseline", type=Path, help="Another checkout's root, measured in the same run.")
    parser.add_argument("--layout", choices=LAYOUTS, help="Only this layout (default: both).")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    layouts = (args.layout,) if args.layout else LAYOUTS
    baseline = args.baseline.resolve() if args.baseline else None
    r = asyncio.run(run(messages=args.messages, passages=args.passages, baseline=baseline, layouts=layouts))
    print(report(r))
    print(target_line(r))
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
