"""`frontdesk rules` and the demo's rules, as an owner runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", db_url)
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", "cli-test-secret-key-0123456789")
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRONTDESK_LOG_JSON", "0")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def run_json(cli: CliRunner, *args: str) -> Any:
    result = cli.invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_templates_install_and_list(cli: CliRunner) -> None:
    packs = run_json(cli, "rules", "templates")
    assert {p["key"] for p in packs} == {"salon", "clinic", "restaurant", "ecommerce", "real_estate"}
    run_json(cli, "workspace", "create", "Downtown Dental")
    done = run_json(cli, "rules", "install", "clinic", "--workspace", "downtown-dental")
    assert "emergency words" in done["installed"] and done["business_hours_set"]
    listed = run_json(cli, "rules", "list", "--workspace", "downtown-dental")
    assert len(listed) == len(done["installed"]) and all(r["fired"] == 0 for r in listed)
    unknown = cli.invoke(main, ["rules", "install", "bakery", "--workspace", "downtown-dental"])
    assert unknown.exit_code == 1 and "no pack 'bakery'" in unknown.output


def test_demo_installs_the_salon_pack_once(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Madrid")  # the machine's time zone becomes the salon's
    first = run_json(cli, "demo")
    again = run_json(cli, "demo")
    assert "after-hours reply" in first["rules"]["installed"] and again["rules"]["installed"] == []
    assert "/rules/test" in first["rules"]["test_command"]
    assert first["rules"]["after_hours_rule_id"] in first["rules"]["test_command"]
    # Off, so the walkthrough's question waits for staff at any hour; the demo says how to switch it on.
    assert first["rules"]["after_hours_active"] is False and '{"active": true}' in first["rules"]["enable_command"]
    assert first["rules"]["timezone"] == "Europe/Madrid" and first["rules"]["business_hours"] == "Tue-Sat 09:00-18:00"
    assert re.search(r'"at": "[-0-9]+T22:00:00\+0[12]:00"', first["rules"]["test_command"])
