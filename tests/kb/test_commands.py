"""`frontdesk kb add|list|search` as an owner uses them from a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.bot.test_cli import run_json


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", db_url)
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", "cli-test-secret-key-0123456789")
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRONTDESK_LOG_JSON", "0")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_kb_add_list_and_search(cli: CliRunner, tmp_path: Path) -> None:
    run_json(cli, "workspace", "create", "Downtown Dental")
    faq = tmp_path / "faq.csv"
    faq.write_text("Question,Answer\nDo you take new patients?,Yes; call us to book a first check-up.\n")
    added = run_json(cli, "kb", "add", str(faq), "--workspace", "downtown-dental")
    assert added["outcome"] == "created" and added["chunks"] == 1
    again = cli.invoke(main, ["kb", "add", str(faq), "--workspace", "downtown-dental"])
    assert again.exit_code == 0 and "already in the knowledge base, unchanged" in again.output
    assert [d["source"] for d in run_json(cli, "kb", "list", "--workspace", "downtown-dental")] == ["faq.csv"]
    [hit] = run_json(cli, "kb", "search", "are you accepting new patients?", "--workspace", "downtown-dental")
    assert hit["answers"] is True and hit["file_or_url"] == "faq.csv" and "first check-up" in hit["text"]
    shown = cli.invoke(main, ["kb", "search", "new patients", "--workspace", "downtown-dental"])
    assert "1. faq > Do you take new patients?  (faq.csv)" in shown.output


def test_kb_add_refuses_bad_files_with_the_reason(cli: CliRunner, tmp_path: Path) -> None:
    run_json(cli, "workspace", "create", "Shop")
    empty = tmp_path / "notes.txt"
    empty.write_bytes(b"")
    result = cli.invoke(main, ["kb", "add", str(empty), "--workspace", "shop"])
    assert result.exit_code == 1 and "notes.txt: the file is empty" in result.output
    missing = cli.invoke(main, ["kb", "add", str(tmp_path / "nope.pdf"), "--workspace", "shop"])
    assert missing.exit_code == 1 and "no such file" in missing.output
    assert run_json(cli, "kb", "list", "--workspace", "shop") == []


def test_kb_add_url_crawls_the_site(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.kb.site import serve

    monkeypatch.setenv("FRONTDESK_KB_CRAWL_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("FRONTDESK_KB_CRAWL_DELAY_SECONDS", "0")
    run_json(cli, "workspace", "create", "Bella's Salon")
    with serve() as site:
        result = cli.invoke(main, ["kb", "add", f"{site.base}/help/", "--workspace", "bellas-salon"])
    assert result.exit_code == 0, result.output
    assert "Crawled 3 pages" in result.output and "3 new" in result.output
    assert f"skipped {site.base}/help/private/staff.html: disallowed by robots.txt" in result.output
    sources = [d["source"] for d in run_json(cli, "kb", "list", "--workspace", "bellas-salon")]
    assert f"{site.base}/help/prices.html" in sources


def test_kb_embedding_chooses_an_endpoint_and_embeds_again(cli: CliRunner, tmp_path: Path) -> None:
    from tests.fakes.openai_server import FakeOpenAI
    from tests.fakes.server import serve

    run_json(cli, "workspace", "create", "Downtown Dental")
    faq = tmp_path / "faq.csv"
    faq.write_text("Question,Answer\nDo you take new patients?,Yes; call us to book a first check-up.\n")
    run_json(cli, "kb", "add", str(faq), "--workspace", "downtown-dental")
    shown = cli.invoke(main, ["kb", "embedding", "--workspace", "downtown-dental"])
    assert shown.exit_code == 0 and "all-MiniLM-L6-v2-onnx-int8 (384 dimensions, packaged, offline)" in shown.output

    fake = FakeOpenAI()
    fake.embedding_key = "sk-cli-test-key"
    with serve(fake.app) as url:
        where = ["--workspace", "downtown-dental", "--base-url", f"{url}/v1", "--model", "fake-embed"]
        wrong = cli.invoke(main, ["kb", "embedding", *where, "--api-key", "sk-wrong"])
        assert wrong.exit_code == 1 and "not changed: the embeddings endpoint refused the api key" in wrong.output
        chosen = cli.invoke(main, ["kb", "embedding", *where], env={"FRONTDESK_EMBEDDING_API_KEY": "sk-cli-test-key"})
        assert chosen.exit_code == 0, chosen.output
        assert "openai:fake-embed (64 dimensions" in chosen.output and "embedded 1 passage again" in chosen.output
        assert "sk-cli-test-key" not in chosen.output
        [hit] = run_json(cli, "kb", "search", "new patients?", "--workspace", "downtown-dental")
        assert "first check-up" in hit["text"] and hit["similarity"] > 0
        assert fake.embedding_requests[-1].body["input"] == ["new patients?"]
    local = run_json(cli, "kb", "embedding", "--workspace", "downtown-dental", "--local", "--json")
    assert (
        local["embed_model"] == "all-MiniLM-L6-v2-onnx-int8"
        and local["embedded"] == 1
        and local["waiting_passages"] == 0
    )
