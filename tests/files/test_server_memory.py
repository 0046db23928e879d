"""The real `frontdesk serve`, sent a 20 MB DOCX whose headers lie, without signing in: the customer
gets the usual reply and the server's peak memory stays within 100 MB of where it was.

Before files were checked by what they inflate to and parsed in a limited child, this upload grew
the server by over 2.5 GB (an out-of-memory kill on most small machines)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests import hostile_files as hostile

MB = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def reset_peak_memory(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from the current RSS


def peak_memory(pid: int) -> int:
    """The process's peak resident memory since the last reset, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def frontdesk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def chat(base: str, form: dict[str, str], file: tuple[str, bytes, str] | None = None) -> dict:
    with httpx.Client(base_url=base, timeout=120) as client:
        if file is None:
            r = client.post("/api/v1/chat", json={**form, "message": "hello, are you open on Saturday?"})
        else:
            r = client.post("/api/v1/chat", data=form, files={"file": file}, headers={"X-Frontdesk-Chat": "1"})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads peak memory from /proc")
@pytest.mark.timeout(300)
def test_a_20_mb_lying_docx_leaves_the_servers_peak_memory_within_100_mb(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "FRONTDESK_DEV": "1",
        "FRONTDESK_DATA_DIR": str(tmp_path),
        "FRONTDESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}",
        "FRONTDESK_LOG_LEVEL": "WARNING",
        "FRONTDESK_CHAT_WAIT_SECONDS": "60",
    }
    env.pop("FRONTDESK_LLM_BASE_URL", None)
    frontdesk(env, "migrate")
    created = json.loads(frontdesk(env, "workspace", "create", "Memory Salon", "--json"))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read().decode()[-2000:] if server.stderr else ""
            time.sleep(0.2)
        form = {"agent": created["assistant"]["slug"], "session_id": str(uuid.uuid4())}
        chat(base, form)  # the server at work: models loaded, a turn answered
        data = hostile.lying_docx(20 * MB)
        assert 19 * MB < len(data) <= 20 * MB
        reset_peak_memory(server.pid)
        before = peak_memory(server.pid)
        answer = chat(base, form, ("booking.docx", data, DOCX))
        after = peak_memory(server.pid)
        print(f"peak memory {before / MB:.0f} MB -> {after / MB:.0f} MB")
        assert after - before <= 100 * MB, f"peak memory grew {(after - before) / MB:.0f} MB"
        assert answer["response"].startswith("I couldn't open that file"), answer
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(30)
