"""The CLI as a user runs it, against the test database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", db_url)
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", "cli-test-secret-key-0123456789")
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRONTDESK_LOG_JSON", "0")
    monkeypatch.chdir(tmp_path)  # no stray .env
    return CliRunner()
