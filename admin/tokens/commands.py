"""`frontdesk token create|list|revoke`: a workspace's API tokens from the terminal (the server
operator's side of the Tokens page and `/api/v1/tokens`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from core.cli import find_workspace, out, with_db

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db import Database

SCOPES = ("full", "inbox", "read")  # core.workspaces.TOKEN_SCOPES (a test keeps them in step)


@click.group()
def token() -> None:
    """A workspace's API tokens for scripts and integrations: make, list, revoke."""


@token.command("create")
@click.argument("name")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
@click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="full",
    show_default=True,
    help="full: what an owner may do; inbox: conversations and drafts; read: look, change nothing.",
)
@click.option("--json", "as_json", is_flag=True)
def token_create(name: str, workspace_ref: str, scope: str, as_json: bool) -> None:
    """Make an API token called NAME; it is printed once, only its hash is kept."""
    from admin.tokens import service

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> dict[str, Any]:
        ws = await find_workspace(s, workspace_ref)
        try:
            row, secret = await service.create_api_token(s, workspace_id=ws.id, name=name, scope=scope)
        except (service.TooManyTokens, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        return {"id": row.id, "name": row.name, "scope": row.scope, "token": secret}

    made = with_db(go)
    if as_json:
        out(made)
        return
    click.echo(f"{made['name']} ({made['scope']}): {made['token']}   (shown once; keep it safe)")


@token.command("list")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
@click.option("--json", "as_json", is_flag=True)
def token_list(workspace_ref: str, as_json: bool) -> None:
    """The workspace's live sessions and API tokens, newest first (never the tokens themselves)."""
    from admin.tokens import service

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> list[dict[str, Any]]:
        ws = await find_workspace(s, workspace_ref)
        _total, rows = await service.live_tokens(s, workspace_id=ws.id, only_user_id=None, limit=200, offset=0)
        return [
            {
                "id": t.id,
                "kind": t.kind,
                "name": t.name,
                "scope": t.scope if t.kind == "api" else "full",
                "prefix": t.prefix,
                "person": email,
                "created_at": t.created_at,
                "last_used_at": t.last_used_at,
            }
            for t, email in rows
        ]

    rows = with_db(go)
    if as_json:
        out(rows)
        return
    for r in rows:
        used = r["last_used_at"].strftime("%Y-%m-%d %H:%M") if r["last_used_at"] else "never used"
        who = r["person"] or f"API, {r['scope']}"
        click.echo(f"{r['id']}  {r['prefix']}…  {r['kind']:<7}  {r['name'] or '-'}  ({who}; {used})")


@token.command("revoke")
@click.argument("token_id")
@click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
def token_revoke(token_id: str, workspace_ref: str) -> None:
    """Revoke TOKEN_ID (from `token list`): refused from its next request on."""
    from admin.tokens import service

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> bool:
        ws = await find_workspace(s, workspace_ref)
        return await service.revoke(s, workspace_id=ws.id, token_id=token_id, only_user_id=None)

    if not with_db(go):
        raise click.ClickException(f"no live token {token_id!r} in that workspace")
    click.echo("revoked")


COMMANDS: list[click.Command] = [token]
