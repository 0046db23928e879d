"""Parsing a file from outside in a child process with a memory and a CPU limit.

A parser fed a hostile file can need gigabytes or minutes (an XML part of millions of empty
elements, a PDF of nested object streams). Inside the server that is an out-of-memory kill of every
conversation in flight; in a child it is one refused file. Each file gets a fresh child (nothing of
one workspace's file is left behind for the next), started with no secrets in its environment, and
at most `concurrency` children run at once per process, so a flood of uploads queues instead of
multiplying the memory. The target is named "module:function" by the caller; it takes the bytes
and keyword arguments that JSON can carry, returns what JSON can carry, and raises FileRefused for
a file it will not read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from dataclasses import dataclass
from typing import Any

from core.files import FileRefused

log = logging.getLogger(__name__)

MB = 1024 * 1024


@dataclass(frozen=True)
class IsolationLimits:
    memory_mb: int = 1024  # the child's whole address space, its interpreter and imports included
    cpu_seconds: int = 60
    wall_seconds: float = 120.0
    concurrency: int = 2
    max_result_bytes: int = 64 * MB


_limits = IsolationLimits()
_gates: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
# The child sees no FRONTDESK_* secret, database URL or API key: only what Python needs to start.
_ENV_KEPT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "HOME", "TMPDIR", "VIRTUAL_ENV")


def configure(limits: IsolationLimits) -> None:
    """Set this process's limits (from settings, once at start-up)."""
    global _limits
    _limits = limits
    _gates.clear()


def current_limits() -> IsolationLimits:
    return _limits


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        for old in [other for other in _gates if other.is_closed()]:
            del _gates[old]
        gate = _gates[loop] = asyncio.Semaphore(_limits.concurrency)
    return gate


async def run_isolated(
    target: str, data: bytes, *, refusal: type[FileRefused] = FileRefused, what: str = "file", **kwargs: Any
) -> Any:
    """`target(data, **kwargs)` in a limited child; raises `refusal` for a file it cannot read safely."""
    limits = _limits
    spec = json.dumps(
        {"target": target, "kwargs": kwargs, "memory_mb": limits.memory_mb, "cpu_seconds": limits.cpu_seconds}
    )
    env = {key: os.environ[key] for key in _ENV_KEPT if key in os.environ}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    async with _gate():
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "core.files.child",
            spec,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        try:
            out, err = await asyncio.wait_for(_talk(process, data, limits.max_result_bytes), limits.wall_seconds)
        except (TimeoutError, _TooMuch):
            _kill(process)
            await process.wait()
            raise refusal(f"this {what} takes longer to read than a {what} should; refused") from None
        except BaseException:
            _kill(process)
            await process.wait()
            raise
    return _result(out, err, process.returncode, refusal, what, target)


class _TooMuch(Exception):
    pass


async def _talk(process: asyncio.subprocess.Process, data: bytes, cap: int) -> tuple[bytes, bytes]:
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None

    async def send() -> None:
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.write(data)
            await process.stdin.drain()
            process.stdin.close()

    async def read(stream: asyncio.StreamReader, limit: int) -> bytes:
        parts, size = [], 0
        while chunk := await stream.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise _TooMuch
            parts.append(chunk)
        return b"".join(parts)

    async def drain_errors(stream: asyncio.StreamReader) -> bytes:
        kept = b""  # the tail is what explains a crash; a chatty parser must not fill our memory
        while chunk := await stream.read(64 * 1024):
            kept = (kept + chunk)[-8192:]
        return kept

    _, out, err = await asyncio.gather(send(), read(process.stdout, cap), drain_errors(process.stderr))
    await process.wait()
    return out, err


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _result(out: bytes, err: bytes, code: int | None, refusal: type[FileRefused], what: str, target: str) -> Any:
    try:
        answer = json.loads(out) if out else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if "ok" in answer:
        return answer["ok"]
    if "refused" in answer:
        raise refusal(str(answer["refused"]), int(answer.get("status") or 422))
    too_much_memory = refusal(f"this {what} needs more memory to read than a {what} should; refused")
    if answer.get("limit") == "memory":
        raise too_much_memory
    if answer.get("limit") == "depth":
        raise refusal(f"this {what} nests deeper than a real one; refused")
    if "error" in answer:
        log.warning("reading a %s failed in its child (%s): %s", what, target, answer["error"])
        raise refusal(f"this {what} could not be read ({answer['error']})")
    if code is not None and code < 0 and -code in (signal.SIGXCPU, signal.SIGKILL):
        raise refusal(f"this {what} takes longer to read than a {what} should; refused")
    log.warning(
        "reading a %s ended its child (%s) with code %s: %s", what, target, code, err.decode("utf-8", "replace")[-500:]
    )
    raise too_much_memory
