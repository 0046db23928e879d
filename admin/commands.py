"""`frontdesk workspace create|list`: workspaces (one per business), each with --json for scripts;
`frontdesk user reset-password`: the server operator sets a person's password."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from core.assistants import APPROVAL_POLICIES
from core.cli import out, with_database, with_db

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db import Database
    from core.models import Assistant, Workspace


@click.group()
def workspace() -> None:
    """Create and list workspaces (one per business)."""


@workspace.command("create")
@click.argument("name")
@click.option("--slug", help="URL name (default: from NAME).")
@click.option(
    "--policy",
    type=click.Choice(APPROVAL_POLICIES),
    default="approve_all",
    show_default=True,
    help="When drafts are sent without staff approval.",
)
@click.option("--json", "as_json", is_flag=True, help="Print ids, URLs and the token as JSON.")
def workspace_create(name: str, slug: str | None, policy: str, as_json: bool) -> None:
    """Create a workspace with a default assistant and an owner API token."""
    from core.workspaces import create_workspace

    async def go(settings: Any, db: Database, s: AsyncSession) -> dict[str, Any]:
        new = await create_workspace(s, name=name, slug=slug, approval_policy=policy)
        return describe_workspace(settings, new.workspace, new.assistant, new.token)

    data = with_db(go)
    if as_json:
        out(data)
        return
    click.echo(f"Created workspace {data['workspace']['name']} ({data['workspace']['slug']})")
    click.echo(f"  chat page:   {data['chat_url']}")
    click.echo(f"  owner token: {data['token']}   (shown once; keep it safe)")


def describe_workspace(settings: Any, ws: Workspace, assistant: Assistant, token: str | None) -> dict[str, Any]:
    """A new workspace as the CLI prints it: ids, its chat page and API URLs, and its owner token."""
    base = settings.public_url.rstrip("/")
    return {
        "workspace": {"id": ws.id, "slug": ws.slug, "name": ws.name},
        "assistant": {"id": assistant.id, "slug": assistant.slug, "approval_policy": assistant.approval_policy},
        "chat_url": f"{base}/chat/{ws.slug}",
        "api_url": f"{base}/api/v1",
        "token": token,
    }


@workspace.command("list")
@click.option("--json", "as_json", is_flag=True)
def workspace_list(as_json: bool) -> None:
    """List workspaces."""
    from sqlalchemy import select

    from core.models import Workspace

    async def go(_settings: Any, _db: Database, s: AsyncSession) -> list[dict[str, Any]]:
        rows = (await s.execute(select(Workspace).order_by(Workspace.created_at))).scalars()
        return [{"id": w.id, "slug": w.slug, "name": w.name} for w in rows]

    rows = with_db(go)
    if as_json:
        out(rows)
        return
    for w in rows:
        click.echo(f"{w['slug']:<24} {w['name']:<32} {w['id']}")
    if not rows:
        click.echo("no workspaces yet: `frontdesk workspace create NAME` or `frontdesk demo`")


@click.group()
def user() -> None:
    """People's accounts (the web admin's sign-in)."""


@user.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input (one line).")
def user_reset_password(email: str, password_stdin: bool) -> None:
    """Set EMAIL's password and sign them out everywhere (asks for it twice)."""
    import sys

    from admin.auth import service
    from admin.auth.strength import WeakPassword

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt="Again")

    async def go(_settings: Any, db: Database) -> str:
        from sqlalchemy import func, select

        from core.models import User

        async with db.reader() as s:
            found = (await s.execute(select(User.id).where(func.lower(User.email) == email.strip().lower()))).first()
        if found is None:
            raise click.ClickException(f"nobody has the email {email!r}")
        try:
            changed = await service.reset_password(db, workspace_id=None, user_id=found[0], new_password=password)
        except WeakPassword as exc:
            raise click.ClickException(str(exc)) from exc
        return changed.email

    changed = with_database(go)
    click.echo(f"Password changed for {changed}; every session of theirs is signed out.")


COMMANDS: list[click.Command] = [workspace, user]
