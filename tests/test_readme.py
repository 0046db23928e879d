"""README.md as a new user follows it: after `make run`'s migrate and demo, every ```sh block runs
as written, in order, in one bash, against the app served as `frontdesk serve` serves it on a
loopback port with a fresh SQLite data directory. Blocks whose first line is `# needs: …` (a
Telegram token, a tunnel, Twilio, Slack, an LLM key) are skipped, and so are the long-running
commands the test does itself (`make run`, `frontdesk serve`) or must not (`make test`).

The server's rule clock stands at a Monday night, when the salon is closed: the walkthrough must
find a draft waiting for staff at any hour."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.app import create_app
from bot.cli import server_config
from bot.demo import DEMO_OWNER, machine_timezone
from bot.runtime import Runtime
from bot.settings import Settings
from tests.fakes.server import free_port, serve_config

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent
SKIPPED_LINE = re.compile(r"^\s*(make (run|test)|\S*frontdesk (serve|worker))\b")
# A Monday (the salon is closed all day) at 03:00, in the time zone the demo gives the salon.
NIGHT = datetime(2026, 11, 16, 3, 0, tzinfo=ZoneInfo(machine_timezone()))


@dataclass(frozen=True)
class Demo:
    url: str
    env: dict[str, str]
    cwd: Path
    data: dict[str, Any]

    def run(self, script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", script], cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=120
        )


def sh_blocks(markdown: str) -> list[tuple[int, str]]:
    """Every ```sh block (indented ones in lists too): (line number, its text, dedented)."""
    blocks, lines = [], markdown.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            start, body = i + 1, []
            i += 1
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            blocks.append((start + 1, textwrap.dedent("\n".join(body))))
        i += 1
    return blocks


def runnable(block: str) -> str | None:
    """The block without the commands the test runs itself; None for a `# needs:` block."""
    if block.lstrip().startswith("# needs:"):
        return None
    return "\n".join(line for line in block.splitlines() if not SKIPPED_LINE.match(line))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`make run` with FRONTDESK_PORT on a free port: migrate, demo, serve (at a Monday night)."""
    home = tmp_path_factory.mktemp("readme")
    (home / ".venv").symlink_to(VENV, target_is_directory=True)  # the README names .venv/bin/frontdesk
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(
        FRONTDESK_DEV="1", FRONTDESK_LOG_JSON="0", FRONTDESK_DATA_DIR=str(home / "data"), FRONTDESK_PORT=str(port)
    )
    frontdesk = [str(home / ".venv" / "bin" / "frontdesk")]
    subprocess.run([*frontdesk, "migrate"], cwd=home, env=env, check=True, capture_output=True, timeout=120)
    made = subprocess.run(
        [*frontdesk, "demo", "--json"], cwd=home, env=env, capture_output=True, text=True, timeout=120
    )
    assert made.returncode == 0, made.stderr
    data = home / "data"
    settings = Settings(  # what `frontdesk serve` reads from that environment, whatever this process has in its own
        _env_file=None,  # type: ignore[call-arg]
        dev=True,
        data_dir=data,
        database_url=f"sqlite+aiosqlite:///{data / 'frontdesk.db'}",
        secret_key=(data / "secret_key").read_text().strip(),  # the one `make run` generated in dev mode
        public_url="",
        port=port,
        log_json=False,
        worker_poll_seconds=0.2,
        chat_wait_seconds=60,  # the first message loads the models; the README's curl gets its reply
    )
    runtime = Runtime.build(settings)
    runtime.rules.clock = lambda: NIGHT
    with serve_config(server_config(create_app(runtime), host="127.0.0.1", port=port)) as url:
        yield Demo(url, env, home, json.loads(made.stdout))


def test_every_shell_block_runs_as_written_and_the_walkthrough_works_at_night(demo: Demo) -> None:
    blocks = sh_blocks((ROOT / "README.md").read_text())
    script = ["set -euo pipefail"]
    for line, block in blocks:
        body = runnable(block)
        if body is not None and body.strip():
            script += [f"echo '--- README.md line {line}' >&2", body]
    assert len(script) > 5, "the README's runnable blocks were not found"
    done = demo.run("\n".join(script))
    assert done.returncode == 0, f"{done.stderr[-3000:]}\n{done.stdout[-2000:]}"
    assert "from 'new' it can go to" in done.stdout  # the status example's 409, as its comment says

    # The walkthrough, at night: the question got the holding reply (not the after-hours one), its
    # draft waited for staff, and the staff answer reached the customer's chat.
    answer = next(line for line in done.stdout.splitlines() if '"message":"Is there parking nearby?"' in line)
    asked, _end = json.JSONDecoder().raw_decode(answer)  # curl prints no newline: the next output follows
    assert asked["status"] == "handed_off" and "team" in asked["response"]
    assert "customer: 'Is there parking nearby?'" in done.stdout and "is on its way" in done.stdout
    assert "Yes, there is free parking behind the salon." in _staff_messages(demo.url, asked["session_id"])


def test_the_demo_prints_the_after_hours_dry_run_and_the_owners_sign_in(demo: Demo) -> None:
    rules = demo.data["rules"]
    assert rules["after_hours_active"] is False
    tried = demo.run(rules["test_command"])
    assert tried.returncode == 0, tried.stderr
    trace = json.loads(tried.stdout)
    assert trace["matched"] is True and "22:00" in trace["explanation"]

    admin = demo.data["admin"]
    assert admin["url"] == f"{demo.url}/" and admin["email"] == DEMO_OWNER and admin["password"]
    signed_in = httpx.post(
        f"{demo.url}/api/v1/auth/login", json={"email": DEMO_OWNER, "password": admin["password"]}, timeout=30
    )
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["workspace"]["slug"] == "bellas-salon"

    # Last, as it changes the demo: switched on, the after-hours reply answers at night by itself.
    switched = demo.run(rules["enable_command"])
    assert switched.returncode == 0 and json.loads(switched.stdout)["active"] is True, switched.stderr
    asked = httpx.post(
        f"{demo.url}/api/v1/chat", json={"agent": "bellas-salon", "message": "Is there parking?"}, timeout=60
    )
    assert asked.status_code == 200 and asked.json()["status"] == "sent", asked.text
    assert "closed right now" in asked.json()["response"]


def _staff_messages(url: str, session_id: str) -> list[str]:
    """The staff messages in the customer's chat, once the server has sent one (it polls the outbox)."""
    deadline = time.monotonic() + 30
    while True:
        history = httpx.get(f"{url}/api/v1/chat/{session_id}/messages", timeout=30).json()
        staff = [m["text"] for m in history["messages"] if m["role"] == "staff"]
        if staff or time.monotonic() > deadline:
            return staff
        time.sleep(0.2)
