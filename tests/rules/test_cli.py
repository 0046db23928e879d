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


def test_hours_set_close_reopen_and_show(cli: CliRunner) -> None:
    run_json(cli, "workspace", "create", "Bella's Salon")
    week = '{"tue": [["09:00", "13:00"], ["14:00", "18:00"]], "sat": [["10:00", "14:00"]]}'
    done = run_json(cli, "rules", "hours", "set", "--workspace", "bellas-salon", "--timezone", "Europe/Madrid",
                    "--week", week)  # fmt: skip
    assert (done["timezone"], done["described"]) == ("Europe/Madrid", "Tue 09:00-13:00, 14:00-18:00; Sat 10:00-14:00")
    done = run_json(cli, "rules", "hours", "close", "--workspace", "bellas-salon", "2026-12-24",
                    "--until", "2026-12-26", "--label", "Christmas")  # fmt: skip
    assert done["closures"] == [{"start": "2026-12-24", "end": "2026-12-26", "label": "Christmas", "hours": []}]
    run_json(cli, "rules", "hours", "close", "--workspace", "bellas-salon", "2026-12-31", "--open", "10:00-14:00")
    shown = cli.invoke(main, ["rules", "hours", "show", "--workspace", "bellas-salon"], catch_exceptions=False)
    assert shown.output.splitlines() == [
        "Tue 09:00-13:00, 14:00-18:00; Sat 10:00-14:00 (Europe/Madrid)",
        "  2026-12-24 to 2026-12-26: closed (Christmas)",
        "  2026-12-31: 10:00-14:00",
    ]
    bad = cli.invoke(
        main, ["rules", "hours", "close", "--workspace", "bellas-salon", "2027-01-10", "--until", "2027-01-01"]
    )
    assert bad.exit_code != 0 and "the last day (2027-01-01) is before the first (2027-01-10)" in bad.output
    bad = cli.invoke(
        main, ["rules", "hours", "set", "--workspace", "bellas-salon", "--week", '{"mon": [["18:00", "09:00"]]}']
    )
    assert bad.exit_code != 0 and "mon: 18:00-09:00 must open before it closes" in bad.output
    bad = cli.invoke(main, ["rules", "hours", "set", "--workspace", "bellas-salon", "--timezone", "Mars/Base"])
    assert bad.exit_code != 0 and "is not an IANA time zone" in bad.output
    done = run_json(cli, "rules", "hours", "reopen", "--workspace", "bellas-salon", "2026-12-24")
    assert [c["start"] for c in done["closures"]] == ["2026-12-31"]
    assert done["described"] == "Tue 09:00-13:00, 14:00-18:00; Sat 10:00-14:00"  # the week was kept
    gone = cli.invoke(main, ["rules", "hours", "reopen", "--workspace", "bellas-salon", "2026-12-24"])
    assert gone.exit_code != 0 and "no closure starts on 2026-12-24" in gone.output
