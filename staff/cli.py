"""What staff's `frontdesk …` commands share: acting in a workspace as the terminal (face "cli"),
a conversation by its id or the start of it, and the service's refusals as click errors (a
non-zero exit and the reason). Not a command module: it defines no commands.

Heavy modules are imported inside the functions, as in core.cli.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from core.cli import find_workspace, with_runtime

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.models import Conversation, Workspace
    from staff.actor import Actor
    from staff.errors import StaffError
    from staff.service import StaffActions

T = TypeVar("T")

workspace_option = click.option("--workspace", "workspace_ref", required=True, help="Workspace slug or id.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")


@dataclass(frozen=True)
class Desk:
    """One command's place to act: the workspace, the terminal as its actor, the process's parts."""

    runtime: Any  # bot.runtime.Runtime (staff may not import bot)
    workspace: Workspace
    actor: Actor

    @property
    def staff(self) -> StaffActions:
        return self.runtime.staff


def refusal(exc: StaffError, workspace: Workspace) -> click.ClickException:
    """The service's refusal in the terminal's words; a refused change lists what to fix, field by field."""
    from staff.errors import NotFound, Refused

    if isinstance(exc, NotFound):
        return click.ClickException(f"{exc} in {workspace.slug}")
    if isinstance(exc, Refused) and exc.problems:
        return click.ClickException(f"{exc}: " + "; ".join(f"{k}: {v}" for k, v in exc.problems.items()))
    return click.ClickException(str(exc))


def act(workspace_ref: str, fn: Callable[[Desk], Awaitable[T]]) -> T:
    """Run `fn` with the workspace and the terminal's actor; the service's refusals exit non-zero."""

    async def go(runtime: Any) -> T:
        from staff.actor import Actor
        from staff.errors import StaffError

        async with runtime.db.reader() as r:
            ws = await find_workspace(r, workspace_ref)
        desk = Desk(runtime, ws, Actor(ws.id, "cli", None, "cli"))
        try:
            return await fn(desk)
        except StaffError as exc:
            raise refusal(exc, ws) from exc

    return with_runtime(go)


async def conversation(s: AsyncSession, workspace: Workspace, ref: str) -> Conversation:
    """The workspace's conversation with this id, or the one whose id starts with `ref` (at least
    six characters, as Slack's cards show them); a clear error when there is none or several."""
    from staff import queries

    ref = ref.strip()
    if len(ref) < queries.MIN_PREFIX:
        raise click.ClickException(f"give at least {queries.MIN_PREFIX} characters of the conversation id")
    found = await queries.conversations_by_prefix(s, workspace_id=workspace.id, prefix=ref)
    if not found:
        raise click.ClickException(f"no conversation {ref} in {workspace.slug} (see `frontdesk conversation list`)")
    if len(found) > 1:
        raise click.ClickException(f"{ref} matches several conversations in {workspace.slug}: give more of the id")
    return found[0]


async def conversation_id(desk: Desk, ref: str) -> str:
    async with desk.runtime.db.reader() as s:
        return (await conversation(s, desk.workspace, ref)).id
