"""`frontdesk kb add|list|search|embedding`: the knowledge base from a terminal, for owners and
scripts. Each command calls kb.service, as the admin API does."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from core.cli import find_workspace, out, with_database

if TYPE_CHECKING:
    from core.db import Database
    from kb.embedders import Embedders

_workspace_opt = click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")


class Bar:
    """A one-line progress bar on stderr, fed (done, total) from the embedding thread."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not total or not sys.stderr.isatty():
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r  {self.label} [{'#' * filled}{'.' * (width - filled)}] {100 * done // total:3d}%")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


async def _workspace_id(db: Database, ref: str) -> str:
    async with db.reader() as r:
        return (await find_workspace(r, ref)).id


def embedders_for(settings: Any, db: Database) -> Embedders:
    """Each workspace's embedding model, able to read a stored api key."""
    from core.crypto import SecretBox
    from kb.embedders import Embedders

    return Embedders(db, SecretBox(settings.key), timeout=settings.llm_timeout_seconds)


@click.group()
def kb() -> None:
    """The knowledge base the assistant answers from: add documents, list them, try a search."""


@kb.command("add")
@click.argument("source")
@_workspace_opt
@click.option("--collection", "collection_id", help="Collection id (default: the workspace's knowledge base).")
@click.option("--json", "as_json", is_flag=True)
def kb_add(source: str, workspace_ref: str, collection_id: str | None, as_json: bool) -> None:
    """Add a file (PDF, DOCX, Markdown, HTML, TXT, CSV/XLSX FAQ sheet) or a website (URL, crawled)."""
    from kb.ingest.guard import BadDocument
    from kb.service import ingest_file
    from kb.store import NotFound

    if source.startswith(("http://", "https://")):
        _crawl(source, workspace_ref, collection_id, as_json)
        return
    path = Path(source)
    if not path.is_file():
        raise click.ClickException(f"no such file: {source}")
    bar = Bar(f"embedding {path.name}")
    content = path.read_bytes()

    async def go(settings: Any, db: Database) -> dict[str, Any]:
        workspace_id = await _workspace_id(db, workspace_ref)
        stored = await ingest_file(
            db,
            workspace_id=workspace_id,
            name=path.name,
            data=content,
            collection_id=collection_id,
            max_bytes=settings.kb_max_upload_bytes,
            embedders=embedders_for(settings, db),
            progress=bar,
        )
        d = stored.document
        return {"id": d.id, "title": d.title, "source": d.source, "chunks": d.chunk_count, "outcome": stored.outcome}

    try:
        data = with_database(go)
    except BadDocument as exc:
        raise click.ClickException(f"{path.name}: {exc}") from exc
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        bar.close()
    if as_json:
        out(data)
        return
    if data["outcome"] == "unchanged":
        click.echo(f"{data['source']} is already in the knowledge base, unchanged")
    else:
        click.echo(f"{data['outcome'].capitalize()} {data['title']!r} ({data['source']}): {data['chunks']} passages")


def _crawl(url: str, workspace_ref: str, collection_id: str | None, as_json: bool) -> None:
    from kb import service
    from kb.crawl import CrawlRefused, crawl_limits
    from kb.store import NotFound

    bar = Bar("crawling")

    async def go(settings: Any, db: Database) -> dict[str, Any]:
        workspace_id = await _workspace_id(db, workspace_ref)
        site = await service.add_site(
            db,
            workspace_id=workspace_id,
            url=url,
            collection_id=collection_id,
            allow_private=settings.kb_crawl_allow_private,
        )
        return await service.crawl(
            db, site_id=site.id, limits=crawl_limits(settings), embedders=embedders_for(settings, db), progress=bar
        )

    try:
        data = with_database(go)
    except (CrawlRefused, NotFound) as exc:
        raise click.ClickException(f"{url}: {exc}") from exc
    finally:
        bar.close()
    if as_json:
        out(data)
        return
    click.echo(
        f"Crawled {data['pages']} pages of {url}: {data['created']} new, {data['updated']} changed, "
        f"{data['unchanged']} unchanged, {data['removed']} removed"
    )
    for skipped, why in sorted(data["skipped"].items()):
        click.echo(f"  skipped {skipped}: {why}")


@kb.command("list")
@_workspace_opt
@click.option("--json", "as_json", is_flag=True)
def kb_list(workspace_ref: str, as_json: bool) -> None:
    """List the documents in the workspace's knowledge base."""
    from kb import service

    async def go(_settings: Any, db: Database) -> list[dict[str, Any]]:
        workspace_id = await _workspace_id(db, workspace_ref)
        async with db.reader() as r:
            _total, documents = await service.documents(r, workspace_id=workspace_id, newest_first=False)
            return [
                {
                    "id": d.id,
                    "collection_id": d.collection_id,
                    "title": d.title,
                    "kind": d.kind,
                    "source": d.source,
                    "chunks": d.chunk_count,
                    "updated_at": d.updated_at,
                }
                for d in documents
            ]

    rows = with_database(go)
    if as_json:
        out(rows)
        return
    for d in rows:
        click.echo(f"{d['id']}  {d['chunks']:>4} passages  {d['title'][:40]:<40}  {d['source']}")
    if not rows:
        click.echo(f"the knowledge base is empty: `frontdesk kb add FILE --workspace {workspace_ref}`")


@kb.command("search")
@click.argument("query")
@_workspace_opt
@click.option("-k", "k", type=click.IntRange(1, 20), default=3, show_default=True, help="How many passages.")
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "vector"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def kb_search(query: str, workspace_ref: str, k: int, mode: str, as_json: bool) -> None:
    """Search as the assistant does, with scores and sources (and whether it would answer)."""
    from kb import service
    from kb.search import KnowledgeBase

    async def go(settings: Any, db: Database) -> list[dict[str, Any]]:
        workspace_id = await _workspace_id(db, workspace_ref)
        knowledge = KnowledgeBase(db, embedders=embedders_for(settings, db))
        found = await service.search(
            knowledge,
            workspace_id=workspace_id,
            query=query,
            k=k,
            mode=mode,  # type: ignore[arg-type]
            default_threshold=settings.kb_answer_threshold,
        )
        return [
            {
                "score": round(h.score, 4),
                "similarity": round(h.similarity, 3),
                "answers": h.similarity >= found.threshold,
                "source": h.passage.label,
                "file_or_url": h.passage.url or h.passage.source,
                "text": h.passage.text,
            }
            for h in found.hits
        ]

    rows = with_database(go)
    if as_json:
        out(rows)
        return
    for i, h in enumerate(rows, start=1):
        answers = "would answer" if h["answers"] else "below the answer threshold"
        click.echo(f"{i}. {h['source']}  ({h['file_or_url']})  similarity {h['similarity']}, {answers}")
        click.echo("   " + " ".join(h["text"].split())[:200])
    if not rows:
        click.echo("nothing found")


@kb.command("embedding")
@_workspace_opt
@click.option("--local", "use_local", is_flag=True, help="Use the packaged offline model (the default).")
@click.option(
    "--base-url", help="An OpenAI-compatible API, e.g. https://api.openai.com/v1 or http://localhost:11434/v1."
)
@click.option("--model", "model", help="The embedding model, e.g. text-embedding-3-small or nomic-embed-text.")
@click.option("--api-key", envvar="FRONTDESK_EMBEDDING_API_KEY", help="Or set FRONTDESK_EMBEDDING_API_KEY.")
@click.option("--dimensions", type=click.IntRange(1, 8192), help="Ask for shorter vectors (text-embedding-3 models).")
@click.option("--threshold", type=click.FloatRange(0, 1), help="The similarity an answer without an LLM needs.")
@click.option("--json", "as_json", is_flag=True)
def kb_embedding(
    workspace_ref: str,
    use_local: bool,
    base_url: str | None,
    model: str | None,
    api_key: str | None,
    dimensions: int | None,
    threshold: float | None,
    as_json: bool,
) -> None:
    """Show the workspace's embedding model, or choose one (checked first, then every passage is
    embedded again with it)."""
    from kb import service
    from kb.embedders import ChoiceRefused, EmbeddingChoice

    choosing = use_local or base_url or model
    if use_local and (base_url or model):
        raise click.UsageError("--local takes no --base-url or --model")
    bar = Bar("embedding passages again")

    async def go(settings: Any, db: Database) -> dict[str, Any]:
        workspace_id = await _workspace_id(db, workspace_ref)
        embedders = embedders_for(settings, db)
        embedded, error = 0, None
        try:
            if choosing:
                choice = EmbeddingChoice(
                    provider="local" if use_local else "openai",
                    base_url=base_url,
                    model=model,
                    api_key=api_key,
                    dimensions=dimensions,
                    answer_threshold=threshold,
                )
                embedded, error = await service.choose_embedding_now(
                    db, embedders, workspace_id=workspace_id, choice=choice, progress=bar
                )
            view = await service.embedding(db, embedders, workspace_id=workspace_id)
        finally:
            await embedders.aclose()
        return {**view, "embedded": embedded, "error": error}

    try:
        data = with_database(go)
    except ChoiceRefused as exc:
        raise click.ClickException(f"not changed: {exc}") from exc
    finally:
        bar.close()
    if as_json:
        out(data)
        return
    where = "packaged, offline" if data["provider"] == "local" else data["base_url"]
    click.echo(f"{data['embed_model']} ({data['embed_dim']} dimensions, {where})")
    if data["answer_threshold"] is not None:
        click.echo(f"answers without an LLM from similarity {data['answer_threshold']}")
    if data["embedded"]:
        click.echo(f"embedded {data['embedded']} passage{'' if data['embedded'] == 1 else 's'} again")
    if data["error"]:
        click.echo(f"not finished: {data['error']}")
    if data["waiting_passages"]:
        click.echo(f"{data['waiting_passages']} passages wait to be embedded with this model")


COMMANDS: list[click.Command] = [kb]
