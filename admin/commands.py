"""`frontdesk workspace create|list`: workspaces (one per business), each with --json for scripts;
`frontdesk user reset-password|invite|list|role|remove`: the server operator sets a person's password
and manages a workspace's team (through admin.team.service, as the API and the /team page do)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import click

from core.assistants import APPROVAL_POLICIES
from core.cli import out, with_database, with_db

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from admin.roles import Role
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


ROLE_CHOICE = click.Choice(["owner", "admin", "agent"])
WORKSPACE_OPTION = click.option("--workspace", "workspace_ref", required=True, help="The workspace's slug or id.")


async def _workspace_id(db: Database, ref: str) -> str:
    from sqlalchemy import or_, select

    from core.models import Workspace

    async with db.reader() as s:
        found = (await s.execute(select(Workspace.id).where(or_(Workspace.id == ref, Workspace.slug == ref)))).first()
    if found is None:
        raise click.ClickException(f"no workspace {ref!r} (see `frontdesk workspace list`)")
    return str(found[0])


async def _member_id(db: Database, workspace_id: str, email: str) -> str:
    from sqlalchemy import func, select

    from core.models import Membership, User

    async with db.reader() as s:
        found = (
            await s.execute(
                select(User.id)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.workspace_id == workspace_id, func.lower(User.email) == email.strip().lower())
            )
        ).first()
    if found is None:
        raise click.ClickException(f"nobody with the email {email!r} is in this workspace")
    return str(found[0])


def _team_call(go: Any) -> Any:
    """Run a team action, its refusals as the CLI's errors."""
    from admin.team.service import TeamError

    async def guarded(settings: Any, db: Database) -> Any:
        try:
            return await go(settings, db)
        except TeamError as exc:
            raise click.ClickException(str(exc)) from exc

    return with_database(guarded)


@user.command("invite")
@click.argument("email")
@WORKSPACE_OPTION
@click.option("--role", type=ROLE_CHOICE, default="agent", show_default=True)
@click.option("--name", default="", help="Their name, if you know it (they can change it when they join).")
@click.option("--json", "as_json", is_flag=True)
def user_invite(email: str, workspace_ref: str, role: str, name: str, as_json: bool) -> None:
    """Add EMAIL to a workspace: at once if they have an account, else print an invitation link."""
    from admin.team import service

    async def go(settings: Any, db: Database) -> dict[str, Any]:
        workspace_id = await _workspace_id(db, workspace_ref)
        done = await service.invite(
            db, workspace_id=workspace_id, actor=None, by_user_id=None, email=email, role=cast("Role", role), name=name
        )
        if done.member is not None:
            return {"email": done.member.email, "role": role, "added": True, "url": None}
        url = f"{settings.public_url.rstrip('/')}/invite/{done.token}"
        return {"email": email.strip().lower(), "role": role, "added": False, "url": url}

    data = _team_call(go)
    if as_json:
        out(data)
    elif data["added"]:
        click.echo(f"{data['email']} had an account: added as {data['role']}; they sign in with their password.")
    else:
        click.echo(f"Invited {data['email']} as {data['role']}. Send them this link (shown once, valid 7 days):")
        click.echo(f"  {data['url']}")


@user.command("list")
@WORKSPACE_OPTION
@click.option("--json", "as_json", is_flag=True)
def user_list(workspace_ref: str, as_json: bool) -> None:
    """List a workspace's people and the invitations still waiting."""
    from admin.team.service import pending
    from admin.workspaces.service import members

    async def go(_settings: Any, db: Database) -> dict[str, Any]:
        workspace_id = await _workspace_id(db, workspace_ref)
        async with db.reader() as s:
            people = await members(s, workspace_id=workspace_id)
            invited = await pending(s, workspace_id=workspace_id)
        return {
            "members": [{"id": u.id, "email": u.email, "name": u.name, "role": role} for u, role in people],
            "invitations": [
                {"id": i.id, "email": i.email, "role": i.role, "expires_at": i.expires_at.isoformat()} for i in invited
            ],
        }

    data = with_database(go)
    if as_json:
        out(data)
        return
    for m in data["members"]:
        click.echo(f"{m['role']:<7} {m['email']:<40} {m['name']}")
    for i in data["invitations"]:
        click.echo(f"{i['role']:<7} {i['email']:<40} (invited, until {i['expires_at'][:10]})")


@user.command("role")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
@WORKSPACE_OPTION
def user_role(email: str, role: str, workspace_ref: str) -> None:
    """Give EMAIL another ROLE in a workspace (owner, admin or agent)."""
    from admin.team import service

    async def go(_settings: Any, db: Database) -> str:
        workspace_id = await _workspace_id(db, workspace_ref)
        user_id = await _member_id(db, workspace_id, email)
        changed = await service.change_role(
            db, workspace_id=workspace_id, actor=None, user_id=user_id, role=cast("Role", role)
        )
        return changed.email

    click.echo(f"{_team_call(go)} is now {role}.")


@user.command("remove")
@click.argument("email")
@WORKSPACE_OPTION
def user_remove(email: str, workspace_ref: str) -> None:
    """Take EMAIL out of a workspace and sign out their sessions there (their account stays)."""
    from admin.team import service

    async def go(_settings: Any, db: Database) -> str:
        workspace_id = await _workspace_id(db, workspace_ref)
        user_id = await _member_id(db, workspace_id, email)
        removed = await service.remove_member(db, workspace_id=workspace_id, actor=None, user_id=user_id)
        return removed.email

    click.echo(f"{_team_call(go)} is no longer in the workspace, and is signed out of it.")


COMMANDS: list[click.Command] = [workspace, user]
